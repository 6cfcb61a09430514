r"""Between-person variation: the prior of each subject's latent variables.

Each subject has five latents, in natural units (:data:`LATENTS`):

* ``log_intake_mg``, ``log_intake_ca``: log usual dietary intakes, mg/d, bivariate normal
  around the population means of the subject's sex, age and site;
* ``gut``: deviation of log net Mg absorption (gut handling), a normal core with an
  exponential *left* tail: the minority who lose Mg in the gut (diarrhoea, malabsorption);
* ``renal``: loss of log Mg stores from renal handling, a normal core with an exponential
  *right* tail: the minority who waste Mg in urine (high FEMg);
* ``ca_dev``: deviation of the ionized Ca set point, mmol/L, normal.

The tails make "low serum with high urine Mg" (renal wasting) and "low serum with low
urine Mg" (gut loss) ordinary outcomes of the model. A normal core plus an exponential
tail is the exponentially modified normal distribution (EMG),

.. math:: f(x) = \lambda\, e^{\lambda^2\sigma^2/2 - \lambda x}\, \Phi(x/\sigma - \lambda\sigma),
          \qquad x = \sigma z + e,\; z \sim N(0, 1),\; e \sim \mathrm{Exp}(\lambda),

which is log-concave: a subject's posterior along the renal, gut and intake directions has
a single mode, so the sampler never has to jump between "renal" and "gut" explanations.
Both deviations are centred (mean zero): the tail's scale changes who is in the tail, not
the population's average stores, which the intercepts carry.
Covariate effects (diuretics, PPIs, diabetes, alcohol) shift the deviations in
:func:`camg_bayes.physiology.state.steady_state`, not here.

References
----------
.. [Elisaf1997] Elisaf M et al. Fractional excretion of magnesium in normal subjects and
   in patients with hypomagnesemia. Magnes Res 1997;10:315.
"""

from __future__ import annotations

import numpy as np

from camg_bayes.physiology.backend import log_ndtr, namespace
from camg_bayes.physiology.state import intake_location

#: The latents of one subject, in this order wherever they form a vector.
LATENTS = ("log_intake_mg", "log_intake_ca", "gut", "renal", "ca_dev")


def emg_logpdf(x, sigma, tail):
    """Log density of the exponentially modified normal: ``sigma * z + e``, mean ``tail``.

    Parameters
    ----------
    x : array_like
        Values.
    sigma : array_like
        SD of the normal core, > 0.
    tail : array_like
        Mean of the exponential part, > 0 (the right tail's scale).
    """
    rate = 1.0 / tail
    xp = namespace(x, sigma, tail)
    return xp.log(rate) + 0.5 * (rate * sigma) ** 2 - rate * x + log_ndtr(x / sigma - rate * sigma)


def intake_cholesky(theta: dict):
    """The Cholesky factor of the usual-intake covariance: ``(l11, l21, l22)``."""
    xp = namespace(theta["intake_corr"])
    rho = theta["intake_corr"]
    return (
        theta["intake_mg_sd"],
        rho * theta["intake_ca_sd"],
        theta["intake_ca_sd"] * xp.sqrt(1.0 - rho**2),
    )


def prior_logpdf(theta: dict, cov: dict, latent: dict):
    """Log prior density of each subject's latents (natural units), summed over latents.

    Works on numpy arrays and pytensor tensors; broadcasts like the state functions.
    """
    xp = namespace(*theta.values(), *latent.values())
    mu_mg, mu_ca = intake_location(theta, cov)
    l11, l21, l22 = intake_cholesky(theta)
    z1 = (latent["log_intake_mg"] - mu_mg) / l11
    z2 = (latent["log_intake_ca"] - mu_ca - l21 * z1) / l22
    normal = -0.5 * (z1**2 + z2**2) - xp.log(l11) - xp.log(l22) - np.log(2 * np.pi)
    k = latent["ca_dev"] / theta["ca_ion_sd"]
    normal = normal - 0.5 * k**2 - xp.log(theta["ca_ion_sd"]) - 0.5 * np.log(2 * np.pi)
    gut_tail, renal_tail = theta["gut_loss_scale"], theta["renal_loss_scale"]
    gut = emg_logpdf(gut_tail - latent["gut"], theta["gut_sd"], gut_tail)
    renal = emg_logpdf(latent["renal"] + renal_tail, theta["renal_sd"], renal_tail)
    return normal + gut + renal


def moments(theta: dict) -> dict:
    """Prior mean (zero) and SD of the gut and renal deviations (the sampler's coordinates)."""
    xp = namespace(theta["gut_sd"], theta["renal_sd"])
    return {
        "gut": (0.0, xp.sqrt(theta["gut_sd"] ** 2 + theta["gut_loss_scale"] ** 2)),
        "renal": (0.0, xp.sqrt(theta["renal_sd"] ** 2 + theta["renal_loss_scale"] ** 2)),
    }


def sample(theta: dict, cov: dict, rng: np.random.Generator, shape: tuple) -> dict:
    """Draw latents from their prior (numpy), each of ``shape`` (ending in the subjects)."""
    mu_mg, mu_ca = intake_location(theta, cov)
    l11, l21, l22 = intake_cholesky(theta)
    z1, z2, z3, z4, z5 = rng.standard_normal((5, *shape))
    e_gut, e_renal = rng.exponential(size=(2, *shape))
    return {
        "log_intake_mg": mu_mg + l11 * z1,
        "log_intake_ca": mu_ca + l21 * z1 + l22 * z2,
        "gut": theta["gut_sd"] * z3 - theta["gut_loss_scale"] * (e_gut - 1.0),
        "renal": theta["renal_sd"] * z4 + theta["renal_loss_scale"] * (e_renal - 1.0),
        "ca_dev": theta["ca_ion_sd"] * z5,
    }


def stack(latent: dict) -> np.ndarray:
    """The latents as a vector on a last axis, in the order of :data:`LATENTS`."""
    return np.stack([np.asarray(latent[name], dtype=float) for name in LATENTS], axis=-1)


def unstack(u: np.ndarray) -> dict:
    """Inverse of :func:`stack`."""
    return {name: u[..., i] for i, name in enumerate(LATENTS)}
