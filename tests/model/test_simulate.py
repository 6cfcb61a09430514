import json
import warnings

import numpy as np
import pandas as pd
import pytest

from camg_bayes.cli import main
from camg_bayes.cohort import CohortWarning, read_cohort
from camg_bayes.model.simulate import simulate


@pytest.fixture(scope="module")
def big():
    return simulate(5000, random_seed=11)


def test_simulated_population_is_plausible(big):
    truth, cohort = big.truth, big.cohort
    # issue targets for a general adult population
    assert 0.78 <= truth.true_serum_mg.mean() <= 0.90
    assert 0.05 <= truth.deficient.mean() <= 0.30
    assert 2.2 <= cohort.serum_ca.mean() <= 2.5
    assert 2.5 <= cohort.pth.median() <= 7.0
    assert 2.0 <= cohort.urine_mg.median() <= 6.0
    assert 2.0 <= cohort.urine_ca.median() <= 7.5
    assert 220 <= truth.usual_diet_mg.median() <= 380
    assert 220 <= cohort.diet_mg.median() <= 380


def test_simulated_cohort_passes_validation_and_has_missingness(big):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        ds = read_cohort(big.cohort)
    assert ds.sizes["subject"] == 5000
    have = {
        c: np.isfinite(ds[c].values).any(axis=1).mean()
        for c in ("serum_mg", "pth", "urine_mg", "diet_mg")
    }
    assert 0.8 < have["serum_mg"] < 0.97
    assert 0.5 < have["pth"] < 0.8
    assert 0.5 < have["urine_mg"] < 0.7
    assert have["diet_mg"] == 1.0
    repeats = (np.isfinite(ds.diet_mg.values).sum(axis=1) > 1).mean()
    assert 0.7 < repeats < 0.9
    assert set(np.unique(ds.supp_timing.values)) == {"", "apart", "together"}


def test_truth_columns_and_threshold(big):
    truth = big.truth
    assert list(truth.columns[:4]) == ["subject_id", "true_serum_mg", "deficient", "mg_status"]
    assert (truth.deficient == (truth.true_serum_mg < 0.75)).all()
    assert big.params["_simulation"]["random_seed"] == 11


def test_same_seed_same_files(tmp_path):
    paths = []
    for run in ("a", "b"):
        c, t = tmp_path / f"{run}_c.csv", tmp_path / f"{run}_t.csv"
        assert (
            main(
                ["simulate", "--subjects", "60", "--seed", "5", "--out", str(c), "--truth", str(t)]
            )
            == 0
        )
        paths.append((c, t, t.with_suffix(".json")))
    for first, second in zip(*paths, strict=True):
        assert first.read_bytes() == second.read_bytes()
    other = tmp_path / "o.csv"
    main(
        [
            "simulate",
            "--subjects",
            "60",
            "--seed",
            "6",
            "--out",
            str(other),
            "--truth",
            str(tmp_path / "ot.csv"),
        ]
    )
    assert other.read_bytes() != paths[0][0].read_bytes()
    params = json.loads(paths[0][2].read_text())
    assert params["mg_abs_km"] == pytest.approx(80.0)


def test_parameter_override_changes_truth(tmp_path):
    c, t = tmp_path / "c.csv", tmp_path / "t.csv"
    argv = [
        "simulate",
        "--subjects",
        "300",
        "--seed",
        "1",
        "--out",
        str(c),
        "--truth",
        str(t),
        "--sites",
        "0",
    ]
    assert main([*argv, "--set", "mg_ca_competition=1.5"]) == 0
    strong = pd.read_csv(t)
    assert main(argv) == 0
    none = pd.read_csv(t)
    assert strong.absorbed_mg.mean() < none.absorbed_mg.mean()
    assert "site" not in pd.read_csv(c).columns
    assert main([*argv, "--set", "nope=1"]) == 2


def test_shipped_example_is_reproducible(tmp_path):
    from tests.conftest import ROOT

    c, t = tmp_path / "c.csv", tmp_path / "t.csv"
    argv = [
        "simulate",
        "--subjects",
        "1000",
        "--seed",
        "20261125",
        "--out",
        str(c),
        "--truth",
        str(t),
    ]
    assert main(argv) == 0
    assert c.read_bytes() == (ROOT / "data" / "example_cohort.csv").read_bytes()
    assert t.read_bytes() == (ROOT / "data" / "example_truth.csv").read_bytes()


def test_missing_egfr_is_imputed_on_the_line_the_simulator_draws_around(big):
    """A missing eGFR is the simulator's expected eGFR for age, not one value for all ages."""
    from camg_bayes.model.config import load_config
    from camg_bayes.model.design import expected_egfr, subject_covariates

    config = load_config()
    center = {n: float(config.priors[n].center()) for n in ("egfr_at_age_ref", "egfr_age_slope")}
    people = big.cohort.groupby("subject_id").first()
    decades = (people["age_years"].to_numpy() - float(config.priors["age_ref"].center())) / 10
    known = people["egfr"].notna().to_numpy()
    line = expected_egfr(decades, center["egfr_at_age_ref"], center["egfr_age_slope"])
    residual = people["egfr"].to_numpy()[known] - line[known]
    assert abs(residual.mean()) < 1.5  # mL/min/1.73 m², the simulator draws around the line
    slope = np.polyfit(decades[known], people["egfr"].to_numpy()[known], 1)[0]
    assert slope == pytest.approx(center["egfr_age_slope"], abs=0.8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        ds = read_cohort(big.cohort)
    cov, _ = subject_covariates(ds, config)
    order = pd.Index(people.index).get_indexer(ds["subject"].values)
    missing = ~known[order]
    assert missing.sum() > 100
    np.testing.assert_allclose(cov["egfr"][missing], line[order][missing])
    assert np.ptp(cov["egfr"][missing]) > 30  # imputations follow age
