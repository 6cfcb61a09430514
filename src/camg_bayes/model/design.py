"""From a validated cohort to model inputs: subject covariates and measurement summaries.

Defaults for missing covariates are applied here, once, and were announced when the
cohort was read: unknown sex counts half F, half M on the log scale of the sex-specific
parameters; missing age is the reference age; missing eGFR is the expected eGFR for the
subject's age (:func:`expected_egfr`, the line the simulator draws around); a missing
supplement dose is no supplement; missing timing with both supplements is
"together". Missing serum albumin is handled in the serum Ca error (see
:func:`serum_ca_readings`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from camg_bayes.model.config import ModelConfig
from camg_bayes.physiology.observation import MEASUREMENTS, Summary, summarise, to_model_scale


@dataclass(frozen=True)
class Design:
    """Everything the model needs from a cohort, as plain numpy arrays.

    Attributes
    ----------
    subjects : numpy.ndarray of str
        Subject identifiers, in cohort order.
    cov : dict of str to numpy.ndarray
        Per subject: ``male`` (0, 1, or 0.5 if unknown), ``age_decades``, ``egfr``,
        ``supp_mg``, ``supp_ca`` (mg/d), ``apart`` (0/1), ``site`` (index into
        ``sites``, -1 if none).
    sites : tuple of str
        Site labels (empty without a site column, or with a single site).
    readings : dict of str to numpy.ndarray
        Per measurement, the transformed readings, shape ``(subject, occasion)``.
    summaries : dict of str to Summary
        Per measurement with any reading, its sufficient statistics.
    """

    subjects: np.ndarray
    cov: dict
    sites: tuple
    readings: dict
    summaries: dict

    @property
    def n(self) -> int:
        """Number of subjects."""
        return len(self.subjects)

    def subset(self, index) -> Design:
        """The design of some of the subjects, in the order of ``index`` (positions)."""
        index = np.asarray(index, dtype=int)
        position = np.full(self.n, -1)
        position[index] = np.arange(len(index))
        summaries = {}
        for column, s in self.summaries.items():
            keep = position[s.subject] >= 0
            if keep.any():
                summaries[column] = Summary(
                    position[s.subject[keep]],
                    s.count[keep],
                    s.mean[keep],
                    s.ss[keep],
                    s.extra_sd[keep],
                    None if s.gap is None else s.gap[keep],
                    s.applied,
                    None if s.deviation is None else s.deviation[keep],
                )
        cov = {k: v[index] for k, v in self.cov.items()}
        readings = {k: v[index] for k, v in self.readings.items()}
        return Design(self.subjects[index], cov, self.sites, readings, summaries)

    def site_labels(self) -> np.ndarray:
        """Each subject's site label ("" without one)."""
        sites = np.asarray([*self.sites, ""], dtype=object)
        return sites[self.cov["site"]]


def row_mean(values: np.ndarray) -> np.ndarray:
    """Mean over occasions of each subject's values, NaN where a subject has none."""
    have = np.isfinite(values)
    count = have.sum(axis=1)
    total = np.where(have, values, 0.0).sum(axis=1)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def expected_egfr(age_decades, at_age_ref: float, age_slope: float):
    """Expected eGFR for age: a straight line in decades from the reference age.

    Parameters
    ----------
    age_decades : array_like
        (age - age_ref) / 10, in decades.
    at_age_ref : float
        Mean eGFR at the reference age, mL/min/1.73 m² (``egfr_at_age_ref``).
    age_slope : float
        Change per decade, mL/min/1.73 m² (``egfr_age_slope``).

    Returns
    -------
    array_like
        eGFR, mL/min/1.73 m².

    Notes
    -----
    Fitted to CKD-EPI 2021 eGFR of NHANES 2017-18 adults (see ``models/default.toml``).
    The model uses it for a missing eGFR, and the simulator draws eGFR around it, so the two
    agree on what a missing eGFR is likely to be. The residual spread (``egfr_sd``) of a
    missing eGFR is not propagated: the model plugs in the line.
    """
    return at_age_ref + age_slope * np.asarray(age_decades, dtype=float)


