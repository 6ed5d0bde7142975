# `make bench`: the mock against the floor and against Prism, requests spread over 100
# namespaces, with the price of the journal, of namespaces and of an idle fault rule
# (benchmarks/run.py writes benchmarks/RESULTS.md). Not part of `make test`, which it times
# last, after the load; about 12 minutes plus that. wrk and Prism are installed on first
# use (apt-get; npm ci in benchmarks/prism). Knobs:
#   BENCH_ARGS="--quick"                 mock and floor only, refund and GET, about 1 minute
#   BENCH_ARGS="--no-test-time"          without timing the test suite
#   BENCH_LONG_REQUESTS=100000           requests of the memory run (default 1,000,000; 0 skips)
BENCH_ARGS ?=
BENCH_LONG_REQUESTS ?= 1000000

.PHONY: bench

bench: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE BENCH_LONG_REQUESTS=$(BENCH_LONG_REQUESTS) $(BIN)/python benchmarks/run.py $(BENCH_ARGS)
