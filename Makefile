# The two commands a newcomer needs:  make demo   and   make test
# Everything else is a building block they use.

SHELL := /bin/bash
VENV := .venv
CSC := $(VENV)/bin/csc-warehouse
STAMP := $(VENV)/.setup-done
SCALE ?= 0.05

export DO_NOT_TRACK := 1
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export GX_ANALYTICS_ENABLED := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: help setup db-start db-stop db-status demo test lint format bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt scripts/setup.sh scripts/setup-validators.sh validators/cin-requirements.txt validators/903-requirements.txt
	scripts/setup.sh
	@touch $(STAMP)

setup: $(STAMP) ## create .venv with pinned versions, install system packages

db-start: setup ## start the project's own PostgreSQL (idempotent)
	$(CSC) db start

db-stop: setup ## stop it
	$(CSC) db stop

db-status: setup ## is it running?
	$(CSC) db status

demo: setup ## set everything up and run the nightly job end to end on generated data
	scripts/demo.sh

test: setup ## run the whole test suite (starts PostgreSQL if needed)
	$(CSC) db start
	$(VENV)/bin/pytest

lint: setup ## ruff and sqlfluff, as the tests run them
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
	cd dbt_project && ../$(VENV)/bin/sqlfluff lint models macros tests analyses snapshots

format: setup ## fix what ruff and sqlfluff can fix
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .
	cd dbt_project && ../$(VENV)/bin/sqlfluff fix models macros tests

bench: setup ## time the nightly run at SCALE (default 0.05): make bench SCALE=1
	$(CSC) db start
	$(CSC) bench --scale $(SCALE)

clean: ## stop PostgreSQL and remove local state (.local/, landing/, output/)
	-$(CSC) db stop
	rm -rf .local landing output dbt_project/target dbt_project/logs
