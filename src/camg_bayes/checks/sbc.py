"""Simulation-based calibration (SBC) of the whole workflow: prior draw, cohort, fit, ranks.

Each simulation draws every population parameter from the priors of the model
configuration, simulates a cohort from them (:func:`camg_bayes.model.simulate.simulate`),
fits it with :func:`camg_bayes.fitting.sample.fit` and records the rank of each true value
among ``L`` posterior draws thinned evenly from all chains (ranks 0..L). If the fit is
calibrated, every rank is uniform over 0..L (Talts et al. 2018). The same is recorded for
the true serum Mg of a few subjects per simulation (among the fit's kept draws).

Uniformity is judged by the rank ECDF against simultaneous 1 - alpha bands (Säilynoja,
Bürkner & Vehtari 2022, *Statistics and Computing* 32:32; the simulation method of
``arviz_stats``): a parameter passes when its ECDF stays inside its band.

Simulations are independent tasks: :func:`run_sbc` maps them over a
:mod:`camg_bayes.parallel` Dask cluster (one single-threaded process per worker, each with
its own compile directory).

References
----------
Talts S, Betancourt M, Simpson D, Vehtari A, Gelman A (2018). Validating Bayesian
inference algorithms with simulation-based calibration. arXiv:1804.06788.
Modrák M, Moon AH, Kim S, Bürkner P, Huurre N, Faltejsková K, Gelman A, Vehtari A (2023).
Simulation-based calibration checking for Bayesian computation: the choice of test
quantities shapes sensitivity. *Bayesian Analysis*.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from arviz_stats.ecdf_utils import compute_ecdf, ecdf_pit

from camg_bayes import seeds
from camg_bayes.fitting.settings import SamplerSettings

#: Posterior draws each rank is taken among (ranks 0..L).
RANK_DRAWS = 99
#: Subjects per simulation whose true serum Mg is ranked.
RANKED_SUBJECTS = 5
#: Sampler settings of each SBC fit: 2 x 250 draws, thinned to L = 99 for the ranks.
SBC_SAMPLER = SamplerSettings(draws=250, tune=400, chains=2)
#: Simulations of the uniform ECDF behind the simultaneous bands.
BAND_SIMULATIONS = 2000
#: The same for the family-wise band, whose level (about 0.999) needs more of them.
FAMILY_BAND_SIMULATIONS = 20000


@dataclass(frozen=True)
class SbcSettings:
    """One SBC run.

    Attributes
    ----------
    simulations, subjects : int
        Number of simulated cohorts and subjects per cohort.
    rank_draws : int
        ``L``: posterior draws (thinned evenly over all chains) each truth is ranked among.
    sampler : SamplerSettings
        Settings of every fit (its seed is replaced by each simulation's own).
    seed : int
        Root seed; simulation ``k`` uses the ``k``-th child of it.
    variant : str
        Model variant.
    """

    simulations: int
    subjects: int
    rank_draws: int = RANK_DRAWS
    sampler: SamplerSettings = SBC_SAMPLER
    seed: int = 0
    variant: str = "full"


def simulation_seed(seed: int, index: int) -> int:
    """The seed of simulation ``index`` of a run (independent of the other simulations)."""
    child = np.random.SeedSequence(seed, spawn_key=(seeds.STREAMS["sbc"], index))
    return int(child.generate_state(1)[0])


def thin_evenly(values: np.ndarray, n: int) -> np.ndarray:
    """``n`` evenly spaced entries of the leading axis (all if there are fewer)."""
    if len(values) <= n:
        return values
    return values[np.linspace(0, len(values) - 1, n).round().astype(int)]


def rank_of(truth: float, draws: np.ndarray, rng: np.random.Generator) -> int:
    """Number of draws below ``truth``, ties broken at random."""
    below = int(np.sum(draws < truth))
    ties = int(np.sum(draws == truth))
    return below + (int(rng.integers(0, ties + 1)) if ties else 0)


def one_simulation(index: int, settings: SbcSettings) -> dict:
    """Draw a truth from the priors, simulate, fit and rank: one SBC replicate.

    Returns
    -------
    dict
        ``index``, ``seed``, ``rank_draws`` (L: ranks run 0..L), ``ranks``
        (``{quantity: rank}``: population parameters by
        element, ``serum_mg_true[<subject>]`` for the ranked subjects), ``diagnostics``
        (largest R-hat, smallest bulk ESS, divergences), ``seconds`` and ``error`` (the
        reason, if the simulated cohort could not be fitted).
    """
    from camg_bayes.checks.calibration import truth_in_model_terms
    from camg_bayes.checks.diagnostics import parameter_table
    from camg_bayes.cohort import CohortWarning, read_cohort
    from camg_bayes.errors import CamgError
    from camg_bayes.fitting.sample import fit
    from camg_bayes.model.config import load_config
    from camg_bayes.model.simulate import simulate

    start = time.perf_counter()
    seed = simulation_seed(settings.seed, index)
    rng = seeds.generator(seed, "sbc")
    config = load_config(variant=settings.variant)
    drawn = {name: value[0] for name, value in config.sample(rng, 1).items()}
    record = {"index": index, "seed": seed, "ranks": {}, "diagnostics": {}, "error": ""}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CohortWarning)
            sim = simulate(
                settings.subjects, random_seed=seed, config=config, params=drawn, n_sites=0
            )
            ds = read_cohort(sim.cohort, name=f"sbc simulation {index}")
        sampler = SamplerSettings(**(asdict(settings.sampler) | {"random_seed": seed}))
        result = fit(ds, config, settings=sampler)
    except CamgError as exc:  # a prior draw whose cohort the reader refuses
        record["error"] = str(exc)
        record["seconds"] = time.perf_counter() - start
        return record
    truth = truth_in_model_terms(sim.params)
    posterior = result.posterior
    n_ranked = min(settings.rank_draws, result.n_samples, len(result.kept_samples))
    record["rank_draws"] = n_ranked
    for name in result.population_names:
        if name not in truth or name not in posterior:
            continue
        values = posterior[name].values.reshape(-1, *posterior[name].shape[2:])
        values = thin_evenly(values, n_ranked)
        for element in np.ndindex(values.shape[1:]):
            label = name if not element else f"{name}[{element[0]}]"
            true = np.broadcast_to(truth[name], values.shape[1:])[element]
            record["ranks"][label] = rank_of(float(true), values[(slice(None), *element)], rng)
    serum = thin_evenly(result.subject_states[1]["serum_mg_true"], n_ranked)
    chosen = rng.choice(serum.shape[1], min(RANKED_SUBJECTS, serum.shape[1]), replace=False)
    true_serum = sim.truth.set_index("subject_id")["true_serum_mg"]
    for j in chosen:
        subject = str(result.design.subjects[j])
        record["ranks"][f"serum_mg_true[{j}]"] = rank_of(
            float(true_serum[subject]), serum[:, j], rng
        )
    table = parameter_table(posterior, result.population_names)
    divergent = result.tree["sample_stats"]["diverging"].values.sum()
    record["diagnostics"] = {
        "max_rhat": float(table["r_hat"].max()),
        "min_ess_bulk": float(table["ess_bulk"].min()),
        "divergences": int(divergent),
    }
    record["seconds"] = time.perf_counter() - start
    return record


def rank_frame(records: list[dict]) -> pd.DataFrame:
    """Ranks as a table: one row per simulation that was fitted, one column per quantity.

    Subjects' ranks are pooled into one column, ``serum_mg_true`` (a long column of
    ``RANKED_SUBJECTS`` entries per simulation).
    """
    rows = [r["ranks"] for r in records if not r["error"]]
    frame = pd.DataFrame(rows)
    subjects = [c for c in frame.columns if c.startswith("serum_mg_true[")]
    population = frame.drop(columns=subjects)
    pooled = frame[subjects].to_numpy().ravel() if subjects else np.array([])
    return population, pooled[np.isfinite(pooled)].astype(int)


def uniformity(
    ranks: np.ndarray,
    rank_draws: int,
    *,
    prob: float,
    rng,
    family_prob: float | None = None,
) -> dict:
    """Rank ECDF and its simultaneous ``prob`` band; ``passed`` if the ECDF stays inside.

    Ranks 0..L are spread uniformly within their bins (a randomised PIT), so that the
    continuous uniformity test applies (Säilynoja et al. 2022). The band depends only on the
    number of ranks and ``prob``, so it is simulated once per pair (:func:`_band`). With
    ``family_prob``, the same ECDF is also tested against that wider band
    (``passed_familywise``).
    """
    ranks = np.asarray(ranks, dtype=float)
    pit = (ranks + rng.uniform(size=len(ranks))) / (rank_draws + 1)
    z, lower, upper = _band(len(pit), prob, BAND_SIMULATIONS)
    ecdf = np.concatenate(([0.0], compute_ecdf(pit, z[1:-1]), [1.0]))
    out = {
        "z": z,
        "ecdf": ecdf,
        "lower": lower,
        "upper": upper,
        "passed": _inside(ecdf, lower, upper),
        "max_deviation": float(np.max(np.abs(ecdf - z))),
    }
    if family_prob is not None:
        _, lower, upper = _band(len(pit), family_prob, FAMILY_BAND_SIMULATIONS)
        out["passed_familywise"] = _inside(ecdf, lower, upper)
    return out


def _inside(ecdf: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> bool:
    return bool(((ecdf >= lower - 1e-12) & (ecdf <= upper + 1e-12)).all())


@lru_cache(maxsize=64)
def _band(n: int, prob: float, simulations: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluation points and the simultaneous ``prob`` band of the ECDF of ``n`` uniforms."""
    rng = np.random.default_rng([n, round(prob * 1e6), simulations])
    z, _, lower, upper = ecdf_pit(np.linspace(0.0, 1.0, n), prob, simulations, rng=rng)
    return z, lower, upper


