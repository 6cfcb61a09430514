"""Individual deficiency probabilities: ``score(cohort, fit=None)``.

For each subject: the posterior probability that their *true* serum Mg (long-run mean,
without assay or day-to-day error) is below the threshold, with the posterior mean and
90 % equal-tailed interval of true serum Mg and of Mg stores, and what drove it.

* Subjects that were in the fit (same identifier, same readings) use their posterior draws.
* Other subjects are scored against the fitted population without refitting, by
  importance sampling of their own latents (:mod:`camg_bayes.importance`).
* Without a fit, every subject is scored against the literature-prior population.

Extra columns: ``p_deficient_prior`` (from sex, age, site, eGFR and supplements alone,
before any reading), ``absorbed_mg_mean`` (net absorbed Mg, mg/d), ``urine_mg_mean``
(steady-state 24-h urine Mg, mmol/d), ``femg_mean``, ``ca_ion_mean``, ``measurements``
(readings used), ``driver`` (the measurement whose removal would move ``p_deficient``
most) with ``driver_shift`` (``p_deficient`` minus ``p_deficient`` without it),
``method``, ``ess`` (effective sample size behind the probability) and ``population``.
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes.design import Design, build_design
from camg_bayes.importance import N_LATENT, weigh_subject
from camg_bayes.io import fit_cohort
from camg_bayes.loading import load_cohort
from camg_bayes.population import Population, fitted_subjects, population_for
from camg_bayes.posterior import chunks, for_subjects, subject_states
from camg_bayes.priors import ModelConfig
from camg_bayes.state import latents_from_standard, steady_state

PROB = 0.90
SCORE_COLUMNS = (
    "subject_id",
    "p_deficient",
    "serum_mg_true_mean",
    "serum_mg_true_lo",
    "serum_mg_true_hi",
    "mg_status_mean",
    "mg_status_lo",
    "mg_status_hi",
    "p_deficient_prior",
    "absorbed_mg_mean",
    "urine_mg_mean",
    "femg_mean",
    "ca_ion_mean",
    "measurements",
    "driver",
    "driver_shift",
    "method",
    "ess",
    "population",
)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q) -> np.ndarray:
    """Quantiles of a weighted sample (inverse of the weighted empirical CDF)."""
    values, weights = np.ravel(values), np.ravel(weights)
    order = np.argsort(values)
    w = weights[order] / weights.sum()
    midpoints = np.cumsum(w) - w / 2
    return np.interp(np.atleast_1d(q), midpoints, values[order])


def truncated_weights(log_ratio: np.ndarray) -> np.ndarray:
    """Normalised importance weights, truncated at mean x sqrt(n) (Ionides 2008)."""
    r = np.exp(log_ratio - np.max(log_ratio))
    r = np.minimum(r, r.mean() * np.sqrt(r.size))
    return r / r.sum()


def _measurement_list(design: Design, j: int) -> str:
    parts = []
    for column, summary in design.summaries.items():
        position = np.flatnonzero(summary.subject == j)
        if position.size:
            k = int(summary.count[position[0]])
            parts.append(column if k == 1 else f"{column} x{k}")
    return ", ".join(parts)


def _summarise(state: dict, weights: np.ndarray, threshold: float) -> dict:
    """Weighted summaries of a subject's draws (weights sum to 1)."""
    serum, status = state["serum_mg_true"], state["mg_status"]
    lo, hi = (1 - PROB) / 2, (1 + PROB) / 2
    s_lo, s_hi = weighted_quantile(serum, weights, [lo, hi])
    m_lo, m_hi = weighted_quantile(status, weights, [lo, hi])
    return {
        "p_deficient": float(np.sum(weights * (serum < threshold))),
        "serum_mg_true_mean": float(np.sum(weights * serum)),
        "serum_mg_true_lo": float(s_lo),
        "serum_mg_true_hi": float(s_hi),
        "mg_status_mean": float(np.sum(weights * status)),
        "mg_status_lo": float(m_lo),
        "mg_status_hi": float(m_hi),
        "absorbed_mg_mean": float(np.sum(weights * state["absorbed_mg"])),
        "urine_mg_mean": float(np.sum(weights * state["urine_mg_true"])),
        "femg_mean": float(np.sum(weights * state["femg"])),
        "ca_ion_mean": float(np.sum(weights * state["ca_ion_true"])),
    }


