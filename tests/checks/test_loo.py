import pytest

from camg_bayes.checks.loo import compare
from camg_bayes.errors import CamgError
from camg_bayes.fitting import Fit


def test_compare_ranks_fits_and_refuses_different_cohorts(short_fit):
    _, path = short_fit
    fit = Fit.load(path)
    table = compare({"a": fit, "b": fit})
    assert table["elpd_diff"].abs().max() == pytest.approx(0.0, abs=1e-9)
    assert {"k_over_0.7", "k_max", "variant"} <= set(table.columns)
    other = Fit.load(path)
    other.attrs["data_hash"] = "0" * 16
    with pytest.raises(CamgError, match="different cohorts"):
        compare({"a": fit, "b": other})
