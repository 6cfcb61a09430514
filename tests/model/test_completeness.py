"""Urine completeness from creatinine: the shared muscle-mass error is modelled exactly."""

import numpy as np
import xarray as xr

from camg_bayes.model.config import load_config
from camg_bayes.model.design import urine_completeness


def _collections(n: int, occasions: int, rng, config):
    """Fractions collected and creatinine as the generative model states them."""
    value = config.center()
    mean, sd = value["urine_completeness_mean"], value["urine_completeness_sd"]
    fraction = rng.normal(mean, sd, (n, occasions))
    muscle = rng.normal(0.0, value["urine_creatinine_sd"], n)  # one per person
    age = np.full(n, float(value["age_ref"]))
    creatinine = np.exp(np.log(value["urine_creatinine_ref"][0]) + muscle[:, None] + fraction)
    ds = xr.Dataset(
        {
            "sex": ("subject", np.full(n, "F")),
            "age_years": (("subject", "occasion"), np.repeat(age[:, None], occasions, 1)),
            "urine_creatinine": (("subject", "occasion"), creatinine),
        }
    )
    return ds, fraction


def test_mean_fraction_error_matches_its_stated_sd():
    """z of the mean over k collections is standard normal, for k = 1, 2, 3."""
    config, rng = load_config(), np.random.default_rng(11)
    for occasions in (1, 2, 3):
        ds, fraction = _collections(40_000, occasions, rng, config)
        est = urine_completeness(ds, config)
        have = np.ones_like(fraction, bool)
        z = (est.estimate - fraction).mean(axis=1) / est.mean_error_sd(have)
        assert abs(z.mean()) < 0.03, occasions
        assert abs(z.std() - 1.0) < 0.02, (occasions, z.std())


def test_differences_between_collections_are_exact():
    config, rng = load_config(), np.random.default_rng(12)
    ds, fraction = _collections(500, 3, rng, config)
    est = urine_completeness(ds, config)
    np.testing.assert_allclose(np.diff(est.estimate, axis=1), np.diff(fraction, axis=1), atol=1e-9)


def test_collection_without_creatinine_keeps_the_prior():
    config, rng = load_config(), np.random.default_rng(13)
    ds, fraction = _collections(4, 2, rng, config)
    ds["urine_creatinine"][0, 1] = np.nan
    est = urine_completeness(ds, config)
    value = config.center()
    assert est.estimate[0, 1] == value["urine_completeness_mean"]
    have = np.ones_like(fraction, bool)
    # one collection with creatinine (shared var v) and one without (its own var)
    v = est.shared_var[0]
    expected = np.sqrt(v + value["urine_completeness_sd"] ** 2) / 2
    np.testing.assert_allclose(est.mean_error_sd(have)[0], expected)
