"""Convergence diagnostics with a pass/fail and a sentence a researcher understands.

Checks (Vehtari et al. 2021, rank-normalised R-hat and ESS; Betancourt 2016, E-BFMI):

* R-hat of every population parameter at most 1.01;
* R-hat of the subject-level true serum Mg at most 1.01 for 99 % of subjects and at most
  1.05 for all;
* bulk and tail ESS of every population parameter at least 100 per chain;
* no divergent transitions;
* under 1 % of draws at the maximum tree depth;
* E-BFMI of every chain at least 0.3;
* held out in turn, subjects predicted at least as well by the fit as by the literature
  priors alone (leave-one-subject-out PSIS-LOO against each subject's prior predictive
  density), so that a fit that misleads is not passed silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes.checks.loo import loo
from camg_bayes.draws.likelihood import PRIOR_DENSITY
from camg_bayes.fitting.fitfile import Fit

#: Parameter name prefix -> (the model component it belongs to, the readings that inform it).
EVIDENCE = {
    "recall_": (
        "usual intake against day-to-day recall error",
        "a second 24-h recall for some subjects",
    ),
    "intake_": ("usual Mg and Ca intake", "24-h recalls"),
    "serum_ca_": ("the Ca set point against serum Ca error", "repeated serum Ca, or ionized Ca"),
    "ionized_ca_": ("ionized Ca error", "repeated ionized Ca"),
    "ca_ion_": ("the ionized Ca set point", "serum or ionized Ca"),
    "pth_": ("the PTH gland set point against day-to-day PTH", "repeated PTH"),
    "urine_ca_": ("urine Ca between and within persons", "repeated 24-h urine Ca"),
    "renal_": ("renal Mg handling (renal wasting)", "24-h urine Mg beside serum Mg"),
    "gut_": ("gut Mg absorption (gut loss)", "24-h urine Mg beside 24-h recalls"),
    "mg_abs_": ("Mg absorption", "24-h urine Mg beside 24-h recalls"),
    "mg_status_": ("the level of Mg stores", "serum Mg"),
    "mg_balance_": (
        "renal conservation of Mg",
        "serum Mg and 24-h urine Mg over a range of intakes",
    ),
    "serum_mg_": ("serum Mg error", "repeated serum Mg"),
    "urine_mg_": ("urine Mg error", "repeated 24-h urine Mg"),
    "mg_casr_": ("the effect of Ca on renal Mg loss", "ionized or serum Ca beside 24-h urine Mg"),
    "mg_gfr_": ("the effect of eGFR on Mg", "eGFR beside serum Mg"),
    "mg_ca_competition": ("Ca-Mg competition in the gut", "24-h urine Mg in supplement users"),
    "site_": ("differences between sites", "more subjects per site"),
}


def evidence(parameter: str) -> tuple[str, str] | None:
    """The component a parameter belongs to and the readings that would inform it."""
    name = parameter.split("[")[0]
    for prefix, found in EVIDENCE.items():
        if name.startswith(prefix):
            return found
    return None


#: Readings that tell a subject's Mg status apart from the Ca set point.
MG_READINGS = ("serum_mg", "urine_mg", "diet_mg")

#: Why a cohort with Ca readings but no Mg reading fails with Mg-dependent PTH.
NO_MG_NOTE = (
    "the cohort has serum or ionized Ca but no Mg reading (serum Mg, 24-h urine Mg or a "
    "recall): a low Ca can then be a low set point or severe Mg deficiency (Mg-dependent PTH "
    "failure), two explanations the sampler cannot move between. Add serum Mg, or fit the Ca "
    "side alone with --variant no_mg_pth (NHANES 2017-18, 5,152 adults: R-hat 1.08-1.10 and "
    "under half of the subjects converged with the full model; 1.03, all subjects and no "
    "divergence with no_mg_pth)."
)


def data_notes(columns, switches: dict) -> tuple[str, ...]:
    """Sentences on what a cohort lacks for the model it is fitted with.

    Parameters
    ----------
    columns : iterable of str
        The measurements the cohort has readings of.
    switches : dict
        The model's mechanism switches (:attr:`ModelConfig.switches`).
    """
    columns = set(columns)
    if not switches.get("mg_dependent_pth", False):
        return ()
    if columns & {"serum_ca", "ionized_ca"} and not columns & set(MG_READINGS):
        return (NO_MG_NOTE,)
    return ()


def advice(diagnostics: Diagnostics) -> list[str]:
    """Plain sentences naming the weakly identified components of a failed fit."""
    table = diagnostics.table
    weak = table[(table["r_hat"] > 1.01) | (table["ess_bulk"] < ESS_PER_CHAIN * diagnostics.chains)]
    out = list(diagnostics.notes)
    for parameter in weak.sort_values("ess_bulk").index:
        found = evidence(parameter)
        if found and found[0] not in " ".join(out):
            out.append(
                f"{parameter}: {found[0]} is weakly identified; {found[1]} would resolve it."
            )
    return out


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
    chains : int
        Number of chains.
    notes : tuple of str
        What the cohort lacks for the model (:func:`data_notes`), shown with the advice.
    """

    checks: list
    table: pd.DataFrame
    chains: int = 4
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when every check passes."""
        return all(c.passed for c in self.checks)

    def to_frame(self) -> pd.DataFrame:
        """The checks as a table."""
        return pd.DataFrame([c.__dict__ for c in self.checks])


def element_labels(name: str, values: xr.DataArray) -> list[str]:
    """A label per element of a parameter, in ``np.ndindex`` order of its non-draw dims.

    ``name`` for a scalar, ``name[level, ...]`` by coordinate labels otherwise (e.g.
    ``intake_mg_median[M]``).
    """
    dims = [d for d in values.dims if d not in ("chain", "draw")]
    labels = []
    for index in np.ndindex(*(values.sizes[d] for d in dims)):
        levels = [str(values[d].values[i]) for d, i in zip(dims, index, strict=True)]
        labels.append(f"{name}[{', '.join(levels)}]" if index else name)
    return labels


def parameter_table(posterior: xr.Dataset, var_names: list[str]) -> pd.DataFrame:
    """Mean, SD, rank-normalised R-hat and bulk/tail ESS per parameter element."""
    posterior = posterior[var_names]
    rhat = az.rhat(posterior)
    bulk = az.ess(posterior, method="bulk")
    tail = az.ess(posterior, method="tail")
    rows = []
    for name in var_names:
        mean = posterior[name].mean(("chain", "draw"))
        sd = posterior[name].std(("chain", "draw"))
        labels = element_labels(name, mean)
        for index, label in zip(np.ndindex(mean.shape), labels, strict=True):
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


def diagnose(fit: Fit) -> Diagnostics:
    """Run every convergence check on a fit.

    Parameters
    ----------
    fit : Fit
        From :func:`camg_bayes.fitting.sample.fit` (or :meth:`Fit.load`).

    Returns
    -------
    Diagnostics
    """
    table = parameter_table(fit.posterior, fit.population_names)
    stats = fit.tree["sample_stats"].to_dataset()
    checks = [
        _rhat_population(table),
        _rhat_subjects(fit.summary),
        *(_ess_population(table, kind, stats.sizes["chain"]) for kind in ("bulk", "tail")),
        _divergences(stats),
        _treedepth(stats),
        _ebfmi(fit.tree),
    ]
    if PRIOR_DENSITY in fit.tree.children:
        checks.append(_predictive_vs_prior(fit))
    notes = data_notes(fit.design.summaries, fit.config.switches) if fit.has_data else ()
    return Diagnostics(checks, table, stats.sizes["chain"], notes)


def _predictive_vs_prior(fit: Fit) -> Check:
    """Whether held-out subjects are predicted at least as well by the fit as by the priors."""
    elpd = np.asarray(loo(fit).elpd_i).ravel()
    prior = fit.tree[PRIOR_DENSITY]["all_measurements"].values
    gain = elpd - prior
    total, se = float(gain.sum()), float(np.sqrt(gain.size) * gain.std())
    passed = total >= -2.0 * se
    return Check(
        "predictive_vs_prior",
        passed,
        total,
        ">= -2 SE",
        f"Left out in turn, subjects are predicted better by the fit than by the literature "
        f"priors alone (elpd gain {total:.1f}, SE {se:.1f})."
        if passed
        else f"Left out in turn, subjects are predicted WORSE by the fit than by the literature "
        f"priors alone (elpd gain {total:.1f}, SE {se:.1f}): the fitted population misleads; "
        "look at the predictive checks for the measurement it gets wrong.",
    )


def _rhat_population(table: pd.DataFrame) -> Check:
    worst = table["r_hat"].idxmax()
    max_rhat = float(table["r_hat"].max())
    return Check(
        "rhat_population",
        max_rhat <= 1.01,
        max_rhat,
        "<= 1.01",
        f"Chains agree on every population parameter (largest R-hat {max_rhat:.3f}, {worst})."
        if max_rhat <= 1.01
        else f"Chains disagree on {worst} (R-hat {max_rhat:.3f}): the posterior is not yet "
        "explored; run longer or look for a poorly identified parameter.",
    )


def _rhat_subjects(summary: xr.Dataset) -> Check:
    subject_rhat = summary["serum_mg_true_rhat"].values
    share = float(np.mean(subject_rhat <= 1.01))
    ok = share >= 0.99 and float(np.max(subject_rhat)) <= 1.05
    return Check(
        "rhat_subjects",
        ok,
        share,
        ">= 99 % of subjects <= 1.01, all <= 1.05",
        f"Chains agree on {100 * share:.1f} % of subjects' true serum Mg "
        f"(largest R-hat {np.max(subject_rhat):.3f})."
        + ("" if ok else " Individual estimates are not reliable yet."),
    )


#: Effective draws per chain the ESS checks ask of every population parameter.
ESS_PER_CHAIN = 100


def _ess_population(table: pd.DataFrame, kind: str, chains: int) -> Check:
    need = ESS_PER_CHAIN * chains
    column = f"ess_{kind}"
    low = table[column].idxmin()
    value = float(table[column].min())
    passed = value >= need
    what = "means and medians" if kind == "bulk" else "interval ends (5 % and 95 % quantiles)"
    return Check(
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


def _divergences(stats: xr.Dataset) -> Check:
    divergent = int(stats["diverging"].sum())
    return Check(
        "divergences",
        divergent == 0,
        divergent,
        "0",
        "No divergent transitions: the sampler did not meet geometry it could not follow."
        if divergent == 0
        else f"{divergent} divergent transitions: parts of the posterior may be missed and "
        "estimates biased. Raise target_accept or reparameterise.",
    )


def _treedepth(stats: xr.Dataset) -> Check:
    # nutpie's flag, or PyMC's (``fit(..., sampler="pymc")``)
    flag = "maxdepth_reached" if "maxdepth_reached" in stats else "reached_max_treedepth"
    saturated = float(stats[flag].mean())
    return Check(
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


def _ebfmi(tree: xr.DataTree) -> Check:
    bfmi = np.atleast_1d(np.asarray(az.bfmi(tree)["energy"].values, dtype=float))
    low_bfmi = float(np.min(bfmi))
    return Check(
        "ebfmi",
        low_bfmi >= 0.3,
        low_bfmi,
        ">= 0.3 per chain",
        f"Energy diagnostic fine in every chain (lowest E-BFMI {low_bfmi:.2f})."
        if low_bfmi >= 0.3
        else f"Low E-BFMI ({low_bfmi:.2f}): the sampler explores heavy tails poorly; "
        "consider reparameterising.",
    )
