r"""The coordinates the sampler moves in: each subject's latents, whitened by its own data.

A subject's latents (:data:`camg_bayes.physiology.variation.LATENTS`) are not sampled
directly. Each is written as

.. math:: x = m(\theta, y) + s(\theta, y)\, \zeta,

where :math:`m, s` are the mean and SD of the latent's conditional posterior under a
linear-Gaussian approximation of the subject's own readings :math:`y` (recalls for the
intakes, 24-h urine Mg for the gut deviation, serum and ionized Ca and PTH for the Ca set
point, serum Mg for the renal deviation), taken in that order so that each uses the ones
before it. Serum and ionized Ca also inform usual Ca intake, through the absorption slope of
the set point, with the set-point deviation marginalised: in a cohort without recalls
(NHANES) Ca intake and the set-point deviation otherwise form a ridge whose width depends on
``ca_ion_absorption_slope``, a funnel the sampler crossed slowly. The sampler moves
:math:`\zeta`; the model's density is exact (prior of :math:`x`, every likelihood term,
and the Jacobian :math:`\sum \log s`), so the approximation only shapes the geometry.

Laboratory readings can be gross errors (:class:`~camg_bayes.physiology.observation.GrossError`).
For the renal and gut deviations, whose readings (serum and urine Mg) decide them, :math:`m`
and :math:`s` are the moments of the two-branch posterior, the reading true or a gross
error, weighted by each branch's evidence (:func:`_robust_posterior`): a reading far from
what the rest of the subject's data predict then leaves two modes a few units apart, not
one at the origin and one many units away.

For the Gaussian parts this is exact marginalisation done by a change of variables: with a
normal prior and normal readings, :math:`\zeta` is standard normal *whatever* the
population parameters, so between-person and within-person SDs no longer form the funnel
that made the sampler stall when one reading per person could not tell them apart. Where
a subject has no readings of a kind, the transform is the plain non-centred one.
"""

from __future__ import annotations

import numpy as np

from camg_bayes.cohort.units import MOLAR_MASS
from camg_bayes.model.design import Design
from camg_bayes.physiology import calcium, magnesium
from camg_bayes.physiology.backend import namespace
from camg_bayes.physiology.observation import BY_COLUMN, gross_error
from camg_bayes.physiology.state import (
    absorption_step,
    ca_absorbed,
    ca_absorbed_elasticity,
    calcium_set_point,
    intake_location,
    log_by_sex,
    renal_loss,
)
from camg_bayes.physiology.variation import LATENTS, moments

#: Readings each coordinate is whitened by: column -> (count, mean, extra SD) per subject.
ANCHORS = ("diet_mg", "diet_ca", "urine_mg", "serum_ca", "ionized_ca", "pth", "serum_mg")


def anchors(design: Design) -> dict:
    """Per subject, each anchoring measurement's reading count, mean and extra SD (numpy).

    Subjects without a reading have count 0 (their mean is a harmless placeholder).
    """
    out = {}
    for column in ANCHORS:
        count, mean, extra = np.zeros(design.n), np.zeros(design.n), np.zeros(design.n)
        summary = design.summaries.get(column)
        if summary is not None:
            count[summary.subject] = summary.count
            mean[summary.subject] = summary.mean
            extra[summary.subject] = summary.extra_sd
        if column == "serum_mg":  # a placeholder inside the serum map's range
            mean = np.where(count > 0, mean, 0.85)
        out[column] = (count, mean, extra)
    return out


def _update(precision, numerator, slope, residual, variance, count):
    """Add a normal reading ``residual ~ N(slope x, variance)`` to a normal posterior of x."""
    weight = (count > 0) * slope / variance
    return precision + weight * slope, numerator + weight * residual


def latents_from_coordinates(theta: dict, cov: dict, zeta, data: dict) -> tuple[dict, object]:
    """Latents and the log Jacobian from the sampler's coordinates ``zeta``.

    Parameters
    ----------
    theta : dict
        Expanded parameters (:func:`camg_bayes.physiology.parameters.expand`).
    cov : dict
        Subject covariates with site offsets.
    zeta : array_like
        Coordinates, last axis the five latents in the order of ``LATENTS``.
    data : dict
        :func:`anchors` of the subjects.

    Returns
    -------
    tuple
        ``latent`` (dict of the five latents) and the log Jacobian per subject.
    """
    xp = namespace(*theta.values(), zeta)
    z = {name: zeta[..., i] for i, name in enumerate(LATENTS)}
    latent, _, log_jac = _walk(theta, cov, data, xp, z=z)
    return latent, log_jac


