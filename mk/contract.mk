# Contract testing against a real Medusa 2.21.2. Included by the main Makefile,
# which defines $(STAMP) (the venv is installed) and $(BIN) (.venv/bin); mk/real-backend.mk
# brings the backend up. The in-process conformance run is part of `make test`
# (tests/test_conformance.py).
#
#   make contract-real   Schemathesis (specs/ + schemathesis.toml, the same conformance as the
#                        in-process run) against the real backend; JUnit report in
#                        $(CONTRACT_REPORTS)/contract-real.xml; fails on any failed check.
#   make diff            the mock (started from a snapshot of the real backend) against the
#                        real backend, in two passes, each on freshly seeded payments (both use
#                        them up): the scripted scenario (mock_server/tooling/diff_scenario.yaml),
#                        then DIFF_COUNT requests generated from the specs with DIFF_SEED
#                        (`mock-server diff --generated`; its grouped report in
#                        $(CONTRACT_REPORTS)/diff-generated.txt). Fails on any difference not in
#                        mock_server/tooling/diff_allowlist.yaml. JUnit reports in
#                        $(CONTRACT_REPORTS)/diff-*.xml.
#   make drift           the published Medusa spec (2.0.0) against the real backend: the
#                        evidence behind docs/drift.md. Informational, never fails.
#
# Knobs: REAL_URL, DIFF_SEED, DIFF_COUNT, DIFF_SEED_FILE, CONTRACT_ARGS (e.g. "--max-examples 50 --verbose"), CONTRACT_REPORTS,
# MEDUSA_OAS (the published Medusa admin spec folder; default: the copy in vendor/medusa-oas).

REAL_URL ?= http://127.0.0.1:9001
REAL_BACKEND_SH ?= scripts/real-backend.sh
CONTRACT_LOGIN ?= --email admin@example.com --password supersecret
CONTRACT_ARGS ?=
CONTRACT_REPORTS ?= reports
MEDUSA_OAS ?= vendor/medusa-oas
DIFF_SEED ?= 20261130
DIFF_COUNT ?= 500
# where $(REAL_BACKEND_SH) seed writes the seeded payments the scripted pass needs
DIFF_SEED_FILE ?= $(dir $(REAL_BACKEND_SH))../realbackend/.state/seed.json

.PHONY: contract-real diff drift

contract-real: $(STAMP) real-backend
	@mkdir -p $(CONTRACT_REPORTS)
	$(BIN)/mock-server contract --base-url $(REAL_URL) $(CONTRACT_LOGIN) \
	    --junit-xml $(CONTRACT_REPORTS)/contract-real.xml $(CONTRACT_ARGS)

diff: $(STAMP)
	$(REAL_BACKEND_SH) up --no-seed
	@mkdir -p $(CONTRACT_REPORTS)
	$(REAL_BACKEND_SH) seed
	$(BIN)/mock-server diff --scripted --real $(REAL_URL) $(CONTRACT_LOGIN) \
	    --seed-file $(DIFF_SEED_FILE) --junit-xml $(CONTRACT_REPORTS)/diff-scripted.xml
	$(REAL_BACKEND_SH) seed
	$(BIN)/mock-server diff --generated --real $(REAL_URL) $(CONTRACT_LOGIN) \
	    --seed $(DIFF_SEED) --count $(DIFF_COUNT) \
	    --junit-xml $(CONTRACT_REPORTS)/diff-generated.xml --report $(CONTRACT_REPORTS)/diff-generated.txt

drift: $(STAMP)
	$(REAL_BACKEND_SH) up --no-seed
	@mkdir -p $(CONTRACT_REPORTS)
	-$(BIN)/mock-server contract --base-url $(REAL_URL) $(CONTRACT_LOGIN) --spec $(MEDUSA_OAS) \
	    --junit-xml $(CONTRACT_REPORTS)/drift.xml $(CONTRACT_ARGS)