def _driver(serum: np.ndarray, weights: np.ndarray, loglik: dict, threshold: float, p: float):
    """The measurement whose removal moves ``p_deficient`` most, and by how much."""
    best, shift = "", 0.0
    below = serum < threshold
    for column, ll in loglik.items():
        w = truncated_weights(np.log(np.maximum(weights, 1e-300)).ravel() - np.ravel(ll))
        p_without = float(np.sum(w * below.ravel()))
        if abs(p - p_without) > abs(shift):
            best, shift = column, p - p_without
    return best, shift


def prior_probabilities(
    population: Population,
    design: Design,
    threshold: float,
    *,
    rng: np.random.Generator,
    chunk: int = 200,
) -> np.ndarray:
    """P(deficient) of each subject from covariates alone (population draws x prior latents)."""
    out = np.empty(design.n)
    theta_b = for_subjects(population.theta)
    pth_switch = population.config.switches["mg_dependent_pth"]
    site_index = _site_map(population, design)
    for part in chunks(design.n, chunk):
        cov = {k: v[part] for k, v in design.cov.items() if k != "site"}
        offsets = _site_offsets(population, site_index[part])
        for key, value in zip(("site_intake", "site_status"), offsets, strict=True):
            cov[key] = np.zeros(part.stop - part.start) if value is None else value
        u = rng.standard_normal((population.n_draws, part.stop - part.start, N_LATENT))
        latent = latents_from_standard(theta_b, cov, u)
        serum = steady_state(theta_b, cov, latent, mg_dependent_pth=pth_switch)["serum_mg_true"]
        out[part] = (serum < threshold).mean(axis=0)
    return out


def _site_map(population: Population, design: Design) -> np.ndarray:
    """Index of each subject's site among the population's sites (-1 if unknown)."""
    labels = [design.sites[i] if i >= 0 else None for i in design.cov["site"]]
    return np.array([population.sites.index(s) if s in population.sites else -1 for s in labels])


def _site_offsets(population: Population, index: np.ndarray):
    """Per-draw site offsets ``(draw, subject)`` for subjects with site ``index`` (-1: none)."""
    out = []
    for offsets in (population.site_intake, population.site_status):
        if offsets is None:
            out.append(None)
            continue
        padded = np.concatenate([offsets, np.zeros((offsets.shape[0], 1))], axis=1)
        out.append(padded[:, np.where(index >= 0, index, offsets.shape[1])])
    return out