def subject_covariates(ds: xr.Dataset, config: ModelConfig) -> tuple[dict, tuple]:
    """Per-subject covariates of a cohort, with the documented defaults applied."""
    center = {
        n: float(config.priors[n].center())
        for n in ("age_ref", "egfr_at_age_ref", "egfr_age_slope")
    }
    sex = ds["sex"].values
    male = np.where(sex == "M", 1.0, np.where(sex == "F", 0.0, 0.5))
    age = row_mean(ds["age_years"].values)
    egfr = row_mean(ds["egfr"].values)
    supp_mg = row_mean(ds["supp_mg"].values)
    supp_ca = row_mean(ds["supp_ca"].values)
    timing = ds["supp_timing"].values
    apart = ((timing == "apart").sum(axis=1) > (timing == "together").sum(axis=1)).astype(float)
    site_labels = ds["site"].values
    sites = tuple(sorted({s for s in site_labels if s != ""}))
    if len(sites) < 2:  # one site is no grouping: its offset is the intercept
        sites = ()
    site_index = np.array([sites.index(s) if s in sites else -1 for s in site_labels], dtype=int)
    diuretic = ds["diuretic"].values
    age_decades = np.where(np.isfinite(age), (age - center["age_ref"]) / 10.0, 0.0)
    imputed = expected_egfr(age_decades, center["egfr_at_age_ref"], center["egfr_age_slope"])
    cov = {
        "male": male,
        "age_decades": age_decades,
        "egfr": np.where(np.isfinite(egfr), egfr, imputed),
        "supp_mg": np.nan_to_num(supp_mg, nan=0.0),
        "supp_ca": np.nan_to_num(supp_ca, nan=0.0),
        "apart": apart,
        "thiazide": np.isin(diuretic, ("thiazide", "both")).astype(float),
        "loop_diuretic": np.isin(diuretic, ("loop", "both")).astype(float),
        "ppi": (ds["ppi"].values == "yes").astype(float),
        "diabetes": (ds["diabetes"].values == "yes").astype(float),
        "alcohol_g": np.nan_to_num(row_mean(ds["alcohol_g"].values), nan=0.0),
        "site": site_index,
    }
    return cov, sites


def serum_ca_readings(ds: xr.Dataset, config: ModelConfig) -> tuple:
    """Serum Ca corrected to the reference albumin, and the extra SD where albumin is unknown.

    Readings are corrected with the prior centre of ``albumin_ca_slope``; when the slope is
    free, the model shifts each subject's expected reading by the difference
    (:func:`camg_bayes.physiology.observation.adjustment`), for which the albumin gap is
    returned. A missing albumin is filled with the subject's mean albumin from other
    occasions. A subject with no albumin at all is corrected to the reference albumin (gap
    0), and the uncertainty of that subject's albumin (between-subject SD times the slope)
    is added to the subject-level error.

    Returns
    -------
    tuple
        Corrected total Ca ``(subject, occasion)`` in mmol/L, extra SD ``(subject,)``,
        albumin gap (reference minus albumin, g/L) ``(subject, occasion)`` and the slope
        applied (mmol/L per g/L).
    """
    slope = float(config.priors["albumin_ca_slope"].center())
    ref = float(config.priors["albumin_ref"].center())
    sd = float(config.priors["albumin_sd"].center())
    albumin = ds["albumin"].values
    subject_albumin = row_mean(albumin)
    known = np.isfinite(subject_albumin)
    filled = np.where(np.isfinite(albumin), albumin, np.where(known, subject_albumin, ref)[:, None])
    corrected = ds["serum_ca"].values + slope * (ref - filled)
    extra = np.where(known, 0.0, slope * sd)
    return corrected, extra, ref - filled, slope


