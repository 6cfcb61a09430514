"""The sampler's coordinates: how close the whitened latents are to each subject's posterior."""

import warnings

import numpy as np
import pytest
from scipy import stats

from camg_bayes.cohort import CohortWarning, read_cohort
from camg_bayes.model import whiten
from camg_bayes.model.config import load_config
from camg_bayes.model.design import build_design
from camg_bayes.model.simulate import simulate
from camg_bayes.physiology.observation import GrossError
from camg_bayes.physiology.parameters import expand
from camg_bayes.physiology.state import steady_state
from camg_bayes.physiology.variation import LATENTS, prior_logpdf

DRAWS = 4000


@pytest.fixture(scope="module")
def serum_ca_only():
    """A cohort like NHANES 2017-18: serum Ca and albumin, no recalls, no Mg, no urine.

    Its readings have normal errors, as the exact posterior below assumes.
    """
    config = load_config()
    sim = simulate(40, random_seed=11, n_sites=0, params={"gross_error_share": 0.0})
    cohort = sim.cohort.copy()
    for column in ("diet_mg", "diet_ca", "serum_mg", "ionized_ca", "pth", "urine_mg", "urine_ca"):
        cohort[column] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        design = build_design(read_cohort(cohort, name="serum Ca only"), config)
    theta = config.center() | {"ca_ion_absorption_slope": np.asarray(0.08)}
    return expand(theta), design


def importance_efficiency(theta, design) -> np.ndarray:
    """Per subject: ESS / draws of the posterior weighed against the whitened coordinates.

    The coordinates are drawn standard normal and mapped to latents; the target is the
    exact posterior of the latents given serum Ca (normal errors) at fixed parameters.
    """
    rng = np.random.default_rng(5)
    cov = dict(design.cov) | {"site_intake": 0.0, "site_status": 0.0}
    zeta = rng.standard_normal((DRAWS, design.n, len(LATENTS)))
    latent, log_jac = whiten.latents_from_coordinates(theta, cov, zeta, whiten.anchors(design))
    state = steady_state(theta, cov, latent)
    summary = design.summaries["serum_ca"]
    serum = np.full((DRAWS, design.n), np.nan)
    serum[:, summary.subject] = summary.mean
    sd = np.sqrt(theta["serum_ca_sd"] ** 2 / np.maximum(1, _counts(design)) + _extra(design) ** 2)
    reading = np.where(
        np.isfinite(serum), stats.norm.logpdf(serum, state["serum_ca_corrected"], sd), 0.0
    )
    log_w = prior_logpdf(theta, cov, latent) + reading + log_jac + 0.5 * (zeta**2).sum(axis=-1)
    w = np.exp(log_w - log_w.max(axis=0))
    return w.sum(axis=0) ** 2 / (w**2).sum(axis=0) / DRAWS


def _counts(design):
    out = np.zeros(design.n)
    out[design.summaries["serum_ca"].subject] = design.summaries["serum_ca"].count
    return out


def _extra(design):
    out = np.zeros(design.n)
    out[design.summaries["serum_ca"].subject] = design.summaries["serum_ca"].extra_sd
    return out


def test_serum_ca_informs_ca_intake_in_the_coordinates(serum_ca_only, monkeypatch):
    """Without recalls, serum Ca's evidence on Ca intake makes the coordinates near-exact.

    Ca intake and the set-point deviation share serum Ca through the absorption slope;
    coordinates that ignore that (intake from its prior alone) leave a ridge the sampler
    must cross, and their importance efficiency is lower.
    """
    theta, design = serum_ca_only
    joint = importance_efficiency(theta, design)
    monkeypatch.setattr(whiten, "_calcium_on_intake", lambda *args: (0.0, 0.0))
    separate = importance_efficiency(theta, design)
    assert np.median(joint) > 0.9, np.median(joint)
    assert np.median(joint) > np.median(separate) + 0.02, (np.median(joint), np.median(separate))
    assert joint.min() > separate.min(), (joint.min(), separate.min())


def test_coordinates_from_latents_inverts_the_transform():
    """Forward then inverse returns the coordinates, with the same log Jacobian."""
    config = load_config()
    sim = simulate(30, random_seed=3, n_sites=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        design = build_design(read_cohort(sim.cohort, name="full"), config)
    theta = expand(config.center())
    cov = dict(design.cov) | {"site_intake": 0.0, "site_status": 0.0}
    zeta = np.random.default_rng(2).standard_normal((7, design.n, len(LATENTS)))
    data = whiten.anchors(design)
    latent, log_jac = whiten.latents_from_coordinates(theta, cov, zeta, data)
    back, log_jac_back = whiten.coordinates_from_latents(theta, cov, latent, data)
    np.testing.assert_allclose(back, zeta, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(log_jac_back, log_jac, rtol=1e-12)


def _quadrature_moments(mean, sd, slope, residual, within, count, gross):
    """Posterior mean and SD of x on a fine grid: normal prior, contaminated readings' mean."""
    x = np.linspace(mean - 12 * sd, mean + 12 * sd, 200_001)
    n = max(count, 1)
    share = 1.0 - (1.0 - gross.share) ** n
    normal = stats.norm.pdf(residual, slope * x, np.sqrt(within / n))
    wide = stats.norm.pdf(residual, slope * x, np.sqrt(within * (gross.width**2 + n - 1) / n**2))
    density = stats.norm.pdf(x, mean, sd) * ((1 - share) * normal + share * wide)
    density /= density.sum()
    m = (x * density).sum()
    return m, np.sqrt(((x - m) ** 2 * density).sum())


@pytest.mark.parametrize("residual", [0.01, -0.3, -0.45])
@pytest.mark.parametrize("count", [1, 2])
def test_a_far_reading_gives_coordinates_that_span_both_explanations(residual, count):
    """With a gross error possible, the coordinates follow the exact posterior's moments.

    The linear case (a serum Mg reading ``residual = -slope x + e``): the posterior is a
    two-component normal mixture, whose mean and SD the coordinates must match. A reading
    near the prior leaves the normal branch almost unchanged; a far one moves the centre
    and widens the scale to cover both the reading being true and it being a gross error.
    """
    gross = GrossError(0.01, 6.0)
    mean, sd, slope, within = 0.1, 0.25, 0.3, 0.03**2
    m, s = whiten._robust_posterior(
        mean, sd, -slope, residual, (within, 0.0), np.asarray(float(count)), gross, np
    )
    m_exact, s_exact = _quadrature_moments(mean, sd, -slope, residual, within, count, gross)
    np.testing.assert_allclose([m, s], [m_exact, s_exact], rtol=1e-6, atol=1e-9)
    m_normal, s_normal = whiten._robust_posterior(
        mean, sd, -slope, residual, (within, 0.0), np.asarray(float(count)), None, np
    )
    z = abs(residual + slope * mean) / np.sqrt(slope**2 * sd**2 + within / count)
    if z < 1:  # an ordinary reading: close to the normal branch
        assert abs(m - m_normal) < 0.1 * s_normal and s < 1.15 * s_normal, (m, s, m_normal)
    else:  # a reading more than 3 SD out: much wider than the normal branch alone
        assert z > 3 and s > 1.5 * s_normal, (z, s, s_normal)


def test_without_readings_the_coordinates_are_the_prior():
    """A subject with no reading of the kind keeps the prior, gross error or not."""
    m, s = whiten._robust_posterior(
        0.1, 0.25, -0.3, 5.0, (0.03**2, 0.0), np.asarray(0.0), GrossError(0.01, 6.0), np
    )
    np.testing.assert_allclose([m, s], [0.1, 0.25])
