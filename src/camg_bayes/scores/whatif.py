"""What-if regimens: the steady-state effect of a change in supplements, timing or diet.

For each subject, draws of the subject's latents and the population parameters (the
posterior draws of a fitted subject; importance samples of a new one, weighted; or draws
against the literature priors) are pushed through
:func:`camg_bayes.physiology.state.steady_state` twice, as they are and under the regimen.
The difference per draw is the counterfactual effect, with its 90 % interval: absorbed Mg,
true serum Mg, urine Mg and the probability of deficiency.

Regimens compose: add a Mg and/or Ca supplement dose, take them together or apart,
scale the usual diet, or raise Mg intake until the total Ca:Mg ratio (by weight) is at
most a target such as 2:1 (Rosanoff et al. 2016 suggest ~2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes import seeds
from camg_bayes.cohort import load_cohort
from camg_bayes.draws.draws import Draws
from camg_bayes.draws.importance import new_subjects
from camg_bayes.draws.summary import PROB, weighted_quantiles
from camg_bayes.errors import CamgError
from camg_bayes.fitting.fitfile import Fit
from camg_bayes.model.config import ModelConfig
from camg_bayes.model.design import Design
from camg_bayes.physiology.state import deficient, steady_state
from camg_bayes.physiology.variation import unstack
from camg_bayes.scores.population import NEW_CHUNK, Target

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


def whatif(
    cohort,
    regimen: Regimen,
    fit: Fit | None = None,
    *,
    subjects=None,
    threshold: float | None = None,
    config: ModelConfig | None = None,
    n_draws: int = 1000,
    random_seed: seeds.Seed = None,
) -> pd.DataFrame:
    """Predict the steady-state effect of a regimen for each subject.

    Parameters
    ----------
    cohort : xarray.Dataset, pandas.DataFrame or path
    regimen : Regimen
    fit : Fit, optional
        A fit; without it the literature-prior population is used.
    subjects : sequence of str, optional
        Subject identifiers to include (all by default).
    threshold : float, optional
        Deficiency threshold on true serum Mg, mmol/L.
    config : ModelConfig, optional
        Only without ``fit``.
    n_draws : int
        Population draws; subjects of the fit use these draws of their own latents.
    random_seed : int, optional
        The run's seed; this step draws from its ``"whatif"`` stream.

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
    rng = seeds.generator(random_seed, "whatif")
    ds = _select(cohort if isinstance(cohort, xr.Dataset) else load_cohort(cohort), subjects)
    target = Target.of(ds, fit, config, n=n_draws, threshold=threshold, rng=rng)
    draws, design, threshold, in_fit = target.draws, target.design, target.threshold, target.in_fit
    tables = []
    if in_fit.any():
        rows = _fitted_effects(fit, target.fit_index, regimen, threshold)
        tables.append(rows.assign(_order=np.flatnonzero(in_fit)))
    new = np.flatnonzero(~in_fit)
    for start in range(0, len(new), NEW_CHUNK):
        part = new[start : start + NEW_CHUNK]
        rows = _new_effects(draws, design.subset(part), regimen, threshold, rng)
        tables.append(rows.assign(_order=part, method=target.method))
    table = pd.concat(tables).sort_values("_order").drop(columns="_order")
    table.insert(0, "subject_id", design.subjects)
    table.insert(1, "regimen", regimen.describe())
    table = table.reset_index(drop=True)
    table.attrs.update(regimen=regimen.describe(), threshold=threshold)
    return table


def _select(ds: xr.Dataset, subjects) -> xr.Dataset:
    if subjects is None:
        return ds
    wanted = [str(s) for s in subjects]
    unknown = sorted(set(wanted) - set(ds["subject"].values.astype(str)))
    if unknown:
        raise CamgError(f"subject(s) not in the cohort: {', '.join(unknown[:5])}")
    return ds.sel(subject=wanted)


def _fitted_effects(
    fit: Fit, index: np.ndarray, regimen: Regimen, threshold: float
) -> pd.DataFrame:
    """Effects for the fit's subjects at ``index``, from their own posterior (kept) draws."""
    draws = fit.subject_draws()
    design = fit.design.subset(index)
    latent = draws.fitted_latents(design)
    cov = draws.covariates(design)
    rows = _effects(
        draws, cov, latent, np.full((draws.n, len(index)), 1.0 / draws.n), regimen, threshold
    )
    return rows.assign(method="posterior draws")


def _new_effects(
    draws: Draws, design: Design, regimen: Regimen, threshold: float, rng
) -> pd.DataFrame:
    """Effects for new subjects, from importance samples of their latents."""
    weighted = new_subjects(draws, design, rng=rng)
    samples = weighted.draws
    cov = samples.covariates(design)
    return _effects(samples, cov, unstack(weighted.u), weighted.weights(), regimen, threshold)


def _effects(
    draws: Draws, cov: dict, latent: dict, weights: np.ndarray, regimen: Regimen, threshold: float
) -> pd.DataFrame:
    """Per-subject summaries of the steady states before and after the regimen."""
    theta = draws.broadcast()
    switch = draws.config.switches["mg_dependent_pth"]
    before = steady_state(theta, cov, latent, mg_dependent_pth=switch)
    new_cov, new_latent = regimen.apply(cov, latent)
    after = steady_state(theta, new_cov, new_latent, mg_dependent_pth=switch)
    w = weights.T
    tails = [(1 - PROB) / 2, (1 + PROB) / 2]
    columns = {}
    for key in OUTCOMES:
        b, a = before[key].T, after[key].T
        lo, hi = weighted_quantiles(a - b, w, tails)
        columns |= {
            f"{key}_before": np.sum(w * b, axis=-1),
            f"{key}_after": np.sum(w * a, axis=-1),
            f"{key}_change": np.sum(w * (a - b), axis=-1),
            f"{key}_change_lo": lo,
            f"{key}_change_hi": hi,
        }
    p_before = np.sum(w * deficient(before["serum_mg_true"].T, threshold), axis=-1)
    p_after = np.sum(w * deficient(after["serum_mg_true"].T, threshold), axis=-1)
    added = np.broadcast_to(new_cov["supp_mg"] - cov["supp_mg"], before["absorbed_mg"].shape)
    columns |= {
        "p_deficient_before": p_before,
        "p_deficient_after": p_after,
        "p_deficient_change": p_after - p_before,
        "supp_mg_added": np.sum(w * added.T, axis=-1),
    }
    return pd.DataFrame(columns)
