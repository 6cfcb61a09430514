import warnings

import numpy as np
import pandas as pd
import pytest

from camg_bayes.checks.predictive import (
    pit_table,
    posterior_predictive,
    prior_predictive,
    statistics_table,
)
from camg_bayes.cohort import CohortWarning, read_cohort
from camg_bayes.fitting import Fit


def test_statistics_flag_a_shifted_sample_and_not_a_fitting_one():
    rng = np.random.default_rng(0)
    replicated = rng.normal(0.85, 0.06, size=(300, 500, 1))
    fitting = {"serum_mg": rng.normal(0.85, 0.06, size=(500, 1))}
    shifted = {"serum_mg": rng.normal(0.80, 0.06, size=(500, 1))}
    good = statistics_table(fitting, {"serum_mg": replicated}, 0.75)
    bad = statistics_table(shifted, {"serum_mg": replicated}, 0.75)
    assert not good["flag"].any()
    flagged = bad[bad["flag"]]
    assert {"mean", "p05", "p95"} <= set(flagged["statistic"])
    moments = flagged[flagged["statistic"].isin(["mean", "p05", "p95"])]
    assert moments["comment"].str.contains("lower than the model predicts").all()
    fraction = flagged[flagged["statistic"].str.startswith("fraction")]
    assert fraction["comment"].str.contains("higher than the model predicts").all()


def test_ties_are_not_flagged():
    zeros = {"urine_mg": np.full((50, 1), 3.0)}
    table = statistics_table(zeros, {"urine_mg": np.full((100, 50, 1), 3.0)}, 0.75)
    row = table[table["statistic"].str.startswith("fraction")].iloc[0]
    assert row["p_value"] == 0.5 and not row["flag"]


def test_pit_table_names_the_shape_of_a_departure_from_uniform():
    rng = np.random.default_rng(0)
    pit = {
        "uniform": rng.permutation((np.arange(500) + rng.uniform(size=500)) / 500),
        "wide": rng.beta(3, 3, 500),
        "narrow": rng.beta(0.5, 0.5, 500),
        "high": rng.beta(2, 1, 500),
    }
    table = pit_table(pit).set_index("measurement")
    assert not table.loc["uniform", "flag"]
    assert table.loc[["wide", "narrow", "high"], "flag"].all()
    assert "too wide" in table.loc["wide", "comment"]
    assert "too narrow" in table.loc["narrow", "comment"]
    assert "systematically above" in table.loc["high", "comment"]
    assert table.loc["uniform", "critical"] == pytest.approx(1.358 / np.sqrt(500))


def test_prior_predictive_uses_the_cohort_schedule():
    frame = pd.DataFrame(
        {"subject_id": ["a", "b", "c"], "serum_mg": [0.8, np.nan, 0.9], "pth": [4, 5, np.nan]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        ds = read_cohort(frame)
    check = prior_predictive(ds, n_draws=50, random_seed=1)
    assert check.replicated["serum_mg"].shape == (50, 3, 1)
    assert np.isnan(check.replicated["serum_mg"][:, 1]).all()
    assert np.isfinite(check.replicated["serum_mg"][:, 0]).all()
    assert set(check.statistics["measurement"]) == {"serum_mg", "pth"}


def test_posterior_predictive_and_loo_pit_on_a_fit(short_fit):
    _, path = short_fit
    check = posterior_predictive(Fit.load(path), random_seed=1)
    assert set(check.loo_pit) == set(check.observed)
    for values in check.loo_pit.values():
        assert np.all((values >= 0) & (values <= 1))
    assert list(check.pit_statistics["measurement"]) == list(check.loo_pit)
    assert len(check.statistics) == 5 * len(check.observed)


def test_serum_mg_cut_off_follows_the_threshold():
    values = {"serum_mg": np.full((10, 1), 0.8)}
    low = statistics_table(values, {"serum_mg": np.full((20, 10, 1), 0.8)}, 0.75)
    high = statistics_table(values, {"serum_mg": np.full((20, 10, 1), 0.8)}, 0.85)
    fraction = "statistic.str.startswith('fraction')"
    assert low.query(fraction)["observed"].item() == 0.0
    assert high.query(fraction)["observed"].item() == 1.0
    assert "0.85" in high.query(fraction)["statistic"].item()
