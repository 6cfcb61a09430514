r"""How each measurement relates to a subject's steady state: one spec, three uses.

Every measurement is a noisy reading of one steady-state quantity (:mod:`camg_bayes.state`):
on the log scale for intakes, PTH and urine, on the natural scale for serum values. Some
have a between-subject deviation beyond the model's state (PTH: the gland set point;
urine Ca: bone balance and diet), which is integrated out analytically.

For subject :math:`i` with :math:`k_i` readings :math:`y_{ij}` (transformed), mean
:math:`\bar y_i` and within sum of squares :math:`SS_i`:

.. math::
    \bar y_i = \mu_i + b_i + \bar e_i, \quad b_i \sim N(0, \sigma_b), \qquad
    SS_i \sim \mathrm{Gamma}\left(\frac{k_i - 1}{2}, \frac{1}{2\sigma_w^2}\right).

With normal errors the mean is normal with variance :math:`\sigma_b^2 + \sigma_w^2/k_i`,
the exact likelihood of the readings with :math:`b_i` marginalised (the
sufficient-statistic form, also used for repeated recalls). Laboratory readings have
Student-t errors (``reading_nu``, 4 by default), so that a gross error (a haemolysed
sample, a half-collected urine) is discounted rather than believed; the simulator draws
each such reading's error from the same t (cut at :data:`T_LIMIT` scale units). 24-h
recalls keep normal errors on the log scale. The density of the mean is then the normal-t
convolution, integrated on fixed nodes over the t's precision
(:func:`log_mean_density`): exact for one reading up to a quadrature error below 1e-5.
For a laboratory reading without a deviation (serum Mg, ionized Ca, urine Mg), repeats
enter through each reading's own t density, exact. With a deviation (PTH, urine Ca) the
repeats share one precision, and the Gamma term of the within sum of squares is matched
to the t's variance: approximations. The PyMC model, the numpy
scoring code and the simulator all read :data:`MEASUREMENTS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytensor.tensor as pt
from pytensor.graph.basic import Variable
from pytensor.tensor.exceptions import NotScalarConstantError
from scipy import special

from camg_bayes.physiology.backend import namespace


@dataclass(frozen=True)
class Measurement:
    r"""The observation model of one cohort column.

    Attributes
    ----------
    column : str
        Cohort column.
    state : str
        Steady-state quantity it measures (key of :func:`camg_bayes.state.steady_state`,
        or ``intake_mg``/``intake_ca``).
    log : bool
        Modelled on the log scale (multiplicative error).
    within : str
        Parameter holding the within-subject (day-to-day plus analytical) SD.
    between : str or None
        Parameter holding the SD of a between-subject deviation that is integrated out.
    mean_corrected : bool
        For log-scale readings whose arithmetic mean is the state (24-h recalls: usual
        intake is the long-run mean of recalls): the log mean is lowered by
        :math:`\sigma_w^2/2`.
    floor : float
        Readings below are raised to it before taking logs (a recall of 0 mg), natural
        units.
    robust : bool
        Student-t error (``reading_nu``) for a laboratory reading, which can be grossly
        wrong; normal for a 24-h recall, whose day-to-day spread is already wide on the log
        scale.
    adjusted_by : str or None
        Parameter of a linear adjustment applied to the readings on load, with its prior
        centre (serum Ca to the reference albumin, ``albumin_ca_slope``). When the
        parameter is free, the mean reading is shifted by :func:`adjustment`.
    """

    column: str
    state: str
    log: bool
    within: str
    between: str | None = None
    mean_corrected: bool = False
    floor: float = 0.0
    robust: bool = True
    adjusted_by: str | None = None


MEASUREMENTS: tuple[Measurement, ...] = (
    Measurement(
        "diet_mg", "intake_mg", True, "recall_mg_sd", mean_corrected=True, floor=10.0, robust=False
    ),
    Measurement(
        "diet_ca", "intake_ca", True, "recall_ca_sd", mean_corrected=True, floor=20.0, robust=False
    ),
    Measurement("serum_mg", "serum_mg_true", False, "serum_mg_sd"),
    Measurement(
        "serum_ca", "serum_ca_corrected", False, "serum_ca_sd", adjusted_by="albumin_ca_slope"
    ),
    Measurement("ionized_ca", "ca_ion_true", False, "ionized_ca_sd"),
    Measurement("pth", "pth_expected", True, "pth_within_sd", between="pth_between_sd", floor=0.1),
    Measurement("urine_mg", "urine_mg_true", True, "urine_mg_sd", floor=0.05),
    Measurement(
        "urine_ca",
        "urine_ca_expected",
        True,
        "urine_ca_within_sd",
        between="urine_ca_between_sd",
        floor=0.05,
    ),
)
BY_COLUMN = {m.column: m for m in MEASUREMENTS}


def to_model_scale(measurement: Measurement, values: np.ndarray) -> np.ndarray:
    """Transform readings (natural units) to the scale their error model is on."""
    values = np.asarray(values, dtype=float)
    if measurement.log:
        return np.log(np.maximum(values, measurement.floor))
    return values


def from_model_scale(measurement: Measurement, values):
    """Inverse of :func:`to_model_scale` (above the floor)."""
    return np.exp(values) if measurement.log else values


def degrees_of_freedom(measurement: Measurement, theta: dict):
    """The t degrees of freedom of a measurement's error: ``reading_nu``, or inf (normal)."""
    return theta["reading_nu"] if measurement.robust else np.inf


