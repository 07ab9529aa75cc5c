# cityops: two commands. `make run` loads the committed sample months through Airflow
# into the embedded warehouse and builds the marts; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
CITYOPS := .venv/bin/cityops
export CITYOPS_HOME ?= $(CURDIR)/var
SAMPLE_PERIODS := $(sort $(notdir $(wildcard extract/samples/20*)))

.PHONY: help install run test lint bench bench-foreign soak clean bi portal system-packages
help:
	@echo "make run    install, start the warehouse, run the month close for $(SAMPLE_PERIODS)"
	@echo "make test   install, then lint and the whole test suite (real PostgreSQL, dbt, GX, Airflow)"
	@echo "make portal after make run: the departments' portal on http://127.0.0.1:8090 (demo accounts printed by make run)"
	@echo "make bi     after make run: Superset with the district's dashboards on http://127.0.0.1:8088"
	@echo "make bench  the performance measures: ingest, xlsx, validate cold/warm, dbt, Airflow, month, BI, portal (not part of make test; BENCH_ARGS='--only load --repeat 5')"
	@echo "make soak   five years of months through cityops backfill, then the drift checks (SOAK_ARGS='--airflow')"
	@echo "make bench-foreign  every foreign test file through validate and ingest, under two names (issue 16)"

install: .venv/.synced
.venv/.synced: pyproject.toml dev/pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --compile-bytecode
	@touch $@

run: install
	@$(CITYOPS) warehouse start >/dev/null
	@mkdir -p "$(CITYOPS_HOME)/landing"
	@for period in $(SAMPLE_PERIODS); do cp -R extract/samples/$$period/. "$(CITYOPS_HOME)/landing/"; done
	@# One Airflow run closes the sample months in order, with one dbt build at the end.
	$(CITYOPS) run --period $(firstword $(SAMPLE_PERIODS)) --to $(lastword $(SAMPLE_PERIODS)) --airflow
	@echo ""
	@echo "The departments' portal: run   make portal   (or .venv/bin/cityops portal), then open"
	@echo "  http://127.0.0.1:8090/?until=$(lastword $(SAMPLE_PERIODS))   (the calendar's 12 months up to the last sample month; 更早/较新 move the window)"
	@echo "First-time demo accounts (each is asked for a new password at first login; kept in $(CITYOPS_HOME)/secrets):"
	@$(CITYOPS) portal users demo

lint: install
	.venv/bin/ruff check src dev tests dags bi
	.venv/bin/ruff format --check src dev tests dags bi
	$(CITYOPS) contracts sources
	@# sqlfluff with dbt's templater, compiling against a throwaway embedded warehouse
	.venv/bin/python -m cityops_dev.lint_sql

test: lint system-packages
	.venv/bin/pytest -n 2 --durations=25 $(PYTEST_ARGS)

# Superset (bi/superset): its own locked environment, SQLite metadata under CITYOPS_HOME,
# the dashboards imported; prints the URL and login. `cityops bi down` stops it.
bi: install
	$(CITYOPS) bi up

# The departments' portal on 127.0.0.1:8090 (Ctrl-C stops it); accounts: cityops portal users ...
portal: install
	$(CITYOPS) portal

# Debian packages the browser tests need (chromium, chromedriver, a CJK font), when missing.
system-packages:
	@dev/system-packages.sh

bench: install
	.venv/bin/python -m cityops_dev.bench $(BENCH_ARGS)

# 60 months × 11 datasets through `cityops backfill` in chunks, with corrections and rejections;
# then: one current batch each, facts reconcile, scorecard complete, files = audit, no drift.
# Not part of make test (it takes well over five minutes). Results: var/soak-home/soak/results.json
soak: install
	.venv/bin/python -m cityops_dev.soak $(SOAK_ARGS)

# Other projects' own test files (downloaded by pip, sha256-checked, cached in ~/.cache/cityops-corpus)
# and the findings' files, each through `cityops validate --json` and `cityops ingest` under its own
# name and another format's: counts by outcome, times and memory. make test runs a fixed sample.
bench-foreign: install
	.venv/bin/python -m cityops_dev.corpus $(BENCH_ARGS)

clean:
	-$(CITYOPS) bi down
	-$(CITYOPS) warehouse stop
	rm -rf var
