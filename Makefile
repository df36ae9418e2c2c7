# The two commands of a fresh clone: `make run` and `make test`. Everything else is here for operators.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WEEK   ?=
# The test tiers' Airflow stacks mostly wait (schedulers, sensors, deadlines): two run at a time (pytest-xdist).
TEST_WORKERS ?= 2
PYTEST_PARALLEL = -n $(TEST_WORKERS) --dist loadscope

.PHONY: help venv system-deps run airflow answer test test-all test-fast test-tier test-monday bench lint format clean

help:
	@echo "make run [WEEK=YYYY-MM-DD]  one weekly run end to end on the embedded default, with a summary"
	@echo "make run STATION_DOWN=203    the same with one ASOS station down: the run asks about the gaps"
	@echo "make airflow                 Airflow UI + scheduler locally with the API emulators (Ctrl-C stops)"
	@echo "make answer DECISION=approve REASON=...   answer the question on a week's gaps (or reject, list)"
	@echo "make test                    ruff (check + format) and the test suite but its extended scenarios (CI)"
	@echo "make test-all                the same with the extended stack scenarios (about 6 more minutes)"
	@echo "make test-fast               ruff, DAG integrity and unit tests (under a minute)"
	@echo "make test-tier TIER=e2e      one tier alone: dags, unit, e2e, scheduler, celery, browser"
	@echo "make test-monday             the suite at Monday 03:30 KST (libfaketime), but celery and browser"
	@echo "make bench                   scale benchmark (1k/10k/100k farms, baseline, history, time to report), ~20 min"

# Pinned install: requirements + the committed constraints file (a freeze of the verified environment).
$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt --constraint constraints.txt
	$(BIN)/python -m pip check
	touch $(STAMP)

venv: $(STAMP)

# The browser test drives Debian's chromium (Playwright never downloads a browser); CJK fonts for Korean labels.
system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'noto sans cjk'; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk; \
	fi

run: venv
	$(BIN)/python scripts/run_week.py $(if $(WEEK),--week $(WEEK)) $(if $(STATION_DOWN),--station-down $(STATION_DOWN))

airflow: venv
	$(BIN)/python scripts/airflow_local.py

# Answer the question on a week's gaps (approve | reject | list), as the UI's Required Actions page does.
answer: venv
	$(BIN)/python scripts/answer_gaps.py $(or $(DECISION),list) "$(REASON)" $(if $(RUN_ID),--run-id "$(RUN_ID)")

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The default run leaves out the extended stack scenarios (marker `extended`): deeper variants of paths that
# the default run covers on a real stack too, left out to keep it short on a 2-core machine (README).
test: lint system-deps
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not extended"

test-all: lint system-deps
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

test-fast: lint
	$(BIN)/python -m pytest -m "dags or unit" -q

# The suite with every process's clock at the latest Monday 03:30 KST (Sunday's weather not published yet),
# by libfaketime; the Celery tier (its PostgreSQL keeps the real clock) and Chromium cannot run under it.
test-monday: venv
	env $$($(BIN)/python scripts/faketime_env.py 03:30) $(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not celery and not browser and not extended"

test-tier: venv $(if $(filter browser,$(TIER)),system-deps)
	$(BIN)/python -m pytest -m "$(TIER)"

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf .local tests/artifacts