def location(measurement: Measurement, state_value, within_sd):
    """Mean of a transformed reading given the state (works on numpy and pytensor)."""
    if not measurement.log:
        return state_value
    mu = namespace(state_value).log(state_value)
    if measurement.mean_corrected:
        mu = mu - 0.5 * within_sd**2
    return mu


@dataclass(frozen=True)
class Summary:
    r"""Sufficient statistics of one measurement in a cohort.

    Attributes
    ----------
    subject : numpy.ndarray of int
        Index of each summarised subject (those with at least one reading).
    count : numpy.ndarray of int
        Readings per subject, :math:`k_i`.
    mean : numpy.ndarray
        Mean transformed reading, :math:`\bar y_i`.
    ss : numpy.ndarray
        Within-subject sum of squares, :math:`SS_i` (0 when :math:`k_i = 1`).
    extra_sd : numpy.ndarray
        Known extra between-subject SD (serum Ca without albumin), 0 otherwise.
    gap : numpy.ndarray or None
        For an adjusted measurement, the covariate of the adjustment averaged over the
        subject's readings (serum Ca: reference albumin minus albumin, g/L); None otherwise.
    applied : float
        Coefficient the readings were adjusted with on load (the prior centre).
    deviation : numpy.ndarray or None
        Each reading minus the subject's mean, ``(subject, occasion)``, NaN where there is
        no reading; None for one reading per subject.
    """

    subject: np.ndarray
    count: np.ndarray
    mean: np.ndarray
    ss: np.ndarray
    extra_sd: np.ndarray
    gap: np.ndarray | None = None
    applied: float = 0.0
    deviation: np.ndarray | None = None

    @property
    def repeated(self) -> np.ndarray:
        """Positions (into this summary) of subjects with two or more readings."""
        return np.flatnonzero(self.count > 1)


#: Rounding resolution on the model scale: identical repeated readings (two recalls of the
#: same rounded value) get a within sum of squares of at least (k - 1) times its square,
#: as the rounding error alone would give; an SS of exactly 0 has no Gamma density.
RESOLUTION = 5e-4


