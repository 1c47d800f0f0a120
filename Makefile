# Zonefleet's two set-up commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck unit services packages

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test: $(VENV)/.runtime pyproject.toml
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

## Run Zonefleet on its embedded default (one process, SQLite under the data directory).
run: $(VENV)/.runtime
	$(BIN)/zonefleet serve

## Install everything the suite needs and run every gate and test.
test: $(VENV)/.test packages services lint typecheck unit

packages:
	scripts/ensure-packages.sh

services:
	scripts/ensure-services.sh

lint: $(VENV)/.test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(VENV)/.test
	$(BIN)/mypy

unit: $(VENV)/.test
	$(BIN)/pytest --cov --cov-branch --cov-report=term $(PYTEST_ARGS)
