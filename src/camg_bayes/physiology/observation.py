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
sufficient-statistic form, also used for repeated recalls). Laboratory readings have a
contaminated normal error (:class:`GrossError`): normal with SD :math:`\sigma_w` for
ordinary readings, and for a small share :math:`\varepsilon` (``gross_error_share``) a
gross error (a haemolysed sample, a mislabelled tube, a half-collected urine) from a
normal :math:`\kappa` times as wide (``gross_error_width``), so that such a reading is
discounted rather than believed. The share is estimated with the population parameters
(a Beta prior); the width is fixed. The simulator draws each reading's error from the same
mixture. 24-h recalls keep normal errors on the log scale. For a laboratory reading
without a deviation (serum Mg, ionized Ca, urine Mg) each reading enters through its own
two-component density, exact. With a deviation (PTH, urine Ca) or a known extra SD
(serum Ca without albumin) the readings' joint density integrates the deviation out
analytically for no gross reading and for each one reading gross: exact for one reading,
and leaving out only two or more gross readings of one subject. The PyMC model, the numpy
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
        Contaminated normal error (:class:`GrossError`) for a laboratory reading, which can
        be grossly wrong; normal for a 24-h recall, whose day-to-day spread is already wide
        on the log scale.
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


@dataclass(frozen=True)
class GrossError:
    r"""A contaminated normal reading error.

    A reading's error is normal with SD :math:`s` (the measurement's within-subject SD)
    with probability :math:`1 - \varepsilon`, and normal with SD :math:`\kappa s` with
    probability :math:`\varepsilon`: a scale mixture with precision multipliers
    :math:`\lambda \in \{1, \kappa^{-2}\}`.

    Attributes
    ----------
    share : float, numpy.ndarray or pytensor variable
        :math:`\varepsilon`, the share of readings with a gross error (``gross_error_share``):
        one value, one per draw (shaped like the other parameters), or a model variable.
    width : float
        :math:`\kappa`, how many times wider a gross error's normal is (``gross_error_width``).

    References
    ----------
    Tukey JW (1960), A survey of sampling from contaminated distributions. In Olkin I (ed.),
    Contributions to Probability and Statistics, Stanford University Press, 448-485.
    """

    share: object
    width: float

    def log_weights(self) -> tuple:
        r"""Log weights :math:`\log(1 - \varepsilon)` and :math:`\log\varepsilon`.

        numpy or pytensor, in the shape of :attr:`share`.
        """
        xp = namespace(self.share)
        return xp.log1p(-self.share), xp.log(self.share)

    @property
    def variance_factor(self):
        r"""The error's variance over :math:`s^2`: :math:`1 - \varepsilon + \varepsilon\kappa^2`."""
        return 1.0 - self.share + self.share * self.width**2


def gross_error(measurement: Measurement, theta: dict) -> GrossError | None:
    """A measurement's contaminated normal error, or None for a normal error.

    None for a 24-h recall (``robust`` False) and when ``gross_error_share`` is fixed at
    0. The share may be free (a model variable, or one value per draw, shaped like the
    other parameters); the width must be fixed.

    Raises
    ------
    ValueError
        If ``gross_error_width`` is free or differs between draws, or is below 1, or a
        numeric ``gross_error_share`` lies outside [0, 1).
    """
    if not measurement.robust:
        return None
    width = _fixed(theta["gross_error_width"], "gross_error_width")
    share = theta["gross_error_share"]
    if width < 1.0:
        raise ValueError(
            f"gross_error_width must be at least 1, got {width}: change it in the prior file"
        )
    if isinstance(share, Variable):
        try:
            share = float(pt.get_underlying_scalar_constant_value(share))
        except NotScalarConstantError:
            return GrossError(share, width)  # free: a model variable
    values = np.asarray(share, dtype=float)
    if not np.all((values >= 0.0) & (values < 1.0)):
        raise ValueError(
            f"gross_error_share must lie in [0, 1), got {values.min()} to {values.max()}: "
            "change it in the prior file"
        )
    if np.all(values == 0.0):
        return None
    return GrossError(float(values.flat[0]) if np.all(values == values.flat[0]) else values, width)


def _fixed(value, name: str) -> float:
    """A parameter that must be Fixed in the prior file, as one float.

    Raises
    ------
    ValueError
        If ``value`` is a free model variable or differs between draws.
    """
    if isinstance(value, Variable):
        try:
            return float(pt.get_underlying_scalar_constant_value(value))
        except NotScalarConstantError as err:
            raise ValueError(
                f"{name} must be Fixed in the prior file: the reading error's mixture is "
                "integrated on nodes that depend on it"
            ) from err
    values = np.asarray(value, dtype=float)
    first = float(values.flat[0])
    if not np.all(values == first):
        raise ValueError(f"{name} differs between draws; it must be Fixed")
    return first


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


