"""A fit to share: no subject ids and no observed values in the file (``--no-data``)."""

import h5py
import numpy as np
import pandas as pd
import pytest

from camg_bayes.cli import main
from camg_bayes.errors import FitFileError
from camg_bayes.fitting import Fit

pytestmark = pytest.mark.filterwarnings("ignore::camg_bayes.cohort.CohortWarning")


@pytest.fixture(scope="module")
def shared(short_fit, tmp_path_factory):
    cohort, path = short_fit
    out = tmp_path_factory.mktemp("shared") / "shared.nc"
    Fit.load(path).without_data().save(out)
    return cohort, path, out


def _contents(path):
    """Every numeric value and every string (names, attributes) in an HDF5 file."""
    numbers, strings = [], []

    def visit(name, obj):
        strings.append(name)
        strings.extend(f"{k}={v}" for k, v in obj.attrs.items())
        if isinstance(obj, h5py.Dataset):
            values = obj[()]
            if values.dtype.kind == "f":  # coordinates (integers) may match by chance
                numbers.append(np.ravel(values).astype(float))
            else:
                strings.extend(str(v) for v in np.ravel(values))

    with h5py.File(path, "r") as handle:
        strings.extend(f"{k}={v}" for k, v in handle.attrs.items())
        handle.visititems(visit)
    return np.concatenate(numbers), "\n".join(strings)


def test_shared_fit_holds_no_subject_id_and_no_observed_value(shared):
    cohort, _, out = shared
    frame = pd.read_csv(cohort)
    numbers, strings = _contents(out)
    raw = out.read_bytes()
    for subject in frame["subject_id"].astype(str).unique():
        assert subject not in strings and subject.encode() not in raw
    measured = [c for c in ("serum_mg", "serum_ca", "pth", "urine_mg", "diet_mg") if c in frame]
    observed = frame[measured].to_numpy(float).ravel()
    observed = observed[np.isfinite(observed)]
    # neither in double nor in single precision
    as_float32 = observed.astype(np.float32).astype(float)
    assert not np.isin(numbers, observed).any() and not np.isin(numbers, as_float32).any()
    fit = Fit.load(out)
    assert fit.kind == "no_data" and not fit.has_data
    assert {"posterior", "sample_stats", "subject_summary"} == set(fit.tree.children)


def test_shared_fit_is_checked_scored_as_new_and_refused_for_reports(shared, tmp_path, capsys):
    cohort, _, out = shared
    assert main(["check", str(out)]) in (0, 1)  # diagnostics need no data
    capsys.readouterr()
    scores = tmp_path / "scores.csv"
    argv = ["score", str(cohort), "--fit", str(out), "--out", str(scores), "--draws", "100"]
    assert main([*argv, "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert "written with --no-data" in printed and "scored as new" in printed
    table = pd.read_csv(scores)
    assert table["method"].str.startswith("importance sampling").all()
    assert table["population"].str.startswith("fitted").all()
    code = main(["report", str(out), "--out", str(tmp_path / "r.html")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "--no-data" in err
    assert not (tmp_path / "r.html").exists()
    with pytest.raises(FitFileError, match="no-data"):
        Fit.load(out).cohort  # noqa: B018
