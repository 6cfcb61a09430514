import numpy as np
import pytensor.tensor as pt
import pytest

from camg_bayes.model.config import load_config
from camg_bayes.physiology.parameters import expand
from camg_bayes.physiology.state import steady_state


def _inputs(n=9, seed=0):
    rng = np.random.default_rng(seed)
    cov = {
        "male": rng.choice([0.0, 0.5, 1.0], n),
        "age_decades": rng.uniform(-3, 3, n),
        "egfr": rng.uniform(30, 130, n),
        "supp_mg": rng.choice([0.0, 250.0], n),
        "supp_ca": rng.choice([0.0, 1000.0], n),
        "apart": rng.choice([0.0, 1.0], n),
        "site_status": rng.normal(0, 0.1, n),
        "thiazide": rng.choice([0.0, 1.0], n),
        "loop_diuretic": rng.choice([0.0, 1.0], n),
        "ppi": rng.choice([0.0, 1.0], n),
        "diabetes": rng.choice([0.0, 1.0], n),
        "alcohol_g": rng.choice([0.0, 20.0], n),
    }
    latent = {
        "log_intake_mg": np.log(rng.uniform(100, 600, n)),
        "log_intake_ca": np.log(rng.uniform(300, 2000, n)),
        "gut": rng.normal(0, 0.2, n),
        "renal": rng.normal(0, 0.2, n),
        "ca_dev": rng.normal(0, 0.03, n),
    }
    return cov, latent


def test_steady_state_numpy_and_pytensor_agree():
    theta = expand(load_config().center())
    cov, latent = _inputs()
    for mg_pth in (True, False):
        expected = steady_state(theta, cov, latent, mg_dependent_pth=mg_pth)
        theta_t = {k: pt.as_tensor_variable(np.asarray(v, float)) for k, v in theta.items()}
        latent_t = {k: pt.as_tensor_variable(v) for k, v in latent.items()}
        got = steady_state(theta_t, cov, latent_t, mg_dependent_pth=mg_pth)
        assert set(got) == set(expected)
        for key, value in expected.items():
            np.testing.assert_allclose(got[key].eval(), value, rtol=1e-10, err_msg=key)


def test_steady_state_broadcasts_over_draws():
    config = load_config()
    rng = np.random.default_rng(2)
    draws = {
        k: v[:, None] if v.ndim == 1 else v[:, None, :]
        for k, v in expand(config.sample(rng, 5)).items()
    }
    cov, latent = _inputs(n=4)
    latent = {k: np.broadcast_to(v, (5, 4)) for k, v in latent.items()}
    out = steady_state(draws, cov, latent)
    assert out["serum_mg_true"].shape == (5, 4)
    one = steady_state(
        {k: v[2] for k, v in draws.items()}, cov, {k: v[2] for k, v in latent.items()}
    )
    np.testing.assert_allclose(out["serum_mg_true"][2], one["serum_mg_true"])


def test_higher_absorption_raises_stores_and_urine():
    theta = expand(load_config().center())
    cov, latent = _inputs(n=1)
    low = steady_state(theta, cov, latent)
    latent["log_intake_mg"] = latent["log_intake_mg"] + 0.5
    high = steady_state(theta, cov, latent)
    assert high["absorbed_mg"] > low["absorbed_mg"]
    assert high["mg_status"] > low["mg_status"]
    assert high["urine_mg_true"] > low["urine_mg_true"]
    assert high["serum_mg_true"] > low["serum_mg_true"]


def _one(**latent_changes):
    theta = expand(load_config().center())
    cov, latent = _inputs(n=1, seed=5)
    cov |= {k: np.zeros(1) for k in ("thiazide", "loop_diuretic", "ppi", "diabetes", "alcohol_g")}
    latent |= {"gut": np.zeros(1), "renal": np.zeros(1)}
    base = steady_state(theta, cov, latent)
    changed = steady_state(theta, cov, latent | latent_changes)
    return base, changed


def test_renal_wasting_lowers_serum_mg_but_not_urine_mg():
    """At steady state urine Mg equals absorbed Mg: a wasting kidney lowers stores, so serum
    Mg falls while urine Mg stays and FEMg rises (Elisaf 1997)."""
    base, waster = _one(renal=np.array([0.5]))
    assert waster["serum_mg_true"] < base["serum_mg_true"] - 0.05
    np.testing.assert_allclose(waster["urine_mg_true"], base["urine_mg_true"])
    assert waster["femg"] > base["femg"]


def test_gut_loss_lowers_serum_and_urine_mg():
    """Extrarenal loss: less Mg absorbed, so urine Mg, serum Mg and FEMg all fall."""
    base, loser = _one(gut=np.array([-0.7]))
    assert loser["absorbed_mg"] < 0.55 * base["absorbed_mg"]
    assert loser["urine_mg_true"] < 0.55 * base["urine_mg_true"]
    assert loser["serum_mg_true"] < base["serum_mg_true"]
    assert loser["femg"] < base["femg"]


def test_exposures_shift_the_renal_and_gut_routes():
    theta = expand(load_config().center())
    cov, latent = _inputs(n=1, seed=6)
    none = {k: np.zeros(1) for k in ("thiazide", "loop_diuretic", "ppi", "diabetes", "alcohol_g")}
    base = steady_state(theta, cov | none, latent)
    thiazide = steady_state(theta, cov | none | {"thiazide": np.ones(1)}, latent)
    ppi = steady_state(theta, cov | none | {"ppi": np.ones(1)}, latent)
    assert thiazide["serum_mg_true"] < base["serum_mg_true"]
    np.testing.assert_allclose(thiazide["urine_mg_true"], base["urine_mg_true"])
    assert ppi["absorbed_mg"] < base["absorbed_mg"] and ppi["urine_mg_true"] < base["urine_mg_true"]


@pytest.mark.parametrize("keepdims", [False, True])
def test_numpy_logsumexp_matches_scipy_with_empty_and_infinite_terms(keepdims):
    """The fast numpy logsumexp: scipy's values, -inf where every term is -inf."""
    from scipy import special

    from camg_bayes.physiology.backend import logsumexp

    a = np.random.default_rng(1).normal(scale=30.0, size=(4, 5, 3))
    a[0, :, 1] = -np.inf
    a[1, 2, :] = -np.inf
    for axis in (0, -1):
        np.testing.assert_allclose(
            logsumexp(a, axis=axis, keepdims=keepdims),
            special.logsumexp(a, axis=axis, keepdims=keepdims),
            rtol=1e-13,
        )
    assert logsumexp(a, axis=-1)[1, 2] == -np.inf