def coordinates_from_latents(theta: dict, cov: dict, latent: dict, data: dict):
    """The inverse of :func:`latents_from_coordinates` (numpy): coordinates and log Jacobian.

    Returns
    -------
    tuple
        ``zeta`` (last axis the latents in the order of ``LATENTS``) and the log Jacobian
        of the forward map, per subject.
    """
    _, z, log_jac = _walk(theta, cov, data, np, latent=latent)
    return np.stack([z[name] for name in LATENTS], axis=-1), log_jac


def _walk(theta, cov, data, xp, *, z=None, latent=None):
    """The latents in order, each from its conditional mean and SD given those before it.

    Given coordinates ``z`` it returns the latents (forward); given ``latent`` the
    coordinates (inverse). Either way: ``(latent, z, log Jacobian)``.
    """
    forward = latent is None
    latent = {} if forward else dict(latent)
    z = {} if z is None else dict(z)
    (m1, m2), (k11, k21, k22) = _intakes(
        theta, cov, data, xp, _calcium_on_intake(theta, cov, data, xp)
    )
    if forward:
        latent["log_intake_mg"] = m1 + k11 * z["log_intake_mg"]
        latent["log_intake_ca"] = m2 + k21 * z["log_intake_mg"] + k22 * z["log_intake_ca"]
    else:
        z["log_intake_mg"] = (latent["log_intake_mg"] - m1) / k11
        z["log_intake_ca"] = (latent["log_intake_ca"] - m2 - k21 * z["log_intake_mg"]) / k22
    log_jac = xp.log(k11) + xp.log(k22)

    def step(name, mean, sd):
        if forward:
            latent[name] = mean + sd * z[name]
        else:
            z[name] = (latent[name] - mean) / sd
        return xp.log(sd)

    intakes = {k: latent[k] for k in ("log_intake_mg", "log_intake_ca")}
    state = absorption_step(theta, cov, intakes | {"gut": 0.0}, xp)
    log_jac = log_jac + step("gut", *_gut(theta, cov, data, state, xp))
    base = calcium_set_point(theta, cov, {"ca_dev": 0.0}, state["absorbed_ca"], xp)
    log_jac = log_jac + step("ca_dev", *_calcium(theta, cov, data, base, xp))
    absorbed = state["absorbed_mg_diet"] * xp.exp(latent["gut"] + theta["gut_ppi"] * cov["ppi"])
    log_jac = log_jac + step(
        "renal", *_renal(theta, cov, data, base + latent["ca_dev"], absorbed, xp)
    )
    return latent, z, log_jac


def _intakes(theta, cov, data, xp, ca_evidence=(0.0, 0.0)):
    """Usual intakes from the recalls: an exact bivariate normal conditional.

    ``ca_evidence`` (precision, precision times value) is added to log Ca intake: the
    Ca readings' evidence from :func:`_calcium_on_intake`.

    Returns
    -------
    tuple
        The means ``(m1, m2)`` of log Mg and Ca intake and the Cholesky factor
        ``(k11, k21, k22)`` of their covariance.
    """
    mu_mg, mu_ca = intake_location(theta, cov)
    s1, s2 = theta["intake_mg_sd"], theta["intake_ca_sd"]
    rho = theta["intake_corr"]
    det = (s1 * s2) ** 2 * (1.0 - rho**2)
    p11, p12, p22 = s2**2 / det, -rho * s1 * s2 / det, s1**2 / det
    n_mg, y_mg, _ = data["diet_mg"]
    n_ca, y_ca, _ = data["diet_ca"]
    w_mg = (n_mg > 0) * n_mg / theta["recall_mg_sd"] ** 2
    w_ca = (n_ca > 0) * n_ca / theta["recall_ca_sd"] ** 2
    # a recall's log mean sits half a variance below log usual intake (mean_corrected)
    obs_mg = y_mg + 0.5 * theta["recall_mg_sd"] ** 2
    obs_ca = y_ca + 0.5 * theta["recall_ca_sd"] ** 2
    q11, q12, q22 = p11 + w_mg, p12, p22 + w_ca + ca_evidence[0]
    det_q = q11 * q22 - q12**2
    c11, c12, c22 = q22 / det_q, -q12 / det_q, q11 / det_q
    b1 = p11 * mu_mg + p12 * mu_ca + w_mg * obs_mg
    b2 = p12 * mu_mg + p22 * mu_ca + w_ca * obs_ca + ca_evidence[1]
    k11 = xp.sqrt(c11)
    k21 = c12 / k11
    return (c11 * b1 + c12 * b2, c12 * b1 + c22 * b2), (k11, k21, xp.sqrt(c22 - k21**2))