def summary_table(
    population: pd.DataFrame, subjects: np.ndarray, rank_draws: int, *, prob: float, seed: int
) -> tuple[pd.DataFrame, dict]:
    r"""Per quantity: simulations, mean rank / L, the ECDF tests; and the curves for plots.

    With :math:`m` quantities each tested at level :math:`1 - \alpha`, about
    :math:`m\alpha` fail by chance alone even when the fit is calibrated (2.7 of 53 at 95 %).
    Two columns separate chance from bias: ``mean_rank_z``, the mean rank's distance from
    1/2 in standard errors (:math:`\sqrt{1/(12n)}` for uniform ranks), and
    ``passed_familywise``, the ECDF test at the Bonferroni level :math:`1 - \alpha/m`, at
    which a calibrated fit fails any quantity with probability at most :math:`\alpha`.
    """
    rng = seeds.generator(seed, "sbc_bands")
    columns = {name: population[name].dropna().to_numpy() for name in population.columns}
    if len(subjects):
        columns["serum_mg_true (subjects pooled)"] = subjects
    family_prob = 1.0 - (1.0 - prob) / max(len(columns), 1)
    rows, curves = {}, {}
    for name, ranks in columns.items():
        test = uniformity(ranks, rank_draws, prob=prob, rng=rng, family_prob=family_prob)
        curves[name] = test
        pit = (np.asarray(ranks, float) + 0.5) / (rank_draws + 1)
        rows[name] = {
            "n": len(ranks),
            "mean_rank": float(np.mean(ranks) / rank_draws),
            "mean_rank_z": float((pit.mean() - 0.5) / np.sqrt(1.0 / (12.0 * len(pit)))),
            "max_ecdf_deviation": test["max_deviation"],
            "passed": test["passed"],
            "passed_familywise": test["passed_familywise"],
        }
    table = pd.DataFrame(rows).T.astype({"n": int, "passed": bool, "passed_familywise": bool})
    return table, curves


def run_sbc(
    settings: SbcSettings, client=None, *, indices=None, progress=None, restart_every=None
) -> list[dict]:
    """Run the simulations, on a Dask ``client`` if given (else in this process).

    ``indices`` picks simulations (all ``settings.simulations`` by default);
    ``progress(done, total)`` is called as they finish. With ``restart_every``, the
    client's workers are restarted after each such number of simulations: every fit
    leaves about 0.5 GB behind in its process (measured over successive 200-person fits),
    so long runs on a cluster of their own recycle their workers.
    """
    indices = list(range(settings.simulations) if indices is None else indices)
    total = len(indices)
    if client is None:
        records = []
        for k in indices:
            records.append(one_simulation(k, settings))
            if progress:
                progress(len(records), total)
        return records
    from distributed import as_completed

    step = restart_every or total
    records = []
    for first in range(0, total, step):
        futures = client.map(
            one_simulation, indices[first : first + step], settings=settings, pure=False
        )
        for future in as_completed(futures):
            records.append(future.result())
            if progress:
                progress(len(records), total)
        if restart_every and first + step < total:
            client.restart()
    return sorted(records, key=lambda r: r["index"])