def log_mean_density(summary: Summary, resid, within_sd, between_sd=0.0, gross=None):
    r"""Log density of each subject's mean transformed reading (numpy or pytensor).

    The mean of :math:`k` readings about its expectation is a normal between-subject
    deviation (SD :math:`\sigma_b`, plus the known extra SD :math:`\sigma_e`) plus the
    within-subject error, whose variance is :math:`\sigma_w^2/k`, as the simulator draws
    them (:func:`draw`).

    - Normal errors (``gross`` None): normal with variance
      :math:`\sigma_b^2 + \sigma_e^2 + \sigma_w^2/k`, exact.
    - Contaminated normal errors without a deviation: the readings' joint density, the
      product of each reading's two-component density (:attr:`Summary.deviation` places
      them about the mean), exact.
    - Contaminated normal errors with a deviation (or a known extra SD, serum Ca without
      albumin): the readings' joint density with the deviation integrated out, over no
      gross reading and each one reading gross (:func:`_joint_with_deviation`); exact for
      one reading, and within :math:`O(\varepsilon^2)` for repeats.

    With contaminated errors the within sum of squares has no term of its own
    (:func:`ss_positions`).

    Parameters
    ----------
    summary : Summary
    resid : array_like
        Mean reading minus its expectation, subjects on the last axis.
    within_sd, between_sd : array_like
        SDs, broadcastable.
    gross : GrossError or None
        The reading error's gross component (:func:`gross_error`); None gives the normal
        density.
    """
    xp = namespace(resid, within_sd, between_sd, None if gross is None else gross.share)
    within_var = within_sd**2 / summary.count
    persistent = between_sd**2 + summary.extra_sd**2
    if gross is None:
        var = persistent + within_var
        return -0.5 * (xp.log(2.0 * np.pi * var) + resid**2 / var)
    deviation = summary.deviation
    if deviation is None:
        if np.any(summary.count > 1):
            raise ValueError("repeated readings need their deviations (Summary.deviation)")
        deviation = np.zeros((len(summary.count), 1))
    present = np.isfinite(deviation)
    reading = resid[..., None] + np.where(present, deviation, 0.0)
    var = within_sd**2  # one ordinary reading's error variance
    if _has_deviation(between_sd):
        return _joint_with_deviation(reading, present, var, persistent, gross)
    # no deviation: each reading's own mixture, and the joint density only where a known
    # extra SD is added
    var_each = _pad(var)
    log_ordinary, log_gross = (_pad(w) for w in gross.log_weights())
    half_square = -0.5 * reading**2 / var_each
    each = -0.5 * xp.log(2.0 * np.pi * var_each) + xp.logaddexp(
        log_ordinary + half_square,
        log_gross - np.log(gross.width) + half_square / gross.width**2,
    )
    out = (each * present).sum(axis=-1)
    extra = np.flatnonzero(summary.extra_sd)
    if not len(extra):
        return out
    part = _joint_with_deviation(
        reading[..., extra, :], present[extra], var, persistent[..., extra], gross
    )
    return xp.put(out, extra, part)


def _pad(x):
    """``x`` with a trailing axis of length one (numpy or pytensor)."""
    return pt.shape_padright(x) if isinstance(x, Variable) else np.asarray(x)[..., None]


def _joint_with_deviation(reading, present, var, persistent, gross: GrossError):
    r"""Log joint density of each subject's readings about a shared normal deviation.

    Readings :math:`r_j = b + e_j` (about their expectation), :math:`b \sim N(0, P)`, and
    independent errors :math:`e_j` of variance :math:`v`, or :math:`\kappa^2 v` for a gross
    error. Given which readings are gross, :math:`r` is normal with covariance
    :math:`P\,\mathbf{1}\mathbf{1}^\top + \mathrm{diag}(v_j)`, whose log density follows
    from the matrix determinant lemma and the Sherman-Morrison formula:

    .. math::
        -\tfrac12\Big[k \log 2\pi + \sum_j \log v_j + \log(1 + P A)
        + C - \frac{P B^2}{1 + P A}\Big],\quad
        A = \sum_j \frac{1}{v_j},\ B = \sum_j \frac{r_j}{v_j},\ C = \sum_j \frac{r_j^2}{v_j}.

    The sum runs over no gross reading and each one reading gross, with weights
    proportional to :math:`(1-\varepsilon)^k` and :math:`\varepsilon(1-\varepsilon)^{k-1}`;
    two or more gross readings of one subject (probability about
    :math:`k^2\varepsilon^2/2`, 1e-4 for two readings) are left out. Exact for one reading.

    Parameters
    ----------
    reading : array_like
        ``(..., subject, occasion)``, readings minus their expectation; any finite value
        where absent.
    present : numpy.ndarray of bool
        ``(subject, occasion)``.
    var : array_like
        :math:`v`, broadcastable against ``(..., subject)``.
    persistent : array_like
        :math:`P`, broadcastable against ``(..., subject)``.
    gross : GrossError
    """
    xp = namespace(reading, var, persistent, gross.share)
    count = present.sum(axis=-1)
    ordinary = present / _pad(var)  # 1 / v_j of each present reading
    a = ordinary.sum(axis=-1)
    b = (ordinary * reading).sum(axis=-1)
    c = (ordinary * reading**2).sum(axis=-1)

    def log_normal(a, b, c, log_det, persistent):
        one = 1.0 + persistent * a
        return -0.5 * (log_det + xp.log(one) + c - persistent * b**2 / one)

    log_det = count * xp.log(var)
    log_ordinary, log_gross = gross.log_weights()
    log_norm = xp.log(1.0 + (count - 1.0) * gross.share)  # the weights' sum, logged
    none = log_normal(a, b, c, log_det, persistent) + log_ordinary - log_norm
    less = (1.0 - gross.width**-2.0) * ordinary  # what a gross reading takes off 1 / v_j
    one_gross = log_normal(
        _pad(a) - less,
        _pad(b) - less * reading,
        _pad(c) - less * reading**2,
        _pad(log_det) + 2.0 * np.log(gross.width),
        _pad(persistent),
    ) + xp.where(present, _pad(log_gross - log_norm), -np.inf)
    log_2pi = 0.5 * count * np.log(2.0 * np.pi)
    return xp.logaddexp(none, xp.logsumexp(one_gross, axis=-1)) - log_2pi


