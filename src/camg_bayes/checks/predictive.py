r"""Posterior and prior predictive checks and LOO-PIT.

Replicated readings are drawn on the cohort's own schedule (same subjects, same
occasions, same missingness) from the observation model of every measurement, either
from posterior draws (posterior predictive) or from the literature priors (prior
predictive). Test statistics per measurement: mean, SD, 5th and 95th percentiles and the
fraction beyond a clinical cut-off, each with its posterior predictive p-value
:math:`P(T(y^{rep}) > T(y)) + P(T(y^{rep}) = T(y))/2`; values below 0.025 or above
0.975 are flagged in words.
LOO-PIT values use each subject's mean reading and leave-one-subject-out PSIS weights
(ArviZ) from the integrated per-subject likelihood; the matching predictive draws give
each subject fresh latents from the population at every posterior draw (the
leave-one-subject-out predictive, not one conditioned on the subject's own data).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes import seeds
from camg_bayes.checks.loo import integrated_loglik
from camg_bayes.draws.draws import Draws
from camg_bayes.fitting.fitfile import Fit
from camg_bayes.model.config import ModelConfig
from camg_bayes.model.design import Design, build_design
from camg_bayes.physiology.observation import (
    BY_COLUMN,
    MEASUREMENTS,
    adjustment,
    draw,
    from_model_scale,
    gross_error,
    location,
    sds,
)

#: Clinical cut-off per measurement: (direction, value in canonical units, meaning). Serum
#: Mg's is the deficiency threshold of the configuration (see :func:`cutoffs`).
CUTOFFS = {
    "serum_ca": ("below", 2.2, "albumin-corrected Ca < 2.2 mmol/L"),
    "ionized_ca": ("below", 1.12, "ionized Ca < 1.12 mmol/L"),
    "pth": ("above", 6.9, "PTH above the 6.9 pmol/L reference limit"),
    "urine_mg": ("below", 1.0, "urine Mg < 1 mmol/d (renal conservation)"),
    "urine_ca": ("above", 7.5, "urine Ca > 7.5 mmol/d (hypercalciuria)"),
    "diet_mg": ("below", 265.0, "recall below the Mg EAR (265 mg/d)"),
    "diet_ca": ("below", 800.0, "recall below the Ca EAR (800 mg/d)"),
}


def cutoffs(threshold: float) -> dict:
    """The clinical cut-offs, with serum Mg's at the deficiency threshold (mmol/L)."""
    return {"serum_mg": ("below", threshold, f"hypomagnesaemia (< {threshold:g} mmol/L)")} | CUTOFFS


UNITS = {
    "diet_mg": "mg/d",
    "diet_ca": "mg/d",
    "serum_mg": "mmol/L",
    "serum_ca": "mmol/L (albumin-corrected)",
    "ionized_ca": "mmol/L",
    "pth": "pmol/L",
    "urine_mg": "mmol/d",
    "urine_ca": "mmol/d",
}


@dataclass
class PredictiveCheck:
    """Observed and replicated readings with their test statistics.

    Attributes
    ----------
    kind : str
        ``"posterior"`` or ``"prior"``.
    observed : dict
        Column -> observed readings ``(subject, occasion)``, natural units (serum Ca
        albumin-corrected).
    replicated : dict
        Column -> replicated readings ``(draw, subject, occasion)``.
    statistics : pandas.DataFrame
        One row per measurement and statistic: ``observed``, ``replicated_mean``,
        ``replicated_lo``, ``replicated_hi`` (90 %), ``p_value``, ``flag``, ``comment``.
    loo_pit : dict
        Column -> LOO-PIT values of each subject's mean reading (posterior checks only).
    pit_statistics : pandas.DataFrame
        :func:`pit_table` of ``loo_pit`` (empty for prior checks).
    """

    kind: str
    observed: dict
    replicated: dict
    statistics: pd.DataFrame
    loo_pit: dict
    pit_statistics: pd.DataFrame


def _observed(design: Design) -> dict:
    return {
        m.column: from_model_scale(m, design.readings[m.column])
        for m in MEASUREMENTS
        if m.column in design.summaries
    }


