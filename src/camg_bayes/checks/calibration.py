"""Compare a fit with the truth of a simulated cohort: parameter recovery and coverage.

These functions back the slow scientific tests and the benchmarks, and let a user check
the model on their own simulated designs before trusting it on real data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes import seeds
from camg_bayes.checks.diagnostics import element_labels
from camg_bayes.draws.summary import PROB
from camg_bayes.fitting.fitfile import Fit


def truth_in_model_terms(params: dict) -> dict[str, np.ndarray]:
    """Simulation parameters expressed the way the model parameterises them.

    The model's site offsets sum to zero, so its intercepts are those of the average site:
    the true intercepts shift by the mean of the drawn site offsets, and the true offsets
    are centred.

    Parameters
    ----------
    params : dict
        The JSON written beside a simulated truth file.
    """
    out = {k: np.asarray(v, dtype=float) for k, v in params.items() if not k.startswith("_")}
    sim = params.get("_simulation", {})
    for level, intercepts in (
        ("intake", ("intake_mg_median", "intake_ca_median")),
        ("status", ("mg_status_ref",)),
    ):
        offsets = np.asarray(sim.get(f"site_{level}_offset", []), dtype=float)
        if offsets.size:
            for name in intercepts:
                out[name] = out[name] * np.exp(offsets.mean())
            out[f"site_{level}"] = offsets - offsets.mean()
    return out


def parameter_recovery(
    fit: Fit, params: dict, prob: float = 0.9, *, random_seed: seeds.Seed = None
) -> pd.DataFrame:
    """Posterior intervals of every population parameter against the truth.

    Parameters
    ----------
    fit : Fit
        A fit of a simulated cohort.
    params : dict
        The simulation's parameter JSON.
    prob : float
        Central interval probability.
    random_seed : int, optional
        Seed of the prior draws that give each parameter's prior SD (the fit's by default).

    Returns
    -------
    pandas.DataFrame
        Per parameter element: ``truth``, ``mean``, ``lo``, ``hi``, ``covered``,
        ``z`` ((mean - truth) / posterior SD), ``prior_sd``, ``posterior_sd`` and
        ``informed`` (posterior SD at most half the prior SD: the data, not the prior,
        set the interval).
    """
    truth = truth_in_model_terms(params)
    posterior = fit.posterior
    seed = fit.attrs["random_seed"] if random_seed is None else random_seed
    prior_draws = fit.config.sample(seeds.generator(seed, "calibration"), 4000)
    rows = []
    names = fit.population_names + [n for n in ("site_intake", "site_status") if n in posterior]
    for name in dict.fromkeys(names):
        if name not in truth or name not in posterior:
            continue
        draws = posterior[name].values.reshape(-1, *posterior[name].shape[2:])
        true = np.broadcast_to(truth[name], draws.shape[1:])
        labels = element_labels(name, posterior[name])
        for index, label in zip(np.ndindex(draws.shape[1:]), labels, strict=True):
            column = draws[(slice(None), *index)]
            lo, hi = np.quantile(column, [(1 - prob) / 2, (1 + prob) / 2])
            value = float(true[index])
            sd = float(column.std())
            if name in prior_draws:
                prior_sd = float(prior_draws[name][(slice(None), *index)].std())
            else:  # site offsets: the prior SD is that of the site SD's prior
                prior_sd = float(prior_draws[f"{name}_sd"].std() + prior_draws[f"{name}_sd"].mean())
            rows.append(
                {
                    "parameter": label,
                    "truth": value,
                    "mean": float(column.mean()),
                    "lo": float(lo),
                    "hi": float(hi),
                    "covered": bool(lo <= value <= hi),
                    "z": (float(column.mean()) - value) / sd if sd > 0 else np.nan,
                    "prior_sd": prior_sd,
                    "posterior_sd": sd,
                    "informed": bool(sd <= 0.5 * prior_sd),
                }
            )
    return pd.DataFrame(rows).set_index("parameter")


def subject_intervals(
    fit: Fit, variable: str = "serum_mg_true", prob: float = PROB
) -> pd.DataFrame:
    """Posterior mean and central interval of a per-subject quantity.

    At the summaries' probability (:data:`camg_bayes.draws.summary.PROB`) from every draw
    (the fit's subject summary); otherwise from the kept draws.
    """
    summary = fit.summary
    if np.isclose(prob, PROB) and f"{variable}_lo" in summary:
        mean, lo, hi = (summary[f"{variable}_{k}"].values for k in ("mean", "lo", "hi"))
    else:
        values = fit.subject_states[1][variable]
        mean = values.mean(axis=0)
        lo, hi = np.quantile(values, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    index = pd.Index(summary["subject"].values, name="subject_id")
    return pd.DataFrame({"mean": mean, "lo": lo, "hi": hi}, index=index)


def subject_coverage(fit: Fit, truth: pd.DataFrame, prob: float = PROB) -> float:
    """Share of subjects whose true serum Mg lies in their central posterior interval."""
    intervals = subject_intervals(fit, prob=prob)
    true = truth.set_index("subject_id")["true_serum_mg"].reindex(intervals.index)
    return float(((intervals["lo"] <= true) & (true <= intervals["hi"])).mean())


def calibration_table(p: np.ndarray, outcome: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Mean predicted probability against the observed rate, in quantile bins of ``p``.

    Parameters
    ----------
    p : array_like
        Predicted probabilities.
    outcome : array_like of bool
        True outcomes.
    bins : int
        Number of bins (deciles by default); ties keep bins of unequal size.

    Returns
    -------
    pandas.DataFrame
        Per bin: ``n``, ``mean_predicted``, ``observed`` and ``difference``.
    """
    p, outcome = np.asarray(p, float), np.asarray(outcome, float)
    return _binned(p, outcome, np.array_split(np.argsort(p, kind="stable"), bins))


def _binned(p: np.ndarray, outcome: np.ndarray, groups: list[np.ndarray]) -> pd.DataFrame:
    """``n``, ``mean_predicted``, ``observed`` and ``difference`` per group of indices."""
    table = pd.DataFrame(
        {
            "n": [len(g) for g in groups],
            "mean_predicted": [float(p[g].mean()) for g in groups],
            "observed": [float(outcome[g].mean()) for g in groups],
        }
    )
    table["difference"] = table["observed"] - table["mean_predicted"]
    return table


def reliability_table(p: np.ndarray, outcome: np.ndarray, width: float = 0.1) -> pd.DataFrame:
    r"""Mean predicted probability against the observed rate, in fixed-width bins of ``p``.

    Quantile bins (:func:`calibration_table`) put most subjects of a low-prevalence cohort
    in bins where ``p`` is near 0; fixed-width bins show calibration across the range of
    ``p`` where decisions are made. Each bin carries the binomial standard error of its
    observed rate under the predictions, :math:`\sqrt{\sum_i p_i (1 - p_i)} / n`, and
    ``z = difference / se``.

    Parameters
    ----------
    p : array_like
        Predicted probabilities in [0, 1].
    outcome : array_like of bool
        True outcomes.
    width : float
        Bin width; the last bin includes 1.

    Returns
    -------
    pandas.DataFrame
        Per non-empty bin: ``lo``, ``hi``, ``n``, ``mean_predicted``, ``observed``,
        ``difference``, ``se`` and ``z``.
    """
    p, outcome = np.asarray(p, float), np.asarray(outcome, float)
    edges = np.linspace(0.0, 1.0, round(1.0 / width) + 1)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, len(edges) - 2)
    bins = np.unique(which)
    groups = [np.flatnonzero(which == b) for b in bins]
    table = _binned(p, outcome, groups)
    table.insert(0, "lo", edges[bins])
    table.insert(1, "hi", edges[bins + 1])
    table["se"] = [np.sqrt(np.sum(p[g] * (1 - p[g]))) / len(g) for g in groups]
    spread = table["se"] > 0
    table["z"] = np.where(spread, table["difference"] / table["se"].where(spread, 1.0), 0.0)
    return table


def brier_score(p: np.ndarray, outcome: np.ndarray) -> float:
    """Mean squared difference between predicted probability and outcome (lower is better)."""
    return float(np.mean((np.asarray(p, float) - np.asarray(outcome, float)) ** 2))


def serum_only_rule(ds: xr.Dataset, threshold: float) -> np.ndarray:
    """The usual clinical rule: deficient if the mean measured serum Mg is below the threshold.

    Subjects without serum Mg get the rule's rate among those measured.
    """
    values = ds["serum_mg"].values
    have = np.isfinite(values)
    mean = np.where(have, values, 0.0).sum(axis=1) / np.maximum(have.sum(axis=1), 1)
    measured = have.any(axis=1)
    rule = (mean < threshold).astype(float)
    return np.where(measured, rule, rule[measured].mean() if measured.any() else 0.5)
