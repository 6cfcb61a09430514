"""Compare a fit with the truth of a simulated cohort: parameter recovery and coverage.

These functions back the slow scientific tests and the benchmarks, and let a user check
the model on their own simulated designs before trusting it on real data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes.diagnostics import population_names
from camg_bayes.io import fit_config


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


def parameter_recovery(tree: xr.DataTree, params: dict, prob: float = 0.9) -> pd.DataFrame:
    """Posterior intervals of every population parameter against the truth.

    Parameters
    ----------
    tree : xarray.DataTree
        A fit of a simulated cohort.
    params : dict
        The simulation's parameter JSON.
    prob : float
        Central interval probability.

    Returns
    -------
    pandas.DataFrame
        Per parameter element: ``truth``, ``mean``, ``lo``, ``hi``, ``covered``,
        ``z`` ((mean - truth) / posterior SD), ``prior_sd``, ``posterior_sd`` and
        ``informed`` (posterior SD at most half the prior SD: the data, not the prior,
        set the interval).
    """
    config = fit_config(tree)
    truth = truth_in_model_terms(params)
    posterior = tree["posterior"].to_dataset()
    rng = np.random.default_rng(0)
    prior_draws = config.sample(rng, 4000)
    rows = []
    for name in population_names(tree) + [
        n for n in ("site_intake", "site_status") if n in posterior
    ]:
        if name not in truth or name not in posterior:
            continue
        draws = posterior[name].values.reshape(-1, *posterior[name].shape[2:])
        true = np.broadcast_to(truth[name], draws.shape[1:])
        labels = (
            posterior[name].coords[posterior[name].dims[-1]].values if draws.ndim > 1 else [None]
        )
        for index in np.ndindex(draws.shape[1:]):
            column = draws[(slice(None), *index)]
            lo, hi = np.quantile(column, [(1 - prob) / 2, (1 + prob) / 2])
            value = float(true[index])
            sd = float(column.std())
            if name in prior_draws:
                prior_sd = float(prior_draws[name][(slice(None), *index)].std())
            else:  # site offsets: the prior SD is that of the site SD's prior
                prior_sd = float(prior_draws[f"{name}_sd"].std() + prior_draws[f"{name}_sd"].mean())
            label = name if not index else f"{name}[{labels[index[0]]}]"
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
    tree: xr.DataTree, variable: str = "serum_mg_true", prob: float = 0.9
) -> pd.DataFrame:
    """Posterior mean and central interval of a per-subject quantity."""
    values = tree["posterior"][variable]
    lo, hi = (1 - prob) / 2, (1 + prob) / 2
    q = values.quantile([lo, hi], dim=("chain", "draw"))
    return pd.DataFrame(
        {
            "mean": values.mean(("chain", "draw")).values,
            "lo": q.sel(quantile=lo).values,
            "hi": q.sel(quantile=hi).values,
        },
        index=pd.Index(values["subject"].values, name="subject_id"),
    )


def subject_coverage(tree: xr.DataTree, truth: pd.DataFrame, prob: float = 0.9) -> float:
    """Share of subjects whose true serum Mg lies in their central posterior interval."""
    intervals = subject_intervals(tree, prob=prob)
    true = truth.set_index("subject_id")["true_serum_mg"].reindex(intervals.index)
    return float(((intervals["lo"] <= true) & (true <= intervals["hi"])).mean())
