r"""Posterior and prior predictive checks, LOO-PIT, and model comparison by PSIS-LOO.

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

from camg_bayes.design import Design, build_design
from camg_bayes.importance import N_LATENT
from camg_bayes.io import fit_cohort, fit_config
from camg_bayes.marginal import GROUP as MARGINAL
from camg_bayes.marginal import marginal_loglik
from camg_bayes.observation import BY_COLUMN, MEASUREMENTS, draw, from_model_scale, location
from camg_bayes.population import population_from_prior
from camg_bayes.posterior import covariates, for_subjects, subject_states
from camg_bayes.priors import ModelConfig
from camg_bayes.state import latents_from_standard, steady_state

#: Clinical cut-off per measurement: (direction, value in canonical units, meaning).
CUTOFFS = {
    "serum_mg": ("below", 0.75, "hypomagnesaemia (< 0.75 mmol/L)"),
    "serum_ca": ("below", 2.2, "albumin-corrected Ca < 2.2 mmol/L"),
    "ionized_ca": ("below", 1.12, "ionized Ca < 1.12 mmol/L"),
    "pth": ("above", 6.9, "PTH above the 6.9 pmol/L reference limit"),
    "urine_mg": ("below", 1.0, "urine Mg < 1 mmol/d (renal conservation)"),
    "urine_ca": ("above", 7.5, "urine Ca > 7.5 mmol/d (hypercalciuria)"),
    "diet_mg": ("below", 265.0, "recall below the Mg EAR (265 mg/d)"),
    "diet_ca": ("below", 800.0, "recall below the Ca EAR (800 mg/d)"),
}
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


def _replicate(theta_b: dict, state: dict, design: Design, rng) -> dict:
    """Replicated readings on the cohort's schedule from states ``(draw, subject)``."""
    out = {}
    for column, summary in design.summaries.items():
        m = BY_COLUMN[column]
        mask = np.isfinite(design.readings[column])
        within = theta_b[m.within]
        between = theta_b[m.between] if m.between else 0.0
        extra = np.zeros(design.n)
        extra[summary.subject] = summary.extra_sd
        mu = location(m, state[m.state], within, np)
        out[column] = draw(m, mu, within, between, mask, rng, extra_sd=extra)
    return out


def _statistics(values: np.ndarray, column: str) -> dict:
    """Test statistics of readings (NaN = missing) along the last two axes."""
    flat = values.reshape(*values.shape[:-2], -1)
    direction, cut, _ = CUTOFFS[column]
    beyond = flat < cut if direction == "below" else flat > cut
    finite = np.isfinite(flat)
    return {
        "mean": np.nanmean(flat, axis=-1),
        "sd": np.nanstd(flat, axis=-1),
        "p05": np.nanquantile(flat, 0.05, axis=-1),
        "p95": np.nanquantile(flat, 0.95, axis=-1),
        "fraction_beyond_cutoff": (beyond & finite).sum(-1) / finite.sum(-1),
    }


def statistics_table(observed: dict, replicated: dict) -> pd.DataFrame:
    """Test statistics, their predictive intervals and p-values, flagged in words."""
    rows = []
    for column, values in observed.items():
        obs = _statistics(values[None], column)
        rep = _statistics(replicated[column], column)
        for name, t_obs in obs.items():
            t_obs = float(t_obs[0])
            t_rep = rep[name]
            # mid-p: ties (common for fractions near 0) count half, so a statistic the
            # model reproduces exactly is not flagged
            p = float(np.mean(t_rep > t_obs) + 0.5 * np.mean(t_rep == t_obs))
            lo, hi = np.quantile(t_rep, [0.05, 0.95])
            flag = p < 0.025 or p > 0.975
            label = name if name != "fraction_beyond_cutoff" else f"fraction: {CUTOFFS[column][2]}"
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


def marginal_tree(tree: xr.DataTree) -> xr.DataTree:
    """Posterior and integrated per-subject log-likelihood at the same (thinned) draws.

    Uses the fit's ``log_likelihood_marginal`` group, computing it if the fit lacks it.
    """
    if MARGINAL in tree.children:
        marginal = tree[MARGINAL].to_dataset()
    else:
        config = fit_config(tree)
        marginal = marginal_loglik(tree, config, build_design(fit_cohort(tree), config))
    posterior = tree["posterior"].to_dataset().sel(draw=marginal["draw"].values)
    return xr.DataTree.from_dict(
        {"posterior": posterior, "log_likelihood": marginal[["all_measurements"]]}
    )


