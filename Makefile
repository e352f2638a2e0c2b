# Every target bootstraps .venv itself, so a fresh clone needs nothing but python3.
PYTHON ?= python3
# `make unit PYTHON=python3.13 VENV=.venv-3.13` runs the suite on another interpreter.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint types unit demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: lint types unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

# Two workers, one test file each at a time: most slow tests wait on real deadlines and
# windows, so they overlap well on two cores; a file's module fixtures are built once.
unit: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile --durations=15

demo: $(STAMP)
	$(BIN)/python examples/demo.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
