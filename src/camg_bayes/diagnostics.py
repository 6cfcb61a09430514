"""Convergence diagnostics with a pass/fail and a sentence a researcher understands.

Checks (Vehtari et al. 2021, rank-normalised R-hat and ESS; Betancourt 2016, E-BFMI):

* R-hat of every population parameter at most 1.01;
* R-hat of the subject-level true serum Mg at most 1.01 for 99 % of subjects and at most
  1.05 for all;
* bulk and tail ESS of every population parameter at least 100 per chain;
* no divergent transitions;
* under 1 % of draws at the maximum tree depth;
* E-BFMI of every chain at least 0.3.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr


@dataclass(frozen=True)
class Check:
    """One diagnostic: its value, the threshold, pass/fail and an explanation."""

    name: str
    passed: bool
    value: float
    threshold: str
    message: str


@dataclass(frozen=True)
class Diagnostics:
    """All checks of a fit plus the per-parameter table.

    Attributes
    ----------
    checks : list of Check
    table : pandas.DataFrame
        Per population parameter (and element): ``mean``, ``sd``, ``r_hat``, ``ess_bulk``,
        ``ess_tail``.
    """

    checks: list
    table: pd.DataFrame

    @property
    def passed(self) -> bool:
        """True when every check passes."""
        return all(c.passed for c in self.checks)

    def to_frame(self) -> pd.DataFrame:
        """The checks as a table."""
        return pd.DataFrame([c.__dict__ for c in self.checks])


def population_names(tree: xr.DataTree) -> list[str]:
    """Names of the population parameters of a fit (recorded when it was made)."""
    return json.loads(tree.attrs["population_parameters"])


def parameter_table(tree: xr.DataTree, var_names=None) -> pd.DataFrame:
    """Mean, SD, rank-normalised R-hat and bulk/tail ESS per parameter element."""
    var_names = var_names or population_names(tree)
    posterior = tree["posterior"].to_dataset()[var_names]
    rhat = az.rhat(posterior)
    bulk = az.ess(posterior, method="bulk")
    tail = az.ess(posterior, method="tail")
    rows = []
    for name in var_names:
        mean = posterior[name].mean(("chain", "draw"))
        sd = posterior[name].std(("chain", "draw"))
        for index in np.ndindex(mean.shape):
            levels = [str(mean[d].values[i]) for d, i in zip(mean.dims, index, strict=True)]
            label = f"{name}[{', '.join(levels)}]" if index else name
            rows.append(
                {
                    "parameter": label,
                    "mean": float(mean.values[index]),
                    "sd": float(sd.values[index]),
                    "r_hat": float(rhat[name].values[index]),
                    "ess_bulk": float(bulk[name].values[index]),
                    "ess_tail": float(tail[name].values[index]),
                }
            )
    return pd.DataFrame(rows).set_index("parameter")


def diagnose(tree: xr.DataTree) -> Diagnostics:
    """Run every convergence check on a fit.

    Parameters
    ----------
    tree : xarray.DataTree
        A fit from :func:`camg_bayes.fit.fit` (or :func:`camg_bayes.io.load_fit`).

    Returns
    -------
    Diagnostics
    """
    table = parameter_table(tree)
    stats = tree["sample_stats"].to_dataset()
    chains = stats.sizes["chain"]
    checks = []

    worst = table["r_hat"].idxmax()
    max_rhat = float(table["r_hat"].max())
    checks.append(
        Check(
            "rhat_population",
            max_rhat <= 1.01,
            max_rhat,
            "<= 1.01",
            f"Chains agree on every population parameter (largest R-hat {max_rhat:.3f}, {worst})."
            if max_rhat <= 1.01
            else f"Chains disagree on {worst} (R-hat {max_rhat:.3f}): the posterior is not yet "
            "explored; run longer or look for a poorly identified parameter.",
        )
    )
    subject_rhat = az.rhat(tree["posterior"].to_dataset()[["serum_mg_true"]])[
        "serum_mg_true"
    ].values
    share = float(np.mean(subject_rhat <= 1.01))
    ok = share >= 0.99 and float(np.max(subject_rhat)) <= 1.05
    checks.append(
        Check(
            "rhat_subjects",
            ok,
            share,
            ">= 99 % of subjects <= 1.01, all <= 1.05",
            f"Chains agree on {100 * share:.1f} % of subjects' true serum Mg "
            f"(largest R-hat {np.max(subject_rhat):.3f})."
            + ("" if ok else " Individual estimates are not reliable yet."),
        )
    )
    need = 100 * chains
    for kind in ("bulk", "tail"):
        column = f"ess_{kind}"
        low = table[column].idxmin()
        value = float(table[column].min())
        passed = value >= need
        what = "means and medians" if kind == "bulk" else "interval ends (5 % and 95 % quantiles)"
        checks.append(
            Check(
                f"ess_{kind}_population",
                passed,
                value,
                f">= {need} (100 per chain)",
                f"Enough independent draws for {what} of every population parameter "
                f"(lowest {value:.0f}, {low})."
                if passed
                else f"Too few independent draws for {what} of {low} ({value:.0f}); "
                "draw more or improve the parameterisation.",
            )
        )
    divergent = int(stats["diverging"].sum())
    checks.append(
        Check(
            "divergences",
            divergent == 0,
            divergent,
            "0",
            "No divergent transitions: the sampler did not meet geometry it could not follow."
            if divergent == 0
            else f"{divergent} divergent transitions: parts of the posterior may be missed and "
            "estimates biased. Raise target_accept or reparameterise.",
        )
    )
    if "maxdepth_reached" in stats:
        saturated = float(stats["maxdepth_reached"].mean())
    else:  # pragma: no cover - samplers without the flag
        saturated = float((stats["tree_depth"] >= stats["tree_depth"].max()).mean())
    checks.append(
        Check(
            "treedepth",
            saturated < 0.01,
            saturated,
            "< 1 % of draws",
            f"{100 * saturated:.2f} % of draws hit the maximum tree depth"
            + (
                ": no sign of inefficiency."
                if saturated < 0.01
                else ": sampling was cut short; "
                "the posterior may be hard to traverse (strong correlations)."
            ),
        )
    )
    bfmi = np.atleast_1d(np.asarray(az.bfmi(tree)["energy"].values, dtype=float))
    low_bfmi = float(np.min(bfmi))
    checks.append(
        Check(
            "ebfmi",
            low_bfmi >= 0.3,
            low_bfmi,
            ">= 0.3 per chain",
            f"Energy diagnostic fine in every chain (lowest E-BFMI {low_bfmi:.2f})."
            if low_bfmi >= 0.3
            else f"Low E-BFMI ({low_bfmi:.2f}): the sampler explores heavy tails poorly; "
            "consider reparameterising.",
        )
    )
    return Diagnostics(checks, table)
