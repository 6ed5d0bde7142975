# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install clean check-fixtures lint

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## serve the mock on 127.0.0.1:9000 with specs/ and fixtures/
	$(BIN)/mock-server serve --host 127.0.0.1 --port 9000 --spec specs --fixtures fixtures

test: $(STAMP)  ## the whole test suite
	$(BIN)/python -m pytest

LINT_STAMP := $(VENV)/.lint-installed

$(LINT_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,lint]'
	touch $(LINT_STAMP)

lint: $(LINT_STAMP)  ## ruff (lint and format) and mypy over the package, tests and benchmarks
	$(BIN)/ruff check mock_server tests benchmarks
	$(BIN)/ruff format --check mock_server tests benchmarks
	$(BIN)/mypy

check-fixtures: $(STAMP)
	$(BIN)/mock-server check-fixtures fixtures

clean:
	rm -rf $(VENV) .pytest_cache

# Issue-sized extras, one fragment each: the real Medusa backend (real-backend,
# real-backend-stop), contract testing (contract-real, diff, drift), benchmarks (bench).
include $(sort $(wildcard mk/*.mk))