def _gut(theta, cov, data, state, xp):
    """Gut deviation from 24-h urine Mg (log urine ~ log absorbed, slope 1): mean and SD."""
    mean, sd = moments(theta)["gut"]
    n, y, extra = data["urine_mg"]
    absorbed = state["absorbed_mg_diet"] * xp.exp(mean + theta["gut_ppi"] * cov["ppi"])
    net = absorbed - theta["sweat_mg_loss"] * (1.0 - xp.exp(-absorbed / theta["sweat_mg_loss"]))
    residual = y - xp.log(net / MOLAR_MASS["mg"])
    within = theta["urine_mg_sd"] ** 2
    gross = gross_error(BY_COLUMN["urine_mg"], theta)
    shift, sd = _robust_posterior(0.0, sd, 1.0, residual, (within, extra**2), n, gross, xp)
    return mean + shift, sd


def _ca_readings(theta, data, base, precision, numerator, xp):
    """Add serum and ionized Ca, readings of ``base`` plus the set-point deviation."""
    n, y, extra = data["serum_ca"]
    total = theta["ca_total_per_ionized"]
    variance = theta["serum_ca_sd"] ** 2 / xp.maximum(n, 1.0) + extra**2
    precision, numerator = _update(precision, numerator, total, y - total * base, variance, n)
    n, y, _ = data["ionized_ca"]
    variance = theta["ionized_ca_sd"] ** 2 / xp.maximum(n, 1.0)
    return _update(precision, numerator, 1.0, y - base, variance, n)


def _calcium_on_intake(theta, cov, data, xp):
    r"""Evidence of serum and ionized Ca on log usual Ca intake :math:`x`.

    The set point is :math:`b(x) + d`, with :math:`d \sim N(0, \sigma_d^2)` the
    deviation; linearised at the intake location :math:`x_0`,
    :math:`b(x) \approx b_0 + a (x - x_0)`. The readings estimate :math:`u = b + d` with
    precision :math:`Q`; marginally over :math:`d` that estimate is
    :math:`N(b_0 + a (x - x_0), \sigma_d^2 + 1/Q)`, a reading of :math:`x`.

    Returns
    -------
    tuple
        Precision :math:`a^2 Q / (1 + \sigma_d^2 Q)` and precision times value, to add to
        the Ca intake's normal conditional (zero for a subject without Ca readings).
    """
    x0 = intake_location(theta, cov)[1]
    intake = xp.exp(x0)
    absorbed = ca_absorbed(theta, intake, cov["supp_ca"])
    elasticity = ca_absorbed_elasticity(theta, intake, cov["supp_ca"], absorbed)
    slope = theta["ca_ion_absorption_slope"] * elasticity
    base = calcium_set_point(theta, cov, {"ca_dev": 0.0}, absorbed, xp)
    q, r = _ca_readings(theta, data, base, 0.0, 0.0, xp)
    shrink = 1.0 / (1.0 + theta["ca_ion_sd"] ** 2 * q)
    weight = slope**2 * q * shrink
    return weight, slope * r * shrink + weight * x0


def _calcium(theta, cov, data, base, xp):
    """Ca set-point deviation from serum and ionized Ca and PTH (linearised): mean and SD."""
    sd = theta["ca_ion_sd"]
    precision, numerator = _ca_readings(theta, data, base, 1.0 / sd**2, 0.0, xp)
    n, y, _ = data["pth"]
    response = calcium.pth_calcium_response(
        base,
        ca_ion_ref=theta["ca_ion_ref"],
        hill=theta["pth_hill"],
        min_ratio=theta["pth_min_ratio"],
        max_ratio=theta["pth_max_ratio"],
    )
    slope = _log_response_slope(theta, base, response, xp)
    level = (
        log_by_sex(theta["pth_ref"], cov["male"])
        + theta["pth_age_slope"] * cov["age_decades"]
        + theta["pth_gfr_slope"] * xp.log(cov["egfr"] / theta["egfr_ref"])
    )
    variance = theta["pth_between_sd"] ** 2 + theta["pth_within_sd"] ** 2 / xp.maximum(n, 1.0)
    residual = y - level - xp.log(response)
    precision, numerator = _update(precision, numerator, slope, residual, variance, n)
    return numerator / precision, 1.0 / xp.sqrt(precision)


def _log_response_slope(theta, ca, response, xp):
    """D log R / d Ca of the Ca-sensing PTH curve at ``ca``, per mmol/L."""
    lo, hi = theta["pth_min_ratio"], theta["pth_max_ratio"]
    u = xp.exp(theta["pth_hill"] * xp.log(ca / theta["ca_ion_ref"])) * (hi - 1.0) / (1.0 - lo)
    return -(hi - lo) * u * theta["pth_hill"] / (ca * (1.0 + u) ** 2 * response)