def summarise(
    values: np.ndarray,
    extra_sd: np.ndarray | None = None,
    gap: np.ndarray | None = None,
    applied: float = 0.0,
) -> Summary:
    """Sufficient statistics of transformed readings, shape ``(subject, occasion)``.

    ``gap`` (same shape, the covariate of an adjustment applied with coefficient
    ``applied``) is averaged over each subject's readings.
    """
    have = np.isfinite(values)
    count = have.sum(axis=1)
    subject = np.flatnonzero(count > 0)
    filled = np.where(have, values, 0.0)
    mean = filled.sum(axis=1)[subject] / count[subject]
    deviation = np.where(have[subject], values[subject] - mean[:, None], 0.0)
    ss = np.maximum((deviation**2).sum(axis=1), (count[subject] - 1) * RESOLUTION**2)
    extra = np.zeros(len(subject)) if extra_sd is None else np.asarray(extra_sd, float)[subject]
    if gap is not None:
        gap = np.where(have, gap, 0.0).sum(axis=1)[subject] / count[subject]
    deviation = np.where(have[subject], deviation, np.nan)
    return Summary(subject, count[subject], mean, ss, extra, gap, float(applied), deviation)


def sds(measurement: Measurement, theta: dict):
    """The within- and between-subject SDs of a measurement's readings (0 if no between)."""
    within = theta[measurement.within]
    between = theta[measurement.between] if measurement.between else 0.0
    return within, between


#: Nodes of the quadrature over a t error's precision multiplier, on the log scale. The
#: trapezoid rule in :math:`u = \log\lambda` converges geometrically for this analytic,
#: doubly decaying integrand (error about :math:`e^{-2\pi d/h}`, :math:`d` near
#: :math:`\pi/2`). 25 nodes at step :math:`h = 0.55` keep the log density within 1e-5 of
#: adaptive quadrature up to 10 scale units from the mean and 2e-3 at 100 units (tested);
#: they make the model's gradient about 1.5 times as costly as with a single t (1,000
#: people: 2.56 against 1.75 ms).
LOG_PRECISION_NODES = -11.0 + 0.55 * np.arange(25)


def fixed_nu(nu) -> float:
    """The t degrees of freedom as one float; the quadrature nodes need it known.

    Raises
    ------
    ValueError
        If ``nu`` is a free model variable or differs between draws.
    """
    if isinstance(nu, Variable):
        try:
            return float(pt.get_underlying_scalar_constant_value(nu))
        except NotScalarConstantError as err:
            raise ValueError(
                "reading_nu must be Fixed in the prior file: the t error of a reading with a "
                "between-subject deviation is integrated on nodes that depend on it"
            ) from err
    values = np.asarray(nu, dtype=float)
    value = float(values.flat[0])
    if not np.all(values == value):
        raise ValueError("reading_nu differs between draws; it must be Fixed")
    return value


def t_mixture_rule(nu: float) -> tuple[np.ndarray, np.ndarray]:
    r"""Nodes :math:`\lambda_j` and log weights for an expectation over a t's precision.

    A t error with scale :math:`s` is normal with variance :math:`s^2/\lambda`,
    :math:`\lambda \sim \mathrm{Gamma}(\nu/2, \nu/2)`. Weights are the Gamma density of
    :math:`\log\lambda` on :data:`LOG_PRECISION_NODES`, normalised to sum to one.
    """
    a = nu / 2.0
    u = LOG_PRECISION_NODES
    log_w = a * np.log(a) - special.gammaln(a) + a * u - a * np.exp(u)
    return np.exp(u), log_w - special.logsumexp(log_w)


