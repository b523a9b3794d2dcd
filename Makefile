# Everything runs from a project-local virtualenv (.venv), created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Build a demo workspace (a realistic week of agent outputs) and open it.
demo: $(STAMP)
	$(BIN)/triage demo

## Run the test suite (SQLite always; PostgreSQL when reachable, see README).
test: $(STAMP)
	$(BIN)/pytest

## Lint, format check, strict types, and the core/UI import contract.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## Print the benchmark figures quoted in the README.
bench: $(STAMP)
	$(BIN)/python bench/run_all.py

## Regenerate screenshots/ by driving the real app on the seeded demo week.
screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