def _renal(theta, cov, data, ca_ion, absorbed, xp):
    """Renal deviation from serum Mg, the serum map linearised at the reading: mean and SD."""
    mean, sd = moments(theta)["renal"]
    n, y, _ = data["serum_mg"]
    s_max, scale = theta["serum_mg_max"], theta["mg_status_scale"]
    factor = magnesium.renal_mg_excretion_factor(
        ca_ion,
        cov["egfr"],
        casr_slope=theta["mg_casr_slope"],
        gfr_elasticity=theta["mg_gfr_elasticity"],
        ca_ion_ref=theta["ca_ion_ref"],
        egfr_ref=theta["egfr_ref"],
    )
    # log stores before the renal deviation, and where the reading puts them
    log_m0 = (
        log_by_sex(theta["mg_status_ref"], cov["male"])
        + theta["mg_status_age_slope"] * cov["age_decades"]
        + cov["site_status"]
        - renal_loss(theta, cov, 0.0)
        + theta["mg_balance_elasticity"]
        * (xp.log(absorbed / theta["mg_absorbed_ref"]) - xp.log(factor))
    )
    reading = xp.minimum(xp.maximum(y, 0.3 * s_max), 0.97 * s_max)
    at = xp.log(-scale * xp.log1p(-reading / s_max))
    slope = s_max * xp.exp(-xp.exp(at) / scale) * xp.exp(at) / scale
    # serum ~ reading + slope (log_m0 - renal - at): a reading of -slope times the deviation
    residual = y - reading - slope * (log_m0 - at)
    within = theta["serum_mg_sd"] ** 2
    gross = gross_error(BY_COLUMN["serum_mg"], theta)
    return _robust_posterior(mean, sd, -slope, residual, (within, 0.0), n, gross, xp)


def _robust_posterior(mean, sd, slope, residual, variances, count, gross, xp):
    r"""Normal approximation of x's posterior given ``count`` readings with a gross error.

    The prior is :math:`x \sim N(m, s^2)`; the mean of the readings is
    :math:`r = a x + e`, with :math:`e` normal of variance :math:`\sigma^2/n + v_e`
    (``variances`` :math:`(\sigma^2, v_e)`, within-subject and known extra) or, when one of
    the :math:`n` readings has a gross error (probability
    :math:`1 - (1 - \varepsilon)^n`), of variance :math:`\sigma^2 (\kappa^2 + n - 1)/n^2
    + v_e`. Each branch has a normal posterior; the result is the mean and SD of their
    mixture, weighted by each branch's evidence for :math:`r`.

    Where the reading is ordinary this is the normal branch. Where it is far from the
    prior, the posterior has two modes (the reading is true, or it is a gross error), and
    coordinates scaled to the normal branch alone would put the second mode many units
    away, where the sampler seldom went (subject R-hat up to 1.04 in the renal-wasting
    world); the mixture's moments span both. With ``gross`` None: the normal branch.
    """
    within, extra = variances
    n = xp.maximum(count, 1.0)
    variance = within / n + extra
    prior_precision, prior_numerator = 1.0 / sd**2, mean / sd**2
    precision, numerator = _update(
        prior_precision, prior_numerator, slope, residual, variance, count
    )
    m1, v1 = numerator / precision, 1.0 / precision
    if gross is None:
        return m1, xp.sqrt(v1)
    gross_variance = within * (gross.width**2 + n - 1.0) / n**2 + extra
    precision, numerator = _update(
        prior_precision, prior_numerator, slope, residual, gross_variance, count
    )
    m2, v2 = numerator / precision, 1.0 / precision
    ops = namespace(gross.share, residual, slope)  # ``xp`` is plain numpy in the inverse
    log_ordinary, _ = gross.log_weights()
    log_none = n * log_ordinary  # no gross reading among the n
    spread = slope**2 * sd**2
    s1, s2 = spread + variance, spread + gross_variance
    square = (residual - slope * mean) ** 2
    logit = (
        log_none
        - ops.log(-ops.expm1(log_none))
        - 0.5 * ops.log(s1 / s2)
        - 0.5 * square * (1 / s1 - 1 / s2)
    )
    w = ops.sigmoid(logit)
    m = w * m1 + (1.0 - w) * m2
    v = w * (v1 + (m1 - m) ** 2) + (1.0 - w) * (v2 + (m2 - m) ** 2)
    return m, xp.sqrt(v)
