r"""The hierarchical PyMC model of Ca and Mg status: ``build_model(cohort, config)``.

Structure (every mechanism comes from :mod:`camg_bayes.physiology.state`, which calls
the mechanisms of :mod:`camg_bayes.physiology`; nothing is re-written here):

* **Usual intake.** Per subject, log usual Mg and Ca intake are bivariate normal around
  sex- (and age-, site-) specific means with a between-person correlation
  (non-centred). Each 24-h recall is a log-normal reading of usual intake with
  within-person error, entered through its sufficient statistics; subjects with repeats
  identify the within-person SD.
* **Absorption and balance.** Competitive, timing-dependent Mg absorption; Mg stores
  at balance with absorption, with a subject deviation (non-centred) and population
  parameters by sex, plus a ``site`` level when the cohort has sites.
* **Ca and PTH.** A subject Ca set-point deviation (non-centred); PTH and urine Ca carry
  between-subject deviations that are integrated out analytically.
* **Observations.** Every measurement through
  :func:`camg_bayes.physiology.observation.expectations`, the observation model the numpy
  paths share.
  Missing readings are simply absent from the sufficient statistics: no row is deleted,
  no input imputed. A subject with no readings at all keeps its prior.

The model never samples; :func:`camg_bayes.fitting.sample.fit` does.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from camg_bayes.model.config import ModelConfig, load_config
from camg_bayes.model.design import Design, build_design
from camg_bayes.model.priors import Prior
from camg_bayes.physiology.observation import expectations, mean_variance, ss_shape_rate
from camg_bayes.physiology.state import intake_latents, site_effect, steady_state

#: Per-subject quantities kept as deterministics in the posterior.
SUBJECT_DETERMINISTICS = ("serum_mg_true", "mg_status")
SITE_PARAMETERS = ("site_intake_sd", "site_status_sd")


def prior_variable(prior: Prior, name: str | None = None):
    """Create the PyMC random variable for a prior (a constant for ``Fixed``).

    Must be called inside a model context.

    Parameters
    ----------
    prior : Prior
    name : str, optional
        Variable name; the prior's name by default.
    """
    name = name or prior.name
    p = {k: np.asarray(v, dtype=float) for k, v in prior.params.items()}
    dims = prior.dims
    if prior.dist == "Fixed":
        return pt.as_tensor_variable(p["value"])
    if prior.dist == "Normal":
        return pm.Normal(name, mu=p["mu"], sigma=p["sigma"], dims=dims)
    if prior.dist == "LogNormal":
        return pm.LogNormal(name, mu=np.log(p["median"]), sigma=p["sigma"], dims=dims)
    if prior.dist == "HalfNormal":
        return pm.HalfNormal(name, sigma=p["sigma"], dims=dims)
    if prior.dist == "Beta":
        return pm.Beta(name, alpha=p["alpha"], beta=p["beta"], dims=dims)
    if prior.dist == "TruncatedNormal":
        return pm.TruncatedNormal(
            name, mu=p["mu"], sigma=p["sigma"], lower=p["lower"], upper=p["upper"], dims=dims
        )
    raise ValueError(f"unsupported distribution {prior.dist}")  # pragma: no cover


def used_parameters(config: ModelConfig, design: Design) -> list[str]:
    """Parameters the model creates: site SDs only when the cohort has sites."""
    names = list(config.priors)
    if not design.sites:
        names = [n for n in names if n not in SITE_PARAMETERS]
    return names


def build_model(cohort, config: ModelConfig | None = None) -> pm.Model:
    """Build the PyMC model for a cohort.

    Parameters
    ----------
    cohort : xarray.Dataset or Design
        A validated cohort (:func:`camg_bayes.cohort.read_cohort`) or its design.
    config : ModelConfig, optional
        Priors and switches; the defaults (:func:`camg_bayes.priors.load_config`) if None.

    Returns
    -------
    pymc.Model
        Free variables: the population parameters of ``config`` (not the fixed ones),
        ``site_intake`` and ``site_status`` (zero-sum) when there are sites, and per subject
        ``intake_z`` (subject x mineral), ``status_z`` and ``ca_z``. Deterministics:
        ``serum_mg_true`` and ``mg_status`` (subject). Observed: ``<column>_mean`` and,
        for subjects with repeats, ``<column>_ss`` for each measurement present.

    Examples
    --------
    >>> from camg_bayes.cohort import read_cohort
    >>> from camg_bayes.model.simulate import simulate
    >>> model = build_model(read_cohort(simulate(20, random_seed=1, n_sites=0).cohort))
    >>> "serum_mg_mean" in model.named_vars
    True
    """
    config = config or load_config()
    design = cohort if isinstance(cohort, Design) else build_design(cohort, config)
    coords = {
        "subject": design.subjects,
        "sex": ["F", "M"],
        "mineral": ["mg", "ca"],
    }
    if design.sites:
        coords["site"] = list(design.sites)
    for column, summary in design.summaries.items():
        coords[f"{column}_subject"] = design.subjects[summary.subject]
        if len(summary.repeated):
            coords[f"{column}_repeat"] = design.subjects[summary.subject[summary.repeated]]

    with pm.Model(coords=coords) as model:
        theta = {
            name: prior_variable(config.priors[name]) for name in used_parameters(config, design)
        }
        cov = {
            key: pm.Data(key, np.asarray(value, dtype=float), dims="subject")
            for key, value in design.cov.items()
            if key != "site"
        }
        cov["site_intake"], cov["site_status"] = _site_offsets(theta, design)

        z = pm.Normal("intake_z", 0.0, 1.0, dims=("subject", "mineral"))
        log_mg, log_ca = intake_latents(theta, cov, z[:, 0], z[:, 1])
        latent = {
            "log_intake_mg": log_mg,
            "log_intake_ca": log_ca,
            "status_z": _mixed_deviation(
                "status_z", theta["mg_status_sd"], _has(design, "serum_mg")
            ),
            "ca_z": _mixed_deviation(
                "ca_z", theta["ca_ion_sd"], _has(design, "serum_ca", "ionized_ca")
            ),
        }
        state = steady_state(
            theta, cov, latent, mg_dependent_pth=config.switches["mg_dependent_pth"]
        )
        for name in SUBJECT_DETERMINISTICS:
            pm.Deterministic(name, state[name], dims="subject")
        _likelihood(theta, state, design)
    return model


def _has(design: Design, *columns: str) -> np.ndarray:
    """Subjects with at least one reading of any of ``columns``."""
    mask = np.zeros(design.n, dtype=bool)
    for column in columns:
        if column in design.summaries:
            mask[design.summaries[column].subject] = True
    return mask


def _mixed_deviation(name: str, sd, strong: np.ndarray):
    """Standardised subject deviations, centred where the subject's own data are strong.

    A subject with a direct reading (serum Mg for the Mg deviation, serum or ionized Ca for
    the Ca deviation) has a likelihood at least as sharp as the population prior, so the
    centred form samples best; without one the prior dominates and the non-centred form
    avoids the funnel. The two sets are sampled as ``<name>_centred`` (scale ``sd``) and
    ``<name>_noncentred`` (scale 1), and ``<name>`` (standardised, all subjects) is kept.
    """
    order = np.concatenate([np.flatnonzero(strong), np.flatnonzero(~strong)])
    inverse = np.argsort(order)
    parts = []
    model = pm.modelcontext(None)
    subjects = np.asarray(model.coords["subject"])
    if strong.any():
        model.add_coord(f"{name}_centred_subject", subjects[strong])
        raw = pm.Normal(f"{name}_centred", 0.0, sd, dims=f"{name}_centred_subject")
        parts.append(raw / sd)
    if (~strong).any():
        model.add_coord(f"{name}_noncentred_subject", subjects[~strong])
        parts.append(pm.Normal(f"{name}_noncentred", 0.0, 1.0, dims=f"{name}_noncentred_subject"))
    return pm.Deterministic(name, pt.concatenate(parts)[inverse], dims="subject")


def _site_offsets(theta: dict, design: Design):
    """Site offsets on log intake and log stores, per subject (0 without a site)."""
    if not design.sites:
        zero = np.zeros(design.n)
        return zero, zero
    offsets = []
    for level, sd in (("intake", "site_intake_sd"), ("status", "site_status_sd")):
        # Zero-sum: the population means are those of the average site, so the sex-specific
        # means and a common shift of all sites are not a non-identified direction.
        # Centred: each site's offset is pinned by its own subjects; the boundary-avoiding
        # prior on the site SD keeps the sampler out of the funnel near SD = 0.
        offset = pm.ZeroSumNormal(f"site_{level}", sigma=theta[sd], dims="site")
        offsets.append(site_effect(offset, design.cov["site"]))
    return offsets[0], offsets[1]


def _likelihood(theta: dict, state: dict, design: Design) -> None:
    """Observed variables: sufficient statistics of every measurement present."""
    for measurement, summary, mu, within, between in expectations(theta, state, design.summaries):
        pm.Normal(
            f"{measurement.column}_mean",
            mu=mu,
            sigma=pt.sqrt(mean_variance(summary, within, between)),
            observed=summary.mean,
            dims=f"{measurement.column}_subject",
        )
        if len(summary.repeated):
            shape, rate = ss_shape_rate(summary, within)
            pm.Gamma(
                f"{measurement.column}_ss",
                alpha=shape,
                beta=rate,
                observed=summary.ss[summary.repeated],
                dims=f"{measurement.column}_repeat",
            )


def population_parameters(model: pm.Model) -> list[str]:
    """Names of the free population-level variables (not per-subject latents)."""
    dims = model.named_vars_to_dims
    names = [
        rv.name
        for rv in model.free_RVs
        if not any(d.endswith("subject") for d in (dims.get(rv.name) or ()))
    ]
    return names