def score(
    cohort,
    fit: xr.DataTree | None = None,
    *,
    threshold: float | None = None,
    config: ModelConfig | None = None,
    n_draws: int = 1000,
    random_seed=None,
) -> pd.DataFrame:
    """Score every subject of a cohort.

    Parameters
    ----------
    cohort : xarray.Dataset, pandas.DataFrame or path
        The subjects to score.
    fit : xarray.DataTree, optional
        A fit (:func:`camg_bayes.io.load_fit`). Without it, the literature-prior population
        of ``config`` (default priors) is used.
    threshold : float, optional
        Deficiency threshold on true serum Mg, mmol/L; the configuration's (0.75) if None.
    config : ModelConfig, optional
        Only without ``fit``: the priors of the population.
    n_draws : int
        Population draws used for subjects scored by importance sampling.
    random_seed : int, optional

    Returns
    -------
    pandas.DataFrame
        One row per subject, columns :data:`SCORE_COLUMNS`. ``attrs`` carry
        ``population`` (its source), ``threshold`` and ``n_in_fit``.

    Examples
    --------
    >>> from camg_bayes.simulate import simulate
    >>> table = score(simulate(3, random_seed=1).cohort, random_seed=1)  # doctest: +SKIP
    """
    rng = np.random.default_rng(random_seed)
    ds = cohort if isinstance(cohort, xr.Dataset) else load_cohort(cohort)
    population = population_for(fit, config, n_draws=n_draws, rng=rng)
    config = population.config
    threshold = config.threshold if threshold is None else float(threshold)
    design = build_design(ds, config)
    fitted = fitted_subjects(ds, fit)
    in_fit = np.array([s in fitted for s in design.subjects], dtype=bool)

    rows: list[dict] = [{} for _ in range(design.n)]
    if in_fit.any():
        _score_in_fit(fit, config, design, fitted, threshold, rows)
    for j in np.flatnonzero(~in_fit):
        weighted = weigh_subject(population, design, j, rng=rng)
        summary = _summarise(weighted.state, weighted.weights, threshold)
        driver, shift = _driver(
            weighted.state["serum_mg_true"],
            weighted.weights,
            weighted.loglik,
            threshold,
            summary["p_deficient"],
        )
        rows[j] = summary | {
            "driver": driver,
            "driver_shift": shift,
            "method": "importance sampling" if fit is not None else "importance sampling (prior)",
            "ess": weighted.ess,
        }
    prior_p = prior_probabilities(population, design, threshold, rng=rng)
    for j in range(design.n):
        rows[j] |= {
            "subject_id": design.subjects[j],
            "p_deficient_prior": float(prior_p[j]),
            "measurements": _measurement_list(design, j),
            "population": population.source,
        }
    table = pd.DataFrame(rows)[list(SCORE_COLUMNS)]
    table.attrs.update(
        population=population.source, threshold=threshold, n_in_fit=int(in_fit.sum())
    )
    return table


def _score_in_fit(fit, config, design: Design, fitted: dict, threshold: float, rows: list) -> None:
    """Summaries from the posterior draws of subjects that were in the fit."""
    fit_design = build_design(fit_cohort(fit), config)
    in_fit = np.array([s in fitted for s in design.subjects], dtype=bool)
    index = np.array([fitted[s] for s in design.subjects[in_fit]])
    posterior = fit["posterior"].to_dataset()
    n_samples = posterior.sizes["chain"] * posterior.sizes["draw"]
    keys = ("serum_mg_true", "mg_status", "absorbed_mg", "urine_mg_true", "femg", "ca_ion_true")
    states = {k: np.empty((n_samples, len(index))) for k in keys}
    for part in chunks(n_samples, 500):
        _, state = subject_states(fit, config, fit_design, part)
        for k in keys:
            states[k][part] = state[k][:, index]
    loglik = fit["log_likelihood"].to_dataset()
    ess = az.ess(posterior[["serum_mg_true"]])["serum_mg_true"].values[index]
    weights = np.full(n_samples, 1.0 / n_samples)
    for col, (j, i) in enumerate(zip(np.flatnonzero(in_fit), index, strict=True)):
        state = {k: v[:, col] for k, v in states.items()}
        summary = _summarise(state, weights, threshold)
        terms = {}
        for column, s in fit_design.summaries.items():
            pos = np.flatnonzero(s.subject == i)
            if not pos.size:
                continue
            ll = loglik[f"{column}_mean"].values.reshape(n_samples, -1)[:, pos[0]]
            rep = np.flatnonzero(s.repeated == pos[0])
            if rep.size:
                ll = ll + loglik[f"{column}_ss"].values.reshape(n_samples, -1)[:, rep[0]]
            terms[column] = ll
        driver, shift = _driver(
            state["serum_mg_true"], weights, terms, threshold, summary["p_deficient"]
        )
        rows[j] = summary | {
            "driver": driver,
            "driver_shift": shift,
            "method": "posterior draws",
            "ess": float(ess[col]),
        }
