"""Every tutorial notebook runs top to bottom, with real (small) fits: no mocked sampler."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import NHANES_DIR, ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_three_tutorials_exist():
    assert [p.stem for p in NOTEBOOKS] == [
        "01_quickstart",
        "02_new_subject_and_whatif",
        "03_nhanes_calcium",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, monkeypatch):
    if "nhanes" in path.stem and not (NHANES_DIR / "BIOPRO_J.XPT").exists():
        pytest.skip(f"NHANES files not in {NHANES_DIR}")
    monkeypatch.setenv("CAMG_NOTEBOOK_DRAWS", os.environ.get("CAMG_NOTEBOOK_DRAWS", "100"))
    monkeypatch.setenv("CAMG_NHANES_DIR", str(NHANES_DIR))
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(
        book, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    errors = [
        o
        for c in book.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert errors == []
