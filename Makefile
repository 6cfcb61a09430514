# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3.12
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-slow test-all lint format bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)  ## run the main job on the shipped example cohort
	$(BIN)/camg demo --out out

test: $(STAMP)  ## the default test suite (slow tests excluded)
	$(BIN)/python -m pytest

test-slow: $(STAMP)  ## the slow scientific tests: recovery, coverage, calibration
	$(BIN)/python -m pytest -m slow

test-all: $(STAMP)
	$(BIN)/python -m pytest -m "slow or not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)  ## timing figures, written to benchmarks/results/
	$(BIN)/python benchmarks/fit_scaling.py

clean:
	rm -rf out .pytest_cache .ruff_cache
