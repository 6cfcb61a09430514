"""Shared fixtures: small cohorts written to temporary files, the NHANES directory."""

from __future__ import annotations

from pathlib import Path

import pytest

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
