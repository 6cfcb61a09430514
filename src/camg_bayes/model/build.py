r"""The hierarchical PyMC model of Ca and Mg status: ``build_model(cohort, config)``.

Structure (every mechanism comes from :mod:`camg_bayes.physiology.state`, which calls
the mechanisms of :mod:`camg_bayes.physiology`; nothing is re-written here):

* **Subjects.** Five latents per subject (:mod:`camg_bayes.physiology.variation`): log
  usual Mg and Ca intake (bivariate normal around sex-, age- and site-specific means), a
  gut and a renal deviation of Mg handling (each a normal core with an exponential tail:
  gut loss, renal wasting), and the Ca set point. The sampler moves them in coordinates
  whitened by each subject's own readings (:mod:`camg_bayes.model.whiten`).
* **Intake.** Each 24-h recall is a log-normal reading of usual intake, entered through
  its sufficient statistics; subjects with repeats identify the within-person SD.
* **Absorption and balance.** Competitive, timing-dependent Mg absorption; Mg stores at
  balance with absorption and renal handling, population parameters by sex, a ``site``
  level when the cohort has sites, and the effects of diuretics, PPIs, diabetes and
  alcohol on the renal and gut deviations.
* **Ca and PTH.** PTH and urine Ca carry between-subject deviations that are integrated
  out analytically. Between- and within-person SDs that compete for the same readings are
  parameterised by their total and its between-person share
  (:mod:`camg_bayes.physiology.parameters`).
* **Observations.** Every measurement through
  :func:`camg_bayes.physiology.observation.expectations`, the observation model the numpy
  paths share. Laboratory readings have a contaminated normal error
  (``gross_error_share`` of them, a free parameter, from a normal ``gross_error_width``
  times as wide), so that a gross error is discounted rather than believed; with a
  between-subject deviation, each subject's readings have their joint density with the deviation
  integrated out (:func:`~camg_bayes.physiology.observation.log_mean_density`).
  Missing readings are simply absent from the sufficient statistics: no row is deleted,
  no input imputed. A subject with no readings at all keeps its prior.

The model never samples; :func:`camg_bayes.fitting.sample.fit` does.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pytensor.graph.basic import Variable

from camg_bayes.model.config import ModelConfig, load_config
from camg_bayes.model.design import Design, build_design
from camg_bayes.model.priors import Prior
from camg_bayes.model.whiten import anchors, latents_from_coordinates
from camg_bayes.physiology.observation import (
    expectations,
    gross_error,
    log_mean_density,
    ss_positions,
    ss_shape_rate,
)
from camg_bayes.physiology.parameters import expand
from camg_bayes.physiology.state import site_effect, steady_state
from camg_bayes.physiology.variation import LATENTS, prior_logpdf

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


def build_model(
    cohort, config: ModelConfig | None = None, *, prior_weight: float = 1.0
) -> pm.Model:
    """Build the PyMC model for a cohort.

    Parameters
    ----------
    cohort : xarray.Dataset or Design
        A validated cohort (:func:`camg_bayes.cohort.read_cohort`) or its design.
    config : ModelConfig, optional
        Priors and switches; the defaults (:func:`camg_bayes.model.config.load_config`) if
        None.
    prior_weight : float
        The population parameters' prior raised to this power, in (0, 1]: ``1 / K`` for
        one of K shards whose posteriors are combined (consensus Monte Carlo, Scott et al.
        2016; :mod:`camg_bayes.fitting.consensus`). The potential ``prior_tempering`` adds
        ``(prior_weight - 1)`` times their prior log density (without Jacobians); absent
        at 1.

    Returns
    -------
    pymc.Model
        Free variables: the population parameters of ``config`` (not the fixed ones),
        ``site_intake_basis`` and ``site_status_basis`` (the zero-sum site offsets
        ``site_intake`` and ``site_status`` in an orthonormal basis) when there are sites, and
        ``latent_z`` (subject x latent), the subjects' latents in the sampler's coordinates
        (:mod:`camg_bayes.model.whiten`). Potential: ``latent_prior`` (the latents' prior
        and the Jacobian). Per-subject quantities (true serum Mg, stores) are computed after
        sampling (:func:`camg_bayes.draws.subject_quantities`). Observed: ``<column>_mean``
        and, for subjects with repeats whose within sum of squares has a term of its own
        (:func:`~camg_bayes.physiology.observation.ss_positions`), ``<column>_ss``.

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
        "latent": list(LATENTS),
    }
    if design.sites:
        coords["site"] = list(design.sites)
    for column, summary in design.summaries.items():
        coords[f"{column}_subject"] = design.subjects[summary.subject]

    with pm.Model(coords=coords) as model:
        theta = expand(
            {name: prior_variable(config.priors[name]) for name in used_parameters(config, design)}
        )
        cov = {
            key: pm.Data(key, np.asarray(value, dtype=float), dims="subject")
            for key, value in design.cov.items()
            if key != "site"
        }
        cov["site_intake"], cov["site_status"] = _site_offsets(theta, design)
        zeta = pm.Flat("latent_z", dims=("subject", "latent"))
        latent, log_jacobian = latents_from_coordinates(theta, cov, zeta, anchors(design))
        pm.Potential(
            "latent_prior", prior_logpdf(theta, cov, latent) + log_jacobian, dims="subject"
        )
        state = steady_state(
            theta, cov, latent, mg_dependent_pth=config.switches["mg_dependent_pth"]
        )
        _likelihood(theta, state, design)
        if prior_weight != 1.0:
            _temper_prior(model, prior_weight)
    return model


