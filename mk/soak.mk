# `make soak`: a bounded mixed load of valid and hostile requests against a mock server on a
# free loopback port (benchmarks/soak.py); prints RSS and p99 at intervals and fails if either
# grows. Not part of `make test`. Knobs:
#   SOAK_SECONDS=180     duration
#   SOAK_ARGS=           more options (--interval, --clients, --rss-slack)
SOAK_SECONDS ?= 180
SOAK_ARGS ?=

.PHONY: soak

soak: $(STAMP)
	$(BIN)/python benchmarks/soak.py --duration $(SOAK_SECONDS) $(SOAK_ARGS)