def replicate(draws: Draws, state: dict, design: Design, rng) -> dict:
    """Replicated readings on the cohort's schedule from states ``(sample, subject)``."""
    theta_b = draws.broadcast()
    out = {}
    for column, summary in design.summaries.items():
        m = BY_COLUMN[column]
        mask = np.isfinite(design.readings[column])
        within, between = sds(m, theta_b)
        extra = np.zeros(design.n)
        extra[summary.subject] = summary.extra_sd
        mu = location(m, state[m.state], within)
        # a free albumin slope shifts the corrected serum Ca reading (subject-mean albumin)
        mu = mu + np.zeros(design.n)
        mu[..., summary.subject] += adjustment(m, summary, theta_b)
        out[column] = draw(
            m, mu, within, between, mask, rng, extra_sd=extra, gross=gross_error(m, theta_b)
        )
    return out


def _statistics(values: np.ndarray, cut_off: tuple) -> dict:
    """Test statistics of readings (NaN = missing) along the last two axes."""
    flat = values.reshape(*values.shape[:-2], -1)
    direction, cut, _ = cut_off
    beyond = flat < cut if direction == "below" else flat > cut
    finite = np.isfinite(flat)
    return {
        "mean": np.nanmean(flat, axis=-1),
        "sd": np.nanstd(flat, axis=-1),
        "p05": np.nanquantile(flat, 0.05, axis=-1),
        "p95": np.nanquantile(flat, 0.95, axis=-1),
        "fraction_beyond_cutoff": (beyond & finite).sum(-1) / finite.sum(-1),
    }


def statistics_table(observed: dict, replicated: dict, threshold: float) -> pd.DataFrame:
    """Test statistics, their predictive intervals and p-values, flagged in words.

    ``threshold`` (mmol/L) is the serum Mg cut-off of the fraction-beyond statistic.
    """
    limits = cutoffs(threshold)
    rows = []
    for column, values in observed.items():
        obs = _statistics(values[None], limits[column])
        rep = _statistics(replicated[column], limits[column])
        for name, t_obs in obs.items():
            t_obs = float(t_obs[0])
            t_rep = rep[name]
            # mid-p: ties (common for fractions near 0) count half, so a statistic the
            # model reproduces exactly is not flagged
            p = float(np.mean(t_rep > t_obs) + 0.5 * np.mean(t_rep == t_obs))
            lo, hi = np.quantile(t_rep, [0.05, 0.95])
            flag = p < 0.025 or p > 0.975
            label = name if name != "fraction_beyond_cutoff" else f"fraction: {limits[column][2]}"
            comment = "fits"
            if flag:
                side = "higher" if p < 0.025 else "lower"
                comment = (
                    f"the observed {label} ({t_obs:.3g}) is {side} than the model predicts "
                    f"(90 % predictive interval {lo:.3g}-{hi:.3g}): the model misfits this feature"
                )
            rows.append(
                {
                    "measurement": column,
                    "unit": UNITS[column],
                    "statistic": label,
                    "observed": t_obs,
                    "replicated_mean": float(np.mean(t_rep)),
                    "replicated_lo": float(lo),
                    "replicated_hi": float(hi),
                    "p_value": p,
                    "flag": flag,
                    "comment": comment,
                }
            )
    return pd.DataFrame(rows)


def posterior_predictive(fit: Fit, *, random_seed: seeds.Seed = None) -> PredictiveCheck:
    """Posterior predictive checks and LOO-PIT of a fit.

    Replicates are drawn at the fit's kept draws (those of the integrated log-likelihood),
    so that LOO-PIT can weight them by leave-one-subject-out PSIS.

    Parameters
    ----------
    fit : Fit
    random_seed : int, optional
        The run's seed; this step draws from its ``"check"`` stream.
    """
    rng = seeds.generator(random_seed, "check")
    design = fit.design
    integrated = integrated_loglik(fit)
    draws = fit.subject_draws()
    _, state = fit.subject_states
    replicated = replicate(draws, state, design, rng)
    observed = _observed(design)
    loglik = integrated["all_measurements"].values.reshape(draws.n, -1)
    fresh = _new_subject_states(draws, design, rng)
    pit = _loo_pit(loglik, design, observed, replicate(draws, fresh, design, rng))
    table = statistics_table(observed, replicated, fit.threshold())
    return PredictiveCheck("posterior", observed, replicated, table, pit, pit_table(pit))


def prior_predictive(
    cohort: xr.Dataset,
    config: ModelConfig | None = None,
    *,
    n_draws: int = 200,
    random_seed: seeds.Seed = None,
) -> PredictiveCheck:
    """Prior predictive checks: what the literature priors imply for this cohort's design."""
    rng = seeds.generator(random_seed, "prior_check")
    draws = Draws.from_prior(config, n=n_draws, rng=rng)
    design = build_design(cohort, draws.config)
    replicated = replicate(draws, _new_subject_states(draws, design, rng), design, rng)
    observed = _observed(design)
    table = statistics_table(observed, replicated, draws.config.threshold)
    return PredictiveCheck("prior", observed, replicated, table, {}, pit_table({}))


