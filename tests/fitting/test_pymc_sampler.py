"""PyMC's own NUTS on the same model (``fit(..., sampler="pymc")``): the benchmarks' baseline.

Slow (PyTensor's C compile of the model's gradient takes minutes cold) and not in CI's
subset: ``pytest -m slow tests/fitting/test_pymc_sampler.py``.
"""

import warnings

import numpy as np
import pytest

import camg_bayes as cb
from camg_bayes.checks.diagnostics import parameter_table
from camg_bayes.model.simulate import simulate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def both():
    warnings.simplefilter("ignore", cb.CohortWarning)
    ds = cb.read_cohort(simulate(60, random_seed=8).cohort)
    kwargs = {"draws": 300, "tune": 300, "chains": 2, "random_seed": 5}
    # chains in this process: a fork after the nutpie fit's JAX threads is unsafe
    return cb.fit(ds, **kwargs), cb.fit(ds, sampler="pymc", cores=1, **kwargs)


def test_pymc_fit_has_the_same_layout(both):
    nutpie_fit, pymc_fit = both
    assert pymc_fit.population_names == nutpie_fit.population_names
    assert pymc_fit.tree["subject_summary"].sizes == nutpie_fit.tree["subject_summary"].sizes
    assert '"sampler": "pymc"' in pymc_fit.attrs["sampler_settings"]
    assert int(pymc_fit.tree["sample_stats"]["diverging"].sum()) == 0
    checks = {c.name: c for c in cb.diagnose(pymc_fit).checks}
    assert checks["treedepth"].value < 0.01  # PyMC's own max-depth flag is read


def test_pymc_and_nutpie_agree_within_monte_carlo_error(both):
    """Population means within 4 Monte Carlo SEs of their difference (SD / sqrt(bulk ESS))."""
    tables = [parameter_table(f.posterior, f.population_names) for f in both]
    a, b = tables
    se = np.sqrt(a["sd"] ** 2 / a["ess_bulk"] + b["sd"] ** 2 / b["ess_bulk"])
    z = (a["mean"] - b["mean"]).abs() / se
    assert len(z) == len(b) and z.notna().all()
    assert (z < 4).all(), z.sort_values().tail(3).to_dict()
