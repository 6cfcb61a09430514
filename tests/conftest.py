"""Shared fixtures: small cohorts written to temporary files, the NHANES directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from camg_bayes.cli import main
from camg_bayes.model.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
NHANES_DIR = ROOT.parent / "shared" / "data" / "nhanes"


@pytest.fixture
def write_csv(tmp_path):
    """Write CSV text to a file and return its path."""

    def _write(text: str, name: str = "cohort.csv") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return _write


@pytest.fixture
def nhanes_dir():
    if not (NHANES_DIR / "BIOPRO_J.XPT").exists():
        pytest.skip(f"NHANES files not found in {NHANES_DIR}")
    return NHANES_DIR


@pytest.fixture(scope="session")
def short_fit(tmp_path_factory):
    """A real but short fit of 80 simulated subjects, made once through `camg fit`.

    Too short to converge: tests that use it check contracts and bookkeeping, not science.
    """
    folder = tmp_path_factory.mktemp("fit")
    cohort = folder / "cohort.csv"
    simulate(80, random_seed=4).cohort.to_csv(cohort, index=False)
    path = folder / "fit.nc"
    argv = ["fit", str(cohort), "--out", str(path), "--draws", "60", "--tune", "150"]
    assert main([*argv, "--chains", "2", "--seed", "7"]) == 0
    return cohort, path