def urine_completeness(ds: xr.Dataset, config: ModelConfig) -> Completeness:
    r"""Log fraction of each 24-h urine collection collected, from its creatinine.

    Creatinine excretion is steady, so a collection whose creatinine falls short of what is
    expected for the subject's sex and age was probably incomplete. The log fraction
    collected on occasion :math:`j` is :math:`c_j \sim N(\mu_c, \sigma_c^2)`, independent
    between collections; the subject's creatinine excretion deviates from its expectation by
    :math:`\epsilon \sim N(0, \sigma_r^2)` (muscle mass), **the same on every occasion**. The
    observed log ratio of creatinine to its expectation is :math:`\rho_j = c_j + \epsilon`.

    Given the :math:`k` ratios of a subject, the fractions' joint normal posterior is exact:
    differences between collections are known (:math:`c_j - c_i = \rho_j - \rho_i`), and only
    their common offset is uncertain,

    .. math::
        \hat c_j = \rho_j - a(\bar\rho - \mu_c), \quad a = \frac{k\sigma_r^2}{\sigma_c^2
        + k\sigma_r^2}, \quad \operatorname{Cov}(c \mid \rho) = v\,\mathbf{1}\mathbf{1}^\top,
        \quad v = \frac{\sigma_c^2\sigma_r^2}{\sigma_c^2 + k\sigma_r^2}.

    A collection without creatinine keeps :math:`\hat c = \mu_c` and its own variance
    :math:`\sigma_c^2`. Treating the collections' errors as independent (each with the
    one-collection variance) would put the shared muscle-mass error into the readings'
    within-person spread and understate the error of their mean.

    Returns
    -------
    Completeness
        :math:`\hat c` ``(subject, occasion)``, the shared variance :math:`v` per subject, the
        mask of collections with creatinine and :math:`\sigma_c^2`.
    """
    value = {name: config.priors[name].center() for name in config.priors}
    male = np.where(ds["sex"].values == "M", 1.0, np.where(ds["sex"].values == "F", 0.0, 0.5))
    log_ref = np.log(value["urine_creatinine_ref"][0]) + male * np.log(
        value["urine_creatinine_ref"][1] / value["urine_creatinine_ref"][0]
    )
    age = row_mean(ds["age_years"].values)
    decades = np.where(np.isfinite(age), (age - float(value["age_ref"])) / 10.0, 0.0)
    expected = log_ref + float(value["urine_creatinine_age_slope"]) * decades
    mean, sd = float(value["urine_completeness_mean"]), float(value["urine_completeness_sd"])
    muscle_var = float(value["urine_creatinine_sd"]) ** 2
    creatinine = ds["urine_creatinine"].values
    known = np.isfinite(creatinine)
    ratio = np.log(np.maximum(np.where(known, creatinine, 1.0), 0.1)) - expected[:, None]
    k = known.sum(axis=1)
    mean_ratio = np.where(known, ratio, 0.0).sum(axis=1) / np.maximum(k, 1)
    pull = k * muscle_var / (sd**2 + k * muscle_var)
    estimate = np.where(known, ratio - (pull * (mean_ratio - mean))[:, None], mean)
    shared = np.where(k > 0, sd**2 * muscle_var / (sd**2 + k * muscle_var), 0.0)
    return Completeness(estimate, shared, known, sd**2)


@dataclass(frozen=True)
class Completeness:
    r"""The estimated log fraction collected and its error (:func:`urine_completeness`).

    Attributes
    ----------
    estimate : numpy.ndarray
        :math:`\hat c`, ``(subject, occasion)``, log(fraction collected).
    shared_var : numpy.ndarray
        Variance of the error common to a subject's collections with creatinine, ``subject``.
    known : numpy.ndarray
        Collections with a creatinine, ``(subject, occasion)``.
    unknown_var : float
        Variance of the error of a collection without creatinine (independent).
    """

    estimate: np.ndarray
    shared_var: np.ndarray
    known: np.ndarray
    unknown_var: float

    def mean_error_sd(self, have: np.ndarray) -> np.ndarray:
        r"""SD of the error of the mean of :math:`\hat c` over the collections in ``have``."""
        n = np.maximum(have.sum(axis=1), 1)
        m = (have & self.known).sum(axis=1)
        variance = m**2 * self.shared_var + (have & ~self.known).sum(axis=1) * self.unknown_var
        return np.sqrt(variance) / n


def build_design(ds: xr.Dataset, config: ModelConfig) -> Design:
    """Turn a validated cohort into a :class:`Design`.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`camg_bayes.cohort.read_cohort`.
    config : ModelConfig
        Supplies the reference age, eGFR and albumin.
    """
    cov, sites = subject_covariates(ds, config)
    completeness = urine_completeness(ds, config)
    readings, summaries = {}, {}
    for measurement in MEASUREMENTS:
        extra, gap, applied = None, None, 0.0
        if measurement.column == "serum_ca":
            values, extra, gap, applied = serum_ca_readings(ds, config)
        else:
            values = ds[measurement.column].values
        transformed = to_model_scale(measurement, values)
        if measurement.column in ("urine_mg", "urine_ca"):
            # what a complete collection would have held, and the uncertainty of that
            transformed = transformed - completeness.estimate
            extra = completeness.mean_error_sd(np.isfinite(transformed))
        readings[measurement.column] = transformed
        summary: Summary = summarise(transformed, extra, gap, applied)
        if len(summary.subject):
            summaries[measurement.column] = summary
    return Design(ds["subject"].values.astype(str), cov, sites, readings, summaries)