def log_mean_density(summary: Summary, resid, within_sd, between_sd=0.0, nu=np.inf):
    r"""Log density of each subject's mean transformed reading (numpy or pytensor).

    The mean of :math:`k` readings about its expectation is a normal between-subject
    deviation (SD :math:`\sigma_b`, plus the known extra SD :math:`\sigma_e`) plus the
    within-subject error, whose variance is :math:`\sigma_w^2/k`, as the simulator draws
    them (:func:`draw`).

    - Normal errors (``nu`` infinite): normal with variance
      :math:`\sigma_b^2 + \sigma_e^2 + \sigma_w^2/k`, exact.
    - t errors without a deviation: the readings' joint density, the product of the t
      densities of each reading (:attr:`Summary.deviation` places them about the mean),
      exact; the within sum of squares then has no term of its own (:func:`ss_positions`).
      Where a known extra SD is added (serum Ca without albumin), the convolution below.
    - t errors with a deviation: the normal-t convolution, integrated over the t's
      precision :math:`\lambda` (:func:`t_mixture_rule`),

      .. math:: \log \sum_j w_j\, N(r; 0, \sigma_b^2 + \sigma_e^2 + \sigma_w^2/(k\lambda_j)),

      exact for one reading up to the quadrature error. With repeats the readings share
      one :math:`\lambda`: the variance is the mean's, the tails heavier, and the within
      sum of squares has a Gamma term (:func:`ss_shape_rate`).

    A t whose variance matched the mean's (the form before) was too peaked: on cohorts
    simulated with PTH and urine Ca deviations it overstated their SDs (recovery z 3.3);
    the t with the deviation inside its scale understated them (SBC mean ranks 0.72, 0.69).

    Parameters
    ----------
    summary : Summary
    resid : array_like
        Mean reading minus its expectation, subjects on the last axis.
    within_sd, between_sd : array_like
        SDs, broadcastable.
    nu : float
        Degrees of freedom (``reading_nu``); ``inf`` gives the normal density.
    """
    xp = namespace(resid, within_sd, between_sd)
    within_var = within_sd**2 / summary.count
    persistent = between_sd**2 + summary.extra_sd**2
    if _is_normal(nu):
        var = persistent + within_var
        return -0.5 * (xp.log(2.0 * np.pi * var) + resid**2 / var)
    nu = fixed_nu(nu)
    if _has_deviation(between_sd):
        return _t_normal_convolution(resid, persistent, within_var, nu)
    # no deviation: each reading's t, and the convolution only where a known extra SD is
    const = special.gammaln((nu + 1.0) / 2.0) - special.gammaln(nu / 2.0)
    scaled = nu * (within_var * summary.count)[..., None]
    deviation = summary.deviation
    if deviation is None:
        if np.any((summary.count > 1) & (summary.extra_sd == 0)):
            raise ValueError("repeated t readings need their deviations (Summary.deviation)")
        deviation = np.zeros((len(summary.count), 1))
    present = np.isfinite(deviation)
    reading = resid[..., None] + np.where(present, deviation, 0.0)
    each = const - 0.5 * xp.log(np.pi * scaled) - (nu + 1.0) / 2.0 * xp.log1p(reading**2 / scaled)
    out = (each * present).sum(axis=-1)
    extra = np.flatnonzero(summary.extra_sd)
    if not len(extra):
        return out
    part = _t_normal_convolution(
        resid[..., extra], persistent[..., extra], within_var[..., extra], nu
    )
    return xp.put(out, extra, part)


def _t_normal_convolution(resid, persistent, within_var, nu: float):
    """Log density of a normal (variance ``persistent``) plus a t (squared scale ``within_var``)."""
    xp = namespace(resid, persistent, within_var)
    precision, log_w = t_mixture_rule(nu)
    weights = np.exp(log_w)
    if not any(isinstance(a, Variable) for a in (resid, persistent, within_var)):
        # numpy: node by node, so draws x subjects arrays are never multiplied by 25, in
        # place, so that the 25 nodes allocate nothing
        shape = np.broadcast_shapes(np.shape(resid), np.shape(persistent), np.shape(within_var))
        half_square = -0.5 * resid**2
        inverse, term, density = np.empty(shape), np.empty(shape), np.zeros(shape)
        for lam, weight in zip(precision, weights, strict=True):
            np.divide(within_var, lam, out=inverse)
            inverse += persistent
            np.reciprocal(inverse, out=inverse)
            np.multiply(half_square, inverse, out=term)
            np.exp(term, out=term)
            np.sqrt(inverse, out=inverse)
            term *= inverse
            term *= weight
            density += term
    else:
        # pytensor: one node axis, a graph small enough to compile quickly
        var = pt.shape_padright(persistent) + pt.shape_padright(within_var) / precision
        terms = weights * xp.exp(-0.5 * pt.shape_padright(resid) ** 2 / var) / xp.sqrt(var)
        density = terms.sum(axis=-1)
    return xp.log(density) - 0.5 * np.log(2.0 * np.pi)


