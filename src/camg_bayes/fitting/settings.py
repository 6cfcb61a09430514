"""Sampler settings, kept free of heavy imports so the command line starts fast."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SamplerSettings:
    """NUTS settings. The defaults suit cohorts of hundreds to tens of thousands of subjects.

    Draws are matched to what the convergence checks need (bulk and tail ESS >= 100 per
    chain on every population parameter): the sampler moves in whitened coordinates
    (:mod:`camg_bayes.model.whiten`), where 4 x 500 draws gave a smallest bulk ESS of ~500
    at 1,000 subjects.

    Attributes
    ----------
    draws, tune, chains : int
        Draws kept per chain, tuning steps per chain, number of chains.
    target_accept : float
        Target acceptance rate of NUTS.
    max_treedepth : int
        Maximum tree depth.
    random_seed : int or None
        Seed; drawn at random (and recorded) if None.
    cores : int or None
        Chains run in parallel; the number of CPUs by default.
    backend : str
        Compiler of the log density for nutpie: ``"jax"`` (compiles in seconds; the
        default) or ``"numba"`` (faster per gradient on small cohorts, minutes to compile).
    adaptation : str
        nutpie's mass-matrix adaptation: ``"diag"`` or ``"low_rank"`` (a diagonal plus
        low-rank matrix that learns the correlations among population parameters).
    """

    draws: int = 500
    tune: int = 500
    chains: int = 4
    target_accept: float = 0.8
    max_treedepth: int = 10
    random_seed: int | None = None
    cores: int | None = None
    backend: str = "jax"
    adaptation: str = "diag"


DEFAULTS = SamplerSettings()