def _temper_prior(model: pm.Model, weight: float) -> None:
    """Raise the prior of the population's free variables to the power ``weight``."""
    if not 0.0 < weight <= 1.0:
        raise ValueError(f"prior_weight must be in (0, 1], not {weight}")
    population = [model[name] for name in population_free_variables(model)]
    pm.Potential("prior_tempering", (weight - 1.0) * model.logp(vars=population, jacobian=False))


def population_free_variables(model: pm.Model) -> list[str]:
    """Names of the free population-level variables as sampled (site offsets in their basis)."""
    dims = model.named_vars_to_dims
    return [
        rv.name
        for rv in model.free_RVs
        if not any(d.endswith("subject") for d in (dims.get(rv.name) or ()))
    ]


def _site_offsets(theta: dict, design: Design):
    """Site offsets on log intake and log stores, per subject (0 without a site)."""
    if not design.sites:
        zero = np.zeros(design.n)
        return zero, zero
    basis = zero_sum_basis(len(design.sites))
    pm.modelcontext(None).add_coord("site_basis", np.arange(basis.shape[1]))
    offsets = []
    for level, sd in (("intake", "site_intake_sd"), ("status", "site_status_sd")):
        # Zero-sum: the population means are those of the average site, so the sex-specific
        # means and a common shift of all sites are not a non-identified direction. The
        # offsets are an orthonormal basis of the zero-sum space times independent normals,
        # which is the zero-sum normal distribution. Centred: each site's offset is pinned
        # by its own subjects; the boundary-avoiding prior on the site SD keeps the sampler
        # out of the funnel near SD = 0.
        raw = pm.Normal(f"site_{level}_basis", 0.0, theta[sd], dims="site_basis")
        offset = pm.Deterministic(f"site_{level}", pt.dot(basis, raw), dims="site")
        offsets.append(site_effect(offset, design.cov["site"]))
    return offsets[0], offsets[1]


def zero_sum_basis(n: int) -> np.ndarray:
    """An ``(n, n - 1)`` orthonormal basis of the vectors that sum to zero (Helmert)."""
    basis = np.zeros((n, n - 1))
    for k in range(1, n):
        basis[:k, k - 1] = 1.0 / np.sqrt(k * (k + 1))
        basis[k, k - 1] = -k / np.sqrt(k * (k + 1))
    return basis


def _mean_logp(value, mu, within, *rest, summary, gross, free_share):
    """Log density of the subjects' mean readings: :func:`log_mean_density`.

    ``rest`` is the between-subject SD (absent for a measurement without a deviation),
    then, if ``free_share``, the gross-error share, a model variable passed as a
    parameter so that PyMC sees it.
    """
    if free_share:
        *rest, share = rest
        gross = replace(gross, share=share)
    return log_mean_density(summary, value - mu, within, rest[0] if rest else 0.0, gross)


def _likelihood(theta: dict, state: dict, design: Design) -> None:
    """Observed variables: sufficient statistics of every measurement present."""
    model = pm.modelcontext(None)
    for measurement, summary, mu, within, between in expectations(theta, state, design.summaries):
        gross = gross_error(measurement, theta)
        name, dims = f"{measurement.column}_mean", f"{measurement.column}_subject"
        sds = (within, between) if measurement.between else (within,)
        free_share = gross is not None and isinstance(gross.share, Variable)
        pm.CustomDist(
            name,
            mu,
            *sds,
            *((gross.share,) if free_share else ()),
            logp=partial(_mean_logp, summary=summary, gross=gross, free_share=free_share),
            observed=summary.mean,
            dims=dims,
        )
        positions = ss_positions(summary, gross)
        if len(positions):
            shape, rate = ss_shape_rate(summary, within, positions)
            dims = f"{measurement.column}_repeat"
            model.add_coord(dims, design.subjects[summary.subject[positions]])
            pm.Gamma(
                f"{measurement.column}_ss",
                alpha=shape,
                beta=rate,
                observed=summary.ss[positions],
                dims=dims,
            )


def population_parameters(model: pm.Model) -> list[str]:
    """Names of the free population-level variables (not per-subject latents)."""
    names = population_free_variables(model)
    # site offsets are reported as offsets (deterministic), not in their zero-sum basis
    return [name.removesuffix("_basis") for name in names]
