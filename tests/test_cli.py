import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from camg_bayes.cli import main
from camg_bayes.model.simulate import simulate


def test_validate_prints_summary_and_exits_zero(write_csv, capsys):
    path = write_csv("subject_id,sex,serum_mg [mg/dL]\n1,F,2.0\n2,M,1.9\n")
    assert main(["validate", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "2 subjects" in printed
    assert "serum_mg" in printed and "mmol/L" in printed
    assert "No warnings" in printed


def test_validate_bad_value_exits_two_with_one_line(write_csv, capsys):
    path = write_csv("subject_id,serum_mg\nA,0.8x\n")
    assert main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "serum_mg" in lines[0] and "Traceback" not in captured.err


def test_validate_lists_warnings(write_csv, capsys):
    path = write_csv("subject_id,bmi,serum_mg\n1,22,0.8\n")
    assert main(["validate", str(path)]) == 0
    assert "unknown column(s) not used: bmi" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["validate"], ["frobnicate"], ["validate", "--nope", "x"]])
def test_usage_errors_exit_two(argv, capsys):
    assert main(argv) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_validate_nhanes_directory(nhanes_dir, capsys):
    assert main(["validate", str(nhanes_dir)]) == 0
    printed = capsys.readouterr().out
    assert "9254 subjects" in printed


CAMG = Path(sys.executable).with_name("camg")


def _camg(*args, cwd=None):
    """Run the installed ``camg`` console script (the entry point a user runs)."""
    return subprocess.run(
        [str(CAMG), *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=900
    )


def test_simulate_through_the_entry_point(tmp_path):
    cohort, truth = tmp_path / "c.csv", tmp_path / "t.csv"
    done = _camg("simulate", "--subjects", 25, "--seed", 5, "--out", cohort, "--truth", truth)
    assert done.returncode == 0, done.stderr
    assert "Simulated 25 subjects" in done.stdout
    assert pd.read_csv(truth)["subject_id"].nunique() == 25
    assert json.loads(truth.with_suffix(".json").read_text())["_simulation"]["random_seed"] == 5


def test_compare_through_the_entry_point(short_fit, tmp_path):
    _, path = short_fit
    twin = tmp_path / "twin.nc"
    shutil.copy(path, twin)
    done = _camg("compare", path, twin)
    assert done.returncode == 0, done.stderr
    assert "Model comparison by PSIS-LOO" in done.stdout and "not clearly different" in done.stdout
    lonely = _camg("compare", path)
    assert lonely.returncode == 2 and "Traceback" not in lonely.stderr


def test_demo_through_the_entry_point(tmp_path):
    cohort = tmp_path / "small.csv"
    simulate(40, random_seed=8, n_sites=0).cohort.to_csv(cohort, index=False)
    out = tmp_path / "out"
    argv = ["demo", "--out", out, "--cohort", cohort, "--draws", 40, "--tune", 80]
    done = _camg(*argv, "--chains", 2, "--seed", 3)
    assert done.returncode == 0, done.stderr
    for name in ("fit.nc", "scores.csv", "report.html"):
        assert (out / name).stat().st_size > 0
    assert "1/6 Validate" in done.stdout and "6/6 Report" in done.stdout
    scores = pd.read_csv(out / "scores.csv")
    assert len(scores) == 40 and (scores["method"] == "posterior draws").all()