def posterior_predictive(tree: xr.DataTree, *, random_seed=None) -> PredictiveCheck:
    """Posterior predictive checks and LOO-PIT of a fit.

    Replicates are drawn at the draws of the integrated log-likelihood (500 by default),
    so that LOO-PIT can weight them by leave-one-subject-out PSIS.

    Parameters
    ----------
    tree : xarray.DataTree
        A fit.
    random_seed : int, optional
    """
    rng = np.random.default_rng(random_seed)
    config = fit_config(tree)
    design = build_design(fit_cohort(tree), config)
    joint = marginal_tree(tree)
    n_draw = tree["posterior"].sizes["draw"]
    chains = np.arange(tree["posterior"].sizes["chain"])
    draws = np.searchsorted(tree["posterior"]["draw"].values, joint["posterior"]["draw"].values)
    keep = (chains[:, None] * n_draw + draws[None, :]).ravel()
    theta_b, state = subject_states(tree, config, design, keep)
    replicated = _replicate(theta_b, state, design, rng)
    observed = _observed(design)
    loglik = joint["log_likelihood"]["all_measurements"].values.reshape(len(keep), -1)
    fresh = _new_subject_states(theta_b, state["cov"], design, config, rng)
    pit = _loo_pit(loglik, design, observed, _replicate(theta_b, fresh, design, rng))
    return PredictiveCheck(
        "posterior",
        observed,
        replicated,
        statistics_table(observed, replicated),
        pit,
        pit_table(pit),
    )


def prior_predictive(
    cohort: xr.Dataset, config: ModelConfig | None = None, *, n_draws: int = 200, random_seed=None
) -> PredictiveCheck:
    """Prior predictive checks: what the literature priors imply for this cohort's design."""
    rng = np.random.default_rng(random_seed)
    population = population_from_prior(config, n_draws=n_draws, random_seed=rng)
    config = population.config
    design = build_design(cohort, config)
    theta_b = for_subjects(population.theta)
    state = _new_subject_states(theta_b, covariates(design), design, config, rng)
    replicated = _replicate(theta_b, state, design, rng)
    observed = _observed(design)
    return PredictiveCheck(
        "prior", observed, replicated, statistics_table(observed, replicated), {}, pit_table({})
    )


def _new_subject_states(theta_b: dict, cov: dict, design: Design, config: ModelConfig, rng) -> dict:
    """Steady states of new subjects with the cohort's covariates, latents from the population.

    ``theta_b`` holds parameters shaped ``(sample, 1[, 2])``; every sample gets its own
    standard-normal latent deviates per subject.
    """
    n_sample = next(iter(theta_b.values())).shape[0]
    u = rng.standard_normal((n_sample, design.n, N_LATENT))
    latent = latents_from_standard(theta_b, cov, u)
    return steady_state(theta_b, cov, latent, mg_dependent_pth=config.switches["mg_dependent_pth"])


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


def loo(tree: xr.DataTree):
    """Leave-one-subject-out PSIS-LOO of a fit (ArviZ ``ELPDData``).

    Uses each subject's integrated (marginal) likelihood; Pareto k diagnostics are in the
    result (``pareto_k``) and in :func:`compare`'s table.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        return az.loo(marginal_tree(tree), var_name="all_measurements", pointwise=True)


def compare(fits: dict[str, xr.DataTree]) -> pd.DataFrame:
    """Compare fits of the same cohort by PSIS-LOO.

    Parameters
    ----------
    fits : dict
        Label -> fit. All must be fits of the same cohort (same data hash).

    Returns
    -------
    pandas.DataFrame
        ArviZ's comparison (``elpd``, ``p``, ``elpd_diff``, ``dse``, ``weight``, ...), plus
        ``variant``, ``k_over_0.7`` (subjects with Pareto k > 0.7) and ``k_max``.
    """
    from camg_bayes.errors import CamgError

    hashes = {label: tree.attrs["data_hash"] for label, tree in fits.items()}
    if len(set(hashes.values())) > 1:
        raise CamgError(
            "fits of different cohorts cannot be compared by LOO: "
            + ", ".join(f"{k} (data {v})" for k, v in hashes.items())
        )
    elpd = {label: loo(tree) for label, tree in fits.items()}
    # Keep raw numbers (ArviZ 1.x rounds elpd to the digits its SE supports); display rounds.
    table = az.compare(elpd, var_name="all_measurements", round_to="none")
    for label, result in elpd.items():
        k = np.asarray(result.pareto_k)
        table.loc[label, "variant"] = fits[label].attrs.get("variant", "")
        table.loc[label, "k_over_0.7"] = int((k > 0.7).sum())
        table.loc[label, "k_max"] = float(np.max(k))
    return table
