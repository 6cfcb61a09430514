"""Per-subject reduction of a fit's draws, streamed over blocks of subjects.

After sampling, each block of subjects passes once through the model's transform (the
sampler's coordinates ``latent_z`` to natural latents), the steady state and the
summaries, at every draw. What a fit keeps of it:

* ``subject_summary`` (:data:`SUMMARY`): per subject, every score column at the fit's
  threshold from all draws, the R-hat and ESS of true serum Mg, and the mean and
  covariance of the latents (the proposal for the integrated likelihood);
* ``subject_draws`` (:data:`SUBJECT_DRAWS`): the natural latents at a thinned, evenly
  spaced set of draws per chain (float32), from which every later stage recomputes what
  it needs with the same functions (other thresholds, what-ifs, predictive checks,
  drivers, prevalence); with ``keep_all`` every draw, with true serum Mg and Mg stores.

Memory stays bounded by one block: (draws x block) per steady-state quantity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr
from arviz_stats.base import array_stats

from camg_bayes.draws.draws import Draws
from camg_bayes.draws.summary import route_index, summarise
from camg_bayes.model.design import Design
from camg_bayes.model.whiten import anchors, latents_from_coordinates
from camg_bayes.physiology.variation import LATENTS, stack

#: Name of the per-subject summary group of a fit.
SUMMARY = "subject_summary"
#: Name of the group of per-subject draws (thinned, or all with ``--keep-all-draws``).
SUBJECT_DRAWS = "subject_draws"
#: Steady-state quantities the summaries need.
SUMMARISED = ("serum_mg_true", "mg_status", "absorbed_mg", "urine_mg_true", "femg", "ca_ion_true")
#: Draws per chain kept in a compact fit (see :func:`kept_draws`).
KEPT_PER_CHAIN = 60
#: Elements (draws x subjects) evaluated together.
BLOCK_ELEMENTS = 200_000


@dataclass(frozen=True)
class Reduction:
    """What a fit keeps of its subjects' draws.

    Attributes
    ----------
    summary : xarray.Dataset
        Dim ``subject`` (and ``latent``, ``latent_b`` for the moments).
    subject_draws : xarray.Dataset
        ``latents`` (chain, draw, subject, latent) at the kept draws; with ``keep_all``
        also ``serum_mg_true`` and ``mg_status`` (chain, draw, subject).
    """

    summary: xr.Dataset
    subject_draws: xr.Dataset


def kept_draws(n_draw: int, per_chain: int | None) -> np.ndarray:
    """Evenly spaced draw positions of one chain: ``per_chain`` of them, or all if None."""
    if per_chain is None or per_chain >= n_draw:
        return np.arange(n_draw)
    return np.unique(np.linspace(0, n_draw - 1, per_chain).round().astype(int))


def flat_positions(n_chain: int, n_draw: int, positions) -> np.ndarray:
    """Flat (chain x draw) indices of the same draw ``positions`` in every chain."""
    return (np.arange(n_chain)[:, None] * n_draw + np.asarray(positions)[None, :]).ravel()


def natural_latents(draws: Draws, design: Design, zeta: np.ndarray) -> dict:
    """The model's transform of the sampler's coordinates, ``zeta`` ``(sample, subject, L)``."""
    latent, _ = latents_from_coordinates(
        draws.broadcast(), draws.covariates(design), zeta, anchors(design)
    )
    return latent


def _reduce_block(draws: Draws, part: Design, zeta: np.ndarray, threshold: float):
    """Latents, summary columns and states of one block of subjects at every draw.

    ``zeta``: the block's sampler coordinates ``(chain, draw, subject, latent)``.
    """
    n_chain, n_draw = zeta.shape[:2]
    n = n_chain * n_draw
    latent = natural_latents(draws, part, zeta.reshape(n, part.n, -1))
    state = draws.states(part, latent)
    state["route"] = route_index(draws, part, latent, state)
    states = {k: state[k].T for k in (*SUMMARISED, "route")}
    values = summarise(states, np.full((part.n, n), 1.0 / n), threshold)
    serum = state["serum_mg_true"].T.reshape(part.n, n_chain, n_draw)
    values |= {
        "serum_mg_true_rhat": array_stats.rhat(serum),
        "serum_mg_true_ess_bulk": array_stats.ess(serum, method="bulk"),
        "serum_mg_true_ess_tail": array_stats.ess(serum, method="tail", prob=0.1),  # az default
    }
    return latent, values, state


def reduce_subjects(
    draws: Draws,
    design: Design,
    latent_z: np.ndarray,
    *,
    threshold: float,
    per_chain: int | None = KEPT_PER_CHAIN,
    keep_all: bool = False,
    coords: dict | None = None,
) -> Reduction:
    """Summaries and kept draws of every subject, a block at a time.

    Parameters
    ----------
    draws : Draws
        The population at every draw of the fit, in (chain, draw) order.
    design : Design
        The fit's design.
    latent_z : numpy.ndarray
        The sampler's coordinates ``(chain, draw, subject, latent)``.
    threshold : float
        Deficiency threshold, mmol/L.
    per_chain : int, optional
        Draws per chain kept (evenly spaced); every draw if None or ``keep_all``.
    keep_all : bool
        Keep the latents, true serum Mg and Mg stores at every draw.
    coords : dict, optional
        ``chain`` and ``draw`` coordinate values of the posterior.
    """
    n_chain, n_draw, n_subject, n_latent = latent_z.shape
    n = n_chain * n_draw
    keep = kept_draws(n_draw, None if keep_all else per_chain)
    flat_keep = flat_positions(n_chain, n_draw, keep)
    kept = np.empty((len(flat_keep), n_subject, n_latent), dtype=np.float32)
    full = (
        {k: np.empty((n, n_subject), dtype=np.float32) for k in SUMMARISED[:2]} if keep_all else {}
    )
    columns: dict[str, np.ndarray] = {}
    moments = np.empty((n_subject, n_latent)), np.empty((n_subject, n_latent, n_latent))
    block = max(1, BLOCK_ELEMENTS // n)
    for start in range(0, n_subject, block):
        index = np.arange(start, min(start + block, n_subject))
        latent, values, state = _reduce_block(
            draws, design.subset(index), latent_z[:, :, index], threshold
        )
        for name, value in values.items():
            columns.setdefault(name, np.empty(n_subject, dtype=np.asarray(value).dtype))
            columns[name][index] = value
        u = stack(latent)
        moments[0][index] = u.mean(axis=0)
        centred = u - moments[0][index]
        moments[1][index] = np.einsum("sji,sjk->jik", centred, centred) / max(n - 1, 1)
        kept[:, index] = u[flat_keep]
        for name in full:
            full[name][:, index] = state[name]
    coords = coords or {"chain": np.arange(n_chain), "draw": np.arange(n_draw)}
    subject = {"subject": design.subjects}
    summary = xr.Dataset(
        {name: ("subject", value) for name, value in columns.items()}
        | {
            "latent_mean": (("subject", "latent"), moments[0]),
            "latent_cov": (("subject", "latent", "latent_b"), moments[1]),
        },
        coords=subject | {"latent": list(LATENTS), "latent_b": list(LATENTS)},
    )
    summary.attrs["threshold"] = threshold
    draw_coords = {
        "chain": np.asarray(coords["chain"]),
        "draw": np.asarray(coords["draw"])[keep],
    }
    subject_draws = xr.Dataset(
        {
            "latents": (
                ("chain", "draw", "subject", "latent"),
                kept.reshape(n_chain, len(keep), n_subject, n_latent),
            )
        }
        | {
            name: (("chain", "draw", "subject"), value.reshape(n_chain, n_draw, n_subject))
            for name, value in full.items()
        },
        coords=draw_coords | subject | {"latent": list(LATENTS)},
    )
    subject_draws.attrs["kept_per_chain"] = len(keep)
    return Reduction(summary, subject_draws)
