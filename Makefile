# The two commands of a fresh clone: `make run` and `make test`. Everything else is here for operators.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WEEK   ?=

.PHONY: help venv run airflow test lint format clean

help:
	@echo "make run [WEEK=YYYY-MM-DD]  one weekly run end to end on the embedded default, with a summary"
	@echo "make airflow                 Airflow UI + scheduler locally with the API emulators (Ctrl-C stops)"
	@echo "make test                    ruff (check + format) and the test suite"

# Pinned install: requirements + the committed constraints file (a freeze of the verified environment).
$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-dev.txt --constraint constraints.txt
	$(BIN)/python -m pip check
	touch $(STAMP)

venv: $(STAMP)

run: venv
	$(BIN)/python scripts/run_week.py $(if $(WEEK),--week $(WEEK))

airflow: venv
	$(BIN)/python scripts/airflow_local.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf .local tests/artifacts