def _new_subject_states(draws: Draws, design: Design, rng) -> dict:
    """Steady states of new subjects with the cohort's covariates, latents from the population.

    Every sample gets its own standard-normal latent deviates per subject.
    """
    return draws.states(design, draws.prior_latents(design, rng))


def _loo_pit(loglik: np.ndarray, design: Design, observed: dict, replicated: dict) -> dict:
    """LOO-PIT of each subject's mean reading, leaving the whole subject out.

    ``loglik`` is the integrated per-subject log-likelihood ``(sample, subject)`` at the
    draws of the replicates.
    """
    out = {}
    for column, summary in design.summaries.items():
        idx = summary.subject
        obs_mean = np.nanmean(observed[column][idx], axis=1)
        rep_mean = np.nanmean(replicated[column][:, idx], axis=2)
        dims = ("chain", "draw", "obs")
        tree_pit = xr.DataTree.from_dict(
            {
                "posterior": xr.Dataset({"dummy": (("chain", "draw"), np.zeros((1, len(loglik))))}),
                "log_likelihood": xr.Dataset({column: (dims, loglik[None, :, idx])}),
                "posterior_predictive": xr.Dataset({column: (dims, rep_mean[None])}),
                "observed_data": xr.Dataset({column: (("obs",), obs_mean)}),
            }
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
            values = np.asarray(az.loo_pit(tree_pit, var_names=[column])[column].values)
        # The weighted ECDF can overshoot 1 by a rounding error (1 + 2e-16).
        out[column] = np.clip(values, 0.0, 1.0)
    return out


#: Kolmogorov-Smirnov 95 % critical value, asymptotic: ``KS_95 / sqrt(n)``.
KS_95 = 1.358


def pit_table(pit: dict) -> pd.DataFrame:
    r"""Uniformity of LOO-PIT values per measurement, flagged in words.

    The distance is the Kolmogorov-Smirnov statistic :math:`D = \max_u |F_n(u) - u|`,
    flagged above its asymptotic 95 % critical value :math:`1.358/\sqrt{n}` (the band of
    the report's LOO-PIT figure). The comment names the shape of the departure: PIT values
    that cluster mid-range mean predictive distributions that are too wide, values piled
    at 0 and 1 mean too narrow, and a shifted mean means readings systematically above or
    below the prediction.

    Parameters
    ----------
    pit : dict
        Column -> LOO-PIT values in [0, 1].

    Returns
    -------
    pandas.DataFrame
        ``measurement``, ``n``, ``ks_distance``, ``critical``, ``mean_pit``,
        ``tail_fraction`` (share of values below 0.1 or above 0.9; 0.2 if uniform),
        ``flag``, ``comment``.
    """
    rows = []
    for column, values in pit.items():
        values = np.sort(np.asarray(values, dtype=float))
        n = len(values)
        if n == 0:
            continue
        ranks = np.arange(1, n + 1) / n
        distance = float(max(np.max(ranks - values), np.max(values - (ranks - 1 / n))))
        critical = KS_95 / np.sqrt(n)
        mean = float(values.mean())
        tails = float(np.mean((values < 0.1) | (values > 0.9)))
        flag = distance > critical
        if not flag:
            comment = f"LOO-PIT of {column} is consistent with uniform (D = {distance:.3f})."
        elif abs(mean - 0.5) > 0.5 * distance:
            side = "above" if mean > 0.5 else "below"
            comment = (
                f"LOO-PIT of {column} departs from uniform (D = {distance:.3f} > "
                f"{critical:.3f}): readings lie systematically {side} what the model predicts "
                "for a subject it has not seen."
            )
        else:
            shape = "too wide" if tails < 0.2 else "too narrow"
            comment = (
                f"LOO-PIT of {column} departs from uniform (D = {distance:.3f} > "
                f"{critical:.3f}): the predictive distribution for a subject the model has not "
                f"seen is {shape} ({100 * tails:.0f} % of values in the outer 20 %)."
            )
        rows.append([column, n, distance, critical, mean, tails, flag, comment])
    columns = [
        "measurement",
        "n",
        "ks_distance",
        "critical",
        "mean_pit",
        "tail_fraction",
        "flag",
        "comment",
    ]
    return pd.DataFrame(rows, columns=columns)
