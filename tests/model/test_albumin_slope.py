"""A free albumin slope: serum Ca corrected on load with the prior centre, shifted in the model."""

import warnings

import numpy as np

from camg_bayes.cohort import CohortWarning, read_cohort
from camg_bayes.model.config import load_config
from camg_bayes.model.design import build_design
from camg_bayes.model.simulate import simulate
from camg_bayes.physiology.observation import BY_COLUMN, adjustment


def _design(sim):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)  # rare simulated recalls
        return build_design(read_cohort(sim.cohort), load_config())


def _slope_on_gap(values: np.ndarray, gap: np.ndarray) -> tuple[float, float]:
    """Least-squares slope of values on gap, and its standard error."""
    x = gap - gap.mean()
    slope = float((x * (values - values.mean())).sum() / (x**2).sum())
    residual = values - values.mean() - slope * x
    return slope, float(np.sqrt(residual.var() / (x**2).sum()))


def test_adjustment_removes_the_albumin_trend_a_laboratory_slope_leaves():
    """A cohort measured where the slope is 0.010, corrected on load with the centre 0.016.

    The true corrected Ca of the simulation does not depend on albumin, so the corrected
    readings trend with the albumin gap by (0.016 - 0.010) per g/L; the model's shift at
    the true slope removes the trend, and at the centre it does not.
    """
    config = load_config()
    centre = float(config.priors["albumin_ca_slope"].center())
    sim = simulate(3000, random_seed=5, n_sites=0, params={"albumin_ca_slope": 0.010})
    design = _design(sim)
    summary = design.summaries["serum_ca"]
    m = BY_COLUMN["serum_ca"]
    assert summary.applied == centre
    measured = summary.gap != 0.0
    gap = summary.gap[measured]

    raw_slope, se = _slope_on_gap(summary.mean[measured], gap)
    assert abs(raw_slope - (centre - 0.010)) < 3 * se
    assert abs(raw_slope) > 6 * se

    shifted = summary.mean - adjustment(m, summary, {"albumin_ca_slope": 0.010})
    slope, se = _slope_on_gap(shifted[measured], gap)
    assert abs(slope) < 3 * se

    # with the slope at its centre, nothing moves
    assert np.all(adjustment(m, summary, {"albumin_ca_slope": centre}) == 0.0)


def test_subset_keeps_the_gap():
    sim = simulate(40, random_seed=2, n_sites=0)
    design = _design(sim)
    part = design.subset([3, 1, 7])
    full, sub = design.summaries["serum_ca"], part.summaries["serum_ca"]
    position = {s: i for i, s in enumerate(full.subject)}
    assert len(sub.subject) == 3
    for k, new in enumerate(sub.subject):
        old = [3, 1, 7][new]
        assert sub.gap[k] == full.gap[position[old]]
    assert sub.applied == full.applied