def _has_deviation(between_sd) -> bool:
    """Whether a between-subject deviation is integrated out (a free or non-zero SD)."""
    return isinstance(between_sd, Variable) or bool(np.any(between_sd))


def ss_positions(summary: Summary, gross=None) -> np.ndarray:
    """Positions (into ``summary``) whose within sum of squares has a Gamma term.

    Every repeated subject with normal errors (mean and within sum of squares are then
    sufficient); none with contaminated normal errors, whose readings' joint density
    :func:`log_mean_density` holds whole.
    """
    return summary.repeated if gross is None else np.array([], dtype=int)


def ss_subjects(summary: Summary, n_terms: int) -> np.ndarray:
    """Subjects (design positions) of a Gamma term with ``n_terms`` values: every repeat."""
    if n_terms != len(summary.repeated):
        raise ValueError(f"{n_terms} Gamma terms for {len(summary.repeated)} repeated subjects")
    return summary.subject[summary.repeated]


def ss_shape_rate(summary: Summary, within_sd, positions=None):
    """Gamma shape and rate of the within sum of squares at ``positions`` (normal errors).

    ``positions`` defaults to every repeated subject.
    """
    positions = summary.repeated if positions is None else positions
    shape = (summary.count[positions] - 1) / 2.0
    return shape, 1.0 / (2.0 * within_sd**2)


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


def loglik_mean(summary: Summary, mu, within_sd, between_sd=0.0, gross=None) -> np.ndarray:
    """Log density of each subject's mean reading (numpy): :func:`log_mean_density`.

    Parameters
    ----------
    summary : Summary
    mu : array_like
        Mean of the transformed reading, broadcastable against ``summary.mean`` along the
        last axis.
    within_sd, between_sd : array_like
        SDs, broadcastable.
    gross : GrossError or None
        The reading error's gross component; None gives the normal density.
    """
    resid = summary.mean - np.asarray(mu, dtype=float)
    return log_mean_density(summary, resid, np.asarray(within_sd), np.asarray(between_sd), gross)


def loglik_ss(summary: Summary, within_sd, positions=None) -> np.ndarray:
    """Log density of the within sums of squares at ``positions`` (numpy), the Gamma term.

    Returns
    -------
    numpy.ndarray
        One value per subject of ``positions`` (:func:`ss_positions`; every repeated
        subject by default).
    """
    positions = summary.repeated if positions is None else positions
    shape, rate = ss_shape_rate(summary, np.asarray(within_sd), positions)
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
    gross=None,
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
    gross : GrossError or None
        The within-subject error's gross component; None draws normal errors.

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
    y = (mu + b)[..., None] + reading_errors(rng, gross, size) * within
    y = from_model_scale(measurement, y)
    return np.where(mask, y, np.nan)


#: Simulated reading errors are cut at this many of their own component's SDs (:math:`s`,
#: or :math:`\kappa s` for a gross error), so that no simulated reading is impossible; a
#: normal passes it with probability 6e-7.
GROSS_LIMIT = 5.0


def reading_errors(rng, gross: GrossError | None, size: tuple) -> np.ndarray:
    """Standard reading errors (SD 1 for ordinary readings) of shape ``size``.

    Normal; with ``gross``, a share ``gross.share`` of them, drawn independently for each
    reading, is ``gross.width`` times as wide, and each is cut at :data:`GROSS_LIMIT` of its
    component's SDs.
    """
    z = rng.normal(size=size)
    if gross is None:
        return z
    share = np.asarray(gross.share, dtype=float)
    wide = rng.random(size=size) < (share[..., None] if share.ndim else share)
    z = np.clip(z, -GROSS_LIMIT, GROSS_LIMIT)
    return np.where(wide, gross.width * z, z)