def _is_normal(nu) -> bool:
    """Whether the errors are normal (``nu`` a known infinity)."""
    return not isinstance(nu, Variable) and bool(np.all(np.isinf(np.asarray(nu, dtype=float))))


def _has_deviation(between_sd) -> bool:
    """Whether a between-subject deviation is integrated out (a free or non-zero SD)."""
    return isinstance(between_sd, Variable) or bool(np.any(between_sd))


def ss_positions(summary: Summary, between_sd=0.0, nu=np.inf) -> np.ndarray:
    """Positions (into ``summary``) whose within sum of squares has a Gamma term.

    All repeated subjects, except where :func:`log_mean_density` already holds the
    readings' exact joint density: t errors without a deviation or a known extra SD.
    """
    repeated = summary.repeated
    if _is_normal(nu) or _has_deviation(between_sd):
        return repeated
    return repeated[summary.extra_sd[repeated] > 0]


def ss_subjects(summary: Summary, n_terms: int) -> np.ndarray:
    """Subjects (design positions) of a Gamma term with ``n_terms`` values.

    :func:`ss_positions` keeps either every repeated subject or those of them with a known
    extra SD; the two sets are equal when they have the same size, so the size tells them
    apart.
    """
    repeated = summary.repeated
    if n_terms != len(repeated):
        repeated = repeated[summary.extra_sd[repeated] > 0]
    return summary.subject[repeated]


def ss_shape_rate(summary: Summary, within_sd, nu=np.inf, positions=None):
    """Gamma shape and rate of the within sum of squares at ``positions``.

    ``positions`` defaults to every repeated subject. With Student-t errors (``nu``
    finite, > 2) the Gamma is matched to the readings' variance,
    ``within_sd**2 * nu / (nu - 2)``, so that repeats and single readings agree on what
    ``within_sd`` (the t scale) is.
    """
    positions = summary.repeated if positions is None else positions
    shape = (summary.count[positions] - 1) / 2.0
    normal = isinstance(nu, float) and np.isinf(nu)
    inflation = 1.0 if normal else nu / (nu - 2.0)
    return shape, 1.0 / (2.0 * within_sd**2 * inflation)


def adjustment(measurement: Measurement, summary: Summary, theta: dict):
    r"""Shift of each subject's mean reading when an adjustment's coefficient is free.

    A reading adjusted on load with coefficient :math:`c` (``summary.applied``) for a
    covariate gap :math:`g` measures :math:`x + (c - \beta) g` when the true coefficient is
    :math:`\beta`: serum Ca corrected with the prior-centre albumin slope, in a laboratory
    whose slope differs (it depends on the albumin assay: 0.012 mmol/L per g/L with
    bromocresol purple, James 2008, against Payne's 0.02). Zero when the coefficient is
    fixed at its centre or the measurement is not adjusted.
    """
    if measurement.adjusted_by is None or summary.gap is None:
        return 0.0
    return (summary.applied - theta[measurement.adjusted_by]) * summary.gap


def expectations(theta: dict, state: dict, summaries: dict):
    """The observation model of every measurement a cohort has, for numpy or pytensor.

    Parameters
    ----------
    theta : dict
        Parameters (scalars, or arrays broadcasting against the state).
    state : dict
        Steady states with subjects on the last axis.
    summaries : dict
        Column -> :class:`Summary` (columns without readings are absent).

    Yields
    ------
    tuple
        ``(measurement, summary, mu, within_sd, between_sd)``, with ``mu`` the mean of
        the transformed reading of each summarised subject (last axis).
    """
    for measurement in MEASUREMENTS:
        summary = summaries.get(measurement.column)
        if summary is None:
            continue
        within, between = sds(measurement, theta)
        mu = location(measurement, state[measurement.state][..., summary.subject], within)
        yield measurement, summary, mu + adjustment(measurement, summary, theta), within, between


