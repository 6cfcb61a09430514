"""Sampler settings, kept free of heavy imports so the command line starts fast."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SamplerSettings:
    """NUTS settings. The defaults suit cohorts of hundreds to a few thousand subjects.

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
    """

    draws: int = 2000
    tune: int = 1000
    chains: int = 4
    target_accept: float = 0.8
    max_treedepth: int = 10
    random_seed: int | None = None
    cores: int | None = None


DEFAULTS = SamplerSettings()
