# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3.12
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-slow test-slow-ci test-slow-recovery test-slow-misspec test-slow-reliability test-all lint format bench clean

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

RECOVERY_FULL := $(foreach t,no_divergences rhat_and_bulk_ess_of_population_parameters informed_population_parameters_are_recovered subject_true_serum_mg_coverage_is_near_nominal,"tests/fitting/test_recovery.py::test_$(t)[full]")

test-slow-recovery: $(STAMP)  ## parameter recovery on the full design (~4 min)
	$(BIN)/python -m pytest -m slow -rP $(RECOVERY_FULL)

test-slow-misspec: $(STAMP)  ## LOO and predictive checks notice a misspecified model (~7 min)
	$(BIN)/python -m pytest -m slow -rP tests/checks/test_misspecification.py

test-slow-reliability: $(STAMP)  ## same seed, same bits with a cold and a warm compile cache (~2 min)
	$(BIN)/python -m pytest -m slow -rP tests/fitting/test_reproducible.py

test-slow-ci: test-slow-recovery test-slow-misspec test-slow-reliability  ## the part of the slow suite CI runs when time allows (~12 min)

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