def loglik_mean(summary: Summary, mu, within_sd, between_sd=0.0, nu=np.inf) -> np.ndarray:
    """Log density of each subject's mean reading (numpy): :func:`log_mean_density`.

    Parameters
    ----------
    summary : Summary
    mu : array_like
        Mean of the transformed reading, broadcastable against ``summary.mean`` along the
        last axis.
    within_sd, between_sd : array_like
        SDs, broadcastable.
    nu : array_like
        Degrees of freedom (``reading_nu``); ``inf`` gives the normal density.
    """
    resid = summary.mean - np.asarray(mu, dtype=float)
    return log_mean_density(summary, resid, np.asarray(within_sd), np.asarray(between_sd), nu)


def loglik_ss(summary: Summary, within_sd, nu=np.inf, positions=None) -> np.ndarray:
    """Log density of the within sums of squares at ``positions`` (numpy), the Gamma term.

    Returns
    -------
    numpy.ndarray
        One value per subject of ``positions`` (:func:`ss_positions`; every repeated
        subject by default).
    """
    positions = summary.repeated if positions is None else positions
    shape, rate = ss_shape_rate(summary, np.asarray(within_sd), nu, positions)
    ss = summary.ss[positions]
    return shape * np.log(rate) - special.gammaln(shape) + (shape - 1.0) * np.log(ss) - rate * ss


def draw(
    measurement: Measurement,
    mu,
    within_sd,
    between_sd,
    mask: np.ndarray,
    rng,
    extra_sd=0.0,
    nu=np.inf,
):
    """Draw readings (natural units) where ``mask`` is True, NaN elsewhere.

    Parameters
    ----------
    measurement : Measurement
    mu : array_like
        Mean of the transformed reading per subject, shape ``(..., subject)``.
    within_sd, between_sd : array_like
        SDs, broadcastable to ``mu``.
    mask : numpy.ndarray of bool
        ``(subject, occasion)``: which readings exist.
    rng : numpy.random.Generator
    extra_sd : array_like
        Known extra between-subject SD per subject.
    nu : array_like
        Degrees of freedom of each reading's within-subject error (``reading_nu``),
        broadcastable to ``mu``; ``inf`` draws normal errors.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., subject, occasion)``.
    """
    mu = np.asarray(mu, dtype=float)
    sd_b = np.sqrt(
        np.asarray(between_sd, dtype=float) ** 2 + np.asarray(extra_sd, dtype=float) ** 2
    )
    b = rng.normal(size=mu.shape) * sd_b
    within = np.asarray(within_sd, dtype=float)[..., None]
    size = (*mu.shape, mask.shape[-1])
    y = (mu + b)[..., None] + student_t(rng, nu, size) * within
    y = from_model_scale(measurement, y)
    return np.where(mask, y, np.nan)


#: Simulated t errors are cut at this many scale units, so that no simulated reading is
#: impossible (a t with 4 degrees of freedom passes it with probability 0.0013).
T_LIMIT = 8.0


def student_t(rng, nu, size: tuple) -> np.ndarray:
    """Standard Student-t draws of shape ``size``, cut at :data:`T_LIMIT` (normal if nu = inf).

    ``nu`` broadcasts against ``size`` without its last axis (the occasions).
    """
    z = rng.normal(size=size)
    nu = np.broadcast_to(np.asarray(nu, dtype=float), size[:-1])[..., None]
    if np.all(np.isinf(nu)):
        return z
    chi2 = rng.chisquare(np.broadcast_to(np.where(np.isinf(nu), 1.0, nu), size))
    return np.clip(np.where(np.isinf(nu), z, z / np.sqrt(chi2 / nu)), -T_LIMIT, T_LIMIT)
