"""Individual deficiency probabilities: ``score(cohort, fit=None)``.

For each subject: the posterior probability that their *true* serum Mg (long-run mean,
without assay or day-to-day error) is below the threshold, with the posterior mean and
90 % equal-tailed interval of true serum Mg and of Mg stores, and what drove it. The
deficient draws are split by route: ``p_renal_loss`` (the renal deviation lowered stores
most: renal wasting, diuretics, diabetes, alcohol), ``p_gut_loss`` (the gut deviation:
malabsorption, PPIs); the rest of ``p_deficient`` is low intake.

* Subjects that were in the fit (same identifier, same readings) use their posterior draws.
* Other subjects are scored against the fitted population without refitting, by
  importance sampling of their own latents (:mod:`camg_bayes.draws.importance`).
* Without a fit, every subject is scored against the literature-prior population.

Extra columns: ``p_deficient_prior`` (from sex, age, site, eGFR and supplements alone,
before any reading), ``absorbed_mg_mean`` (net absorbed Mg, mg/d), ``urine_mg_mean``
(steady-state 24-h urine Mg, mmol/d), ``femg_mean``, ``ca_ion_mean``, ``measurements``
(readings used), ``driver`` (the measurement whose removal would move ``p_deficient``
most) with ``driver_shift`` (``p_deficient`` minus ``p_deficient`` without it),
``method``, ``ess`` (effective sample size behind the probability) and ``population``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes import seeds
from camg_bayes.cohort import load_cohort
from camg_bayes.draws.draws import Draws, by_subject
from camg_bayes.draws.importance import Weighted, adapt, mc_se, weigh
from camg_bayes.draws.reduce import SUMMARISED
from camg_bayes.draws.summary import drivers, route_index, summarise
from camg_bayes.fitting.fitfile import Fit
from camg_bayes.model.config import ModelConfig
from camg_bayes.model.design import Design
from camg_bayes.physiology.state import deficient
from camg_bayes.physiology.variation import unstack
from camg_bayes.scores.population import NEW_CHUNK, Target

SCORE_COLUMNS = (
    "subject_id",
    "p_deficient",
    "p_renal_loss",
    "p_gut_loss",
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

#: Monte Carlo SEs a new subject's ``p_deficient`` and mean true serum Mg (mmol/L) must
#: reach with one latent sample per population draw; a subject above the first gets a
#: second sample per draw, and one above the second more (see :func:`_score_new`). A
#: reading far out leaves two modes (believed, or an error), whose weights make the mean's
#: SE large while ``p_deficient`` may be near 1 either way.
P_MC_SE, SERUM_MC_SE = 0.01, 0.005
#: Most latent samples per population draw for a new subject.
MAX_SAMPLES = 8


def score(
    cohort,
    fit: Fit | None = None,
    *,
    threshold: float | None = None,
    config: ModelConfig | None = None,
    n_draws: int = 1000,
    random_seed: seeds.Seed = None,
) -> pd.DataFrame:
    """Score every subject of a cohort.

    Parameters
    ----------
    cohort : xarray.Dataset, pandas.DataFrame or path
        The subjects to score.
    fit : Fit, optional
        A fit. Without it, the literature-prior population of ``config`` (default priors)
        is used.
    threshold : float, optional
        Deficiency threshold on true serum Mg, mmol/L; the configuration's (0.75) if None.
    config : ModelConfig, optional
        Only without ``fit``: the priors of the population.
    n_draws : int
        Population draws used for subjects scored by importance sampling.
    random_seed : int, optional
        The run's seed; scoring draws from its root stream.

    Returns
    -------
    pandas.DataFrame
        One row per subject, columns :data:`SCORE_COLUMNS`. ``attrs`` carry
        ``population`` (its source), ``threshold`` and ``n_in_fit``.

    Examples
    --------
    >>> from camg_bayes.model.simulate import simulate
    >>> table = score(simulate(3, random_seed=1).cohort, random_seed=1)  # doctest: +SKIP
    """
    rng = seeds.generator(random_seed, "score")
    ds = cohort if isinstance(cohort, xr.Dataset) else load_cohort(cohort)
    target = Target.of(ds, fit, config, n=n_draws, threshold=threshold, rng=rng)
    draws, design, threshold, in_fit = target.draws, target.design, target.threshold, target.in_fit
    columns: dict[str, np.ndarray] = {}
    if in_fit.any():
        _fill(columns, in_fit, _score_in_fit(fit, target.fit_index, threshold), design.n)
    new = np.flatnonzero(~in_fit)
    method = target.method
    for start in range(0, len(new), NEW_CHUNK):
        part = new[start : start + NEW_CHUNK]
        mask = np.zeros(design.n, dtype=bool)
        mask[part] = True
        scored = _score_new(draws, design.subset(part), threshold, rng)
        _fill(
            columns, mask, scored | {"method": np.full(len(part), method, dtype=object)}, design.n
        )
    columns |= {
        "subject_id": design.subjects,
        "p_deficient_prior": prior_probabilities(draws, design, threshold, rng=rng),
        "measurements": measurement_lists(design),
        "population": np.full(design.n, draws.source, dtype=object),
    }
    table = pd.DataFrame({name: columns[name] for name in SCORE_COLUMNS})
    table.attrs.update(population=draws.source, threshold=threshold, n_in_fit=int(in_fit.sum()))
    return table


def _fill(columns: dict, mask: np.ndarray, values: dict, n: int) -> None:
    """Write per-subject ``values`` into the rows of ``mask``."""
    for name, value in values.items():
        if name not in columns:
            columns[name] = np.empty(n, dtype=np.asarray(value).dtype)
        columns[name][mask] = value


def _score_in_fit(fit: Fit, index: np.ndarray, threshold: float) -> dict:
    """Scores of the fit's own subjects at positions ``index``.

    At the fit's threshold the summaries come from every draw (the fit's subject
    summary); at another threshold, from the kept draws. Drivers are computed at the kept
    draws.
    """
    draws = fit.subject_draws()
    design = fit.design.subset(index)
    latent, state = draws.fitted_states(design)
    state["route"] = route_index(draws, design, latent, state)
    states = {k: state[k].T for k in (*SUMMARISED, "route")}
    weights = np.full((len(index), draws.n), 1.0 / draws.n)
    kept = summarise(states, weights, threshold)
    summary = fit.summary.isel(subject=index)
    if np.isclose(summary.attrs.get("threshold", np.nan), threshold):
        out = {name: summary[name].values for name in kept}
    else:
        out = kept
    loglik = by_subject(design, draws.loglik(design, state))
    terms = {column: (values.T, _has(design, column)) for column, values in loglik.items()}
    driver, shift = drivers(states["serum_mg_true"], weights, terms, threshold, out["p_deficient"])
    return out | {
        "driver": driver,
        "driver_shift": shift,
        "method": np.full(len(index), "posterior draws", dtype=object),
        "ess": summary["serum_mg_true_ess_bulk"].values.astype(float),
    }


def _score_new(draws: Draws, design: Design, threshold: float, rng) -> dict:
    """Summaries of new subjects from importance samples of their latents.

    One sample per population draw from each subject's adapted proposal
    (:func:`camg_bayes.draws.importance.adapt`), then more, one per draw at a time, for
    the subjects not yet precise enough: a second for a ``p_deficient`` whose Monte Carlo
    SE is above :data:`P_MC_SE`, and up to :data:`MAX_SAMPLES` for a mean true serum Mg
    whose SE is above :data:`SERUM_MC_SE`.
    """
    proposal = adapt(draws, design, rng=rng)
    active = np.arange(design.n)
    current = weigh(draws, design, proposal, 1, rng)
    out: dict[str, np.ndarray] = {}
    for samples in range(1, MAX_SAMPLES + 1):
        serum, weights = current.state["serum_mg_true"], current.weights()
        more = mc_se(weights, serum) > SERUM_MC_SE
        if samples == 1:
            more |= mc_se(weights, deficient(serum, threshold)) > P_MC_SE
        if samples == MAX_SAMPLES:
            more[:] = False
        if not more.all():
            done = np.flatnonzero(~more)
            part = current if len(done) == len(active) else current.subset(done)
            rows = np.zeros(design.n, dtype=bool)
            rows[active[done]] = True
            _fill(out, rows, _summaries(part, design.subset(active[done]), threshold), design.n)
        if not more.any():
            break
        keep = np.flatnonzero(more)
        active = active[keep]
        extra = weigh(draws, design.subset(active), proposal.subset(active), 1, rng)
        current = current.subset(keep).extend(extra)
    return out


def _summaries(weighted: Weighted, design: Design, threshold: float) -> dict:
    """Scores of subjects from their weighted samples."""
    weights = weighted.weights().T
    states = {k: weighted.state[k].T for k in SUMMARISED}
    states["route"] = route_index(weighted.draws, design, unstack(weighted.u), weighted.state).T
    out = summarise(states, weights, threshold)
    terms = {
        column: (weighted.loglik[column].T, _has(design, column))
        for column in weighted.loglik
        if column in design.summaries
    }
    driver, shift = drivers(states["serum_mg_true"], weights, terms, threshold, out["p_deficient"])
    return out | {"driver": driver, "driver_shift": shift, "ess": weighted.ess()}


def _has(design: Design, column: str) -> np.ndarray:
    has = np.zeros(design.n, dtype=bool)
    has[design.summaries[column].subject] = True
    return has


def prior_probabilities(
    draws: Draws, design: Design, threshold: float, *, rng: np.random.Generator, chunk: int = 200
) -> np.ndarray:
    """P(deficient) of each subject from covariates alone (population draws x prior latents)."""
    out = np.empty(design.n)
    for start in range(0, design.n, chunk):
        sub = design.subset(np.arange(start, min(start + chunk, design.n)))
        state = draws.states(sub, draws.prior_latents(sub, rng))
        part = slice(start, start + sub.n)
        out[part] = deficient(state["serum_mg_true"], threshold).mean(axis=0)
    return out


def measurement_lists(design: Design) -> np.ndarray:
    """The readings each subject has, e.g. ``"diet_mg x2, serum_mg"``."""
    parts = [[] for _ in range(design.n)]
    for column, summary in design.summaries.items():
        for j, k in zip(summary.subject, summary.count, strict=True):
            parts[j].append(column if k == 1 else f"{column} x{k}")
    return np.array([", ".join(p) for p in parts], dtype=object)
