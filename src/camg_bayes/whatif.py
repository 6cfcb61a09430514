"""What-if regimens: the steady-state effect of a change in supplements, timing or diet.

For each subject, draws of the subject's latents and the population parameters (the
posterior draws of a fitted subject; importance-resampled draws of a new one; or draws
against the literature priors) are pushed through :func:`camg_bayes.state.steady_state`
twice, as they are and under the regimen. The difference per draw is the
counterfactual effect, with its 90 % interval: absorbed Mg, true serum Mg, urine Mg and
the probability of deficiency.

Regimens compose: add a Mg and/or Ca supplement dose, take them together or apart,
scale the usual diet, or raise Mg intake until the total Ca:Mg ratio (by weight) is at
most a target such as 2:1 (Rosanoff et al. 2016 suggest ~2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes.design import build_design
from camg_bayes.errors import CamgError
from camg_bayes.importance import subject_covariates, weigh_subject
from camg_bayes.io import fit_cohort
from camg_bayes.loading import load_cohort
from camg_bayes.population import fitted_subjects, population_for
from camg_bayes.posterior import for_subjects, subject_states
from camg_bayes.priors import ModelConfig
from camg_bayes.state import latents_from_standard, steady_state

OUTCOMES = ("absorbed_mg", "serum_mg_true", "urine_mg_true")


@dataclass(frozen=True)
class Regimen:
    """A change to a subject's intake.

    Attributes
    ----------
    add_supp_mg, add_supp_ca : float
        Elemental supplement added to the current dose, mg/d.
    timing : str or None
        ``"together"`` or ``"apart"`` for the Ca and Mg supplements; None keeps the
        subject's own.
    diet_mg_factor, diet_ca_factor : float
        Multipliers on usual dietary intake.
    ca_mg_ratio : float or None
        If given, Mg supplement is added (never removed) until total Ca:Mg intake by
        weight is at most this ratio, draw by draw.
    """

    add_supp_mg: float = 0.0
    add_supp_ca: float = 0.0
    timing: str | None = None
    diet_mg_factor: float = 1.0
    diet_ca_factor: float = 1.0
    ca_mg_ratio: float | None = None

    def __post_init__(self):
        if self.timing not in (None, "together", "apart"):
            raise CamgError(f"timing must be 'together' or 'apart', got {self.timing!r}")
        if self.add_supp_mg < 0 or self.add_supp_ca < 0:
            raise CamgError("added supplement doses must be >= 0 mg/d")
        if self.diet_mg_factor <= 0 or self.diet_ca_factor <= 0:
            raise CamgError("diet factors must be > 0")
        if self.ca_mg_ratio is not None and self.ca_mg_ratio <= 0:
            raise CamgError("the Ca:Mg ratio must be > 0")

    def describe(self) -> str:
        """Plain-words description."""
        parts = []
        if self.add_supp_mg:
            parts.append(f"+{self.add_supp_mg:g} mg/d Mg supplement")
        if self.add_supp_ca:
            parts.append(f"+{self.add_supp_ca:g} mg/d Ca supplement")
        if self.timing:
            parts.append(f"Ca and Mg supplements taken {self.timing}")
        if self.diet_mg_factor != 1:
            parts.append(f"dietary Mg x{self.diet_mg_factor:g}")
        if self.diet_ca_factor != 1:
            parts.append(f"dietary Ca x{self.diet_ca_factor:g}")
        if self.ca_mg_ratio:
            parts.append(f"Mg added until Ca:Mg <= {self.ca_mg_ratio:g}:1")
        return "; ".join(parts) or "no change"

    def apply(self, cov: dict, latent: dict) -> tuple[dict, dict]:
        """Covariates and latents under the regimen (inputs untouched)."""
        cov, latent = dict(cov), dict(latent)
        latent["log_intake_mg"] = latent["log_intake_mg"] + np.log(self.diet_mg_factor)
        latent["log_intake_ca"] = latent["log_intake_ca"] + np.log(self.diet_ca_factor)
        cov["supp_mg"] = cov["supp_mg"] + self.add_supp_mg
        cov["supp_ca"] = cov["supp_ca"] + self.add_supp_ca
        if self.timing:
            cov["apart"] = np.asarray(1.0 if self.timing == "apart" else 0.0)
        if self.ca_mg_ratio:
            total_ca = np.exp(latent["log_intake_ca"]) + cov["supp_ca"]
            total_mg = np.exp(latent["log_intake_mg"]) + cov["supp_mg"]
            cov["supp_mg"] = cov["supp_mg"] + np.maximum(
                0.0, total_ca / self.ca_mg_ratio - total_mg
            )
        return cov, latent


def _interval(values: np.ndarray) -> tuple[float, float]:
    lo, hi = np.quantile(values, [0.05, 0.95])
    return float(lo), float(hi)


def subject_draws(ds: xr.Dataset, fit=None, *, config=None, n_draws=1000, rng=None):
    """Equal-weight draws ``(theta, cov, latent)`` of each subject, one tuple per subject.

    Subjects in the fit use posterior draws (thinned to ``n_draws``); others are
    importance-sampled against the population and resampled.
    """
    rng = rng or np.random.default_rng()
    population = population_for(fit, config, n_draws=n_draws, rng=rng)
    config = population.config
    design = build_design(ds, config)
    in_fit = fitted_subjects(ds, fit)
    if in_fit:
        fit_design = build_design(fit_cohort(fit), config)
        total = fit["posterior"].sizes["chain"] * fit["posterior"].sizes["draw"]
        keep = np.sort(rng.choice(total, min(n_draws, total), replace=False))
        theta_b, state = subject_states(fit, config, fit_design, keep)
        fitted_cov = {k: v for k, v in fit_design.cov.items() if k != "site"}
    out = []
    for j, s in enumerate(design.subjects):
        if s in in_fit:
            i = in_fit[s]
            latent = {k: v[:, i : i + 1] for k, v in state["latent"].items()}
            cov = {k: np.asarray(v[i]) for k, v in fitted_cov.items()}
            for level in ("intake", "status"):
                cov[f"site_{level}"] = _fit_site_offset(fit, fit_design, i, keep, level)
            out.append((s, theta_b, cov, latent, "posterior draws"))
            continue
        weighted = weigh_subject(population, design, j, rng=rng)
        flat = rng.choice(weighted.weights.size, n_draws, p=weighted.weights.ravel())
        draw, sample = np.unravel_index(flat, weighted.weights.shape)
        theta = for_subjects({k: v[draw] for k, v in population.theta.items()})
        cov = subject_covariates(design, j, population, draw)
        u = weighted.u[draw, sample][:, None, :]
        latent = latents_from_standard(theta, cov, u)
        method = "importance sampling" if fit is not None else "importance sampling (prior)"
        out.append((s, theta, cov, latent, method))
    return out, config, population


def _fit_site_offset(fit, fit_design, i: int, keep: np.ndarray, level: str) -> np.ndarray:
    posterior = fit["posterior"]
    name = f"site_{level}"
    site = fit_design.cov["site"][i]
    if name not in posterior or site < 0:
        return np.zeros((len(keep), 1))
    values = posterior[name].values
    return values.reshape(-1, values.shape[-1])[keep, site][:, None]


def whatif(
    cohort,
    regimen: Regimen,
    fit: xr.DataTree | None = None,
    *,
    subjects=None,
    threshold: float | None = None,
    config: ModelConfig | None = None,
    n_draws: int = 1000,
    random_seed=None,
) -> pd.DataFrame:
    """Predict the steady-state effect of a regimen for each subject.

    Parameters
    ----------
    cohort : xarray.Dataset, pandas.DataFrame or path
    regimen : Regimen
    fit : xarray.DataTree, optional
        A fit; without it the literature-prior population is used.
    subjects : sequence of str, optional
        Subject identifiers to include (all by default).
    threshold : float, optional
        Deficiency threshold on true serum Mg, mmol/L.
    config : ModelConfig, optional
        Only without ``fit``.
    n_draws : int
    random_seed : int, optional

    Returns
    -------
    pandas.DataFrame
        Per subject: ``regimen``; for each of ``absorbed_mg`` (mg/d), ``serum_mg_true``
        (mmol/L) and ``urine_mg_true`` (mmol/d) the ``_before`` and ``_after`` means and
        the change's mean and 90 % interval (``_change``, ``_change_lo``,
        ``_change_hi``); ``p_deficient_before``, ``p_deficient_after``,
        ``p_deficient_change``; ``supp_mg_added`` (mean Mg supplement added, mg/d);
        ``method``.
    """
    rng = np.random.default_rng(random_seed)
    ds = cohort if isinstance(cohort, xr.Dataset) else load_cohort(cohort)
    if subjects is not None:
        wanted = [str(s) for s in subjects]
        unknown = sorted(set(wanted) - set(ds["subject"].values.astype(str)))
        if unknown:
            raise CamgError(f"subject(s) not in the cohort: {', '.join(unknown[:5])}")
        ds = ds.sel(subject=wanted)
    draws, config, _ = subject_draws(ds, fit, config=config, n_draws=n_draws, rng=rng)
    threshold = config.threshold if threshold is None else float(threshold)
    switch = config.switches["mg_dependent_pth"]
    rows = []
    for subject, theta, cov, latent, method in draws:
        before = steady_state(theta, cov, latent, mg_dependent_pth=switch)
        new_cov, new_latent = regimen.apply(cov, latent)
        after = steady_state(theta, new_cov, new_latent, mg_dependent_pth=switch)
        row = {"subject_id": subject, "regimen": regimen.describe()}
        for key in OUTCOMES:
            b, a = np.ravel(before[key]), np.ravel(after[key])
            lo, hi = _interval(a - b)
            row |= {
                f"{key}_before": float(b.mean()),
                f"{key}_after": float(a.mean()),
                f"{key}_change": float((a - b).mean()),
                f"{key}_change_lo": lo,
                f"{key}_change_hi": hi,
            }
        p_before = float(np.mean(np.ravel(before["serum_mg_true"]) < threshold))
        p_after = float(np.mean(np.ravel(after["serum_mg_true"]) < threshold))
        added = np.broadcast_to(
            new_cov["supp_mg"] - cov["supp_mg"], np.shape(before["absorbed_mg"])
        )
        row |= {
            "p_deficient_before": p_before,
            "p_deficient_after": p_after,
            "p_deficient_change": p_after - p_before,
            "supp_mg_added": float(np.mean(added)),
            "method": method,
        }
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs.update(regimen=regimen.describe(), threshold=threshold)
    return table
