# Real Medusa 2.21.2 backend (reference server) on 127.0.0.1:9001 (env REAL_PORT).
# Included by the main Makefile. See scripts/real-backend.sh and
# docs/real-backend-observations.md.

REAL_BACKEND_SH ?= scripts/real-backend.sh

.PHONY: real-backend real-backend-stop real-backend-status real-backend-seed

# Install what is missing, migrate, start (if not up), seed fresh payments.
real-backend:
	$(REAL_BACKEND_SH) up

# Stop the Medusa server; PostgreSQL keeps running.
real-backend-stop:
	$(REAL_BACKEND_SH) down

real-backend-status:
	$(REAL_BACKEND_SH) status

# make real-backend-seed LABELS="F G"   (no LABELS: every scenario)
real-backend-seed:
	$(REAL_BACKEND_SH) seed $(LABELS)
