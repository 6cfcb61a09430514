# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3.12
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-slow test-slow-ci test-all lint format bench clean

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

test-slow: $(STAMP)  ## the slow scientific tests (recovery, coverage, calibration); -rP prints their figures
	$(BIN)/python -m pytest -m slow -rP

test-slow-ci: $(STAMP)  ## the part of the slow suite that fits CI's time budget (~8 min)
	$(BIN)/python -m pytest -m slow -rP tests/test_misspecification.py "tests/test_recovery.py::test_no_divergences[full]" "tests/test_recovery.py::test_rhat_and_bulk_ess_of_population_parameters[full]" "tests/test_recovery.py::test_informed_population_parameters_are_recovered[full]" "tests/test_recovery.py::test_subject_true_serum_mg_coverage_is_near_nominal[full]"

test-all: $(STAMP)
	$(BIN)/python -m pytest -m "slow or not slow"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs
	$(BIN)/ruff format --check src tests benchmarks docs

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks docs
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)  ## timing figures, written to benchmarks/results/
	$(BIN)/python benchmarks/fit_scaling.py

clean:
	rm -rf out .pytest_cache .ruff_cache
