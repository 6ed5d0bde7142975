# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install clean check-fixtures lock lint

# The exact versions CI tests (requirements.lock), then the project itself, editable, without
# resolving again. pyproject.toml keeps the compatible ranges a pip install resolves within.
$(STAMP): pyproject.toml requirements.lock
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Re-resolve requirements.lock from pyproject.toml (the test extra, which brings contract):
# versions already locked are kept where they still fit; `make lock LOCK_ARGS=--upgrade`
# moves everything to the newest versions the ranges allow. The file is replaced only when
# its content changes (a new file would make the next `make` reinstall the venv).
LOCK_ARGS ?=
lock: $(STAMP)
	$(BIN)/pip install --quiet 'uv>=0.5'
	cp requirements.lock $(VENV)/requirements.lock.new
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --quiet \
	    --custom-compile-command "make lock" --annotation-style line \
	    -o $(VENV)/requirements.lock.new $(LOCK_ARGS)
	cmp -s $(VENV)/requirements.lock.new requirements.lock \
	    || cp $(VENV)/requirements.lock.new requirements.lock

run: $(STAMP)  ## serve the mock on 127.0.0.1:9000 with specs/ and fixtures/
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/mock-server serve --host 127.0.0.1 --port 9000 --spec specs --fixtures fixtures

# With bytecode caches (git ignores them) even where PYTHONDONTWRITEBYTECODE is set (here and
# in `make run` and `make bench`): without them each run compiles again what it imports, in
# pytest (which rewrites the asserts of every Schemathesis module, a pytest plugin) and in
# each server and CLI it starts (a tenth of the mock's start-up).
test: $(STAMP)  ## the whole test suite
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest

# The lint tools are pinned in the lint extra and kept out of requirements.lock (they never
# run in a test); installed on first use, with the locked versions left as they are.
LINT_STAMP := $(VENV)/.lint-installed

$(LINT_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -c requirements.lock -e '.[lint]'
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
