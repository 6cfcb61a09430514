"""Sampler settings, kept free of heavy imports so the command line starts fast."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SamplerSettings:
    """NUTS settings. The defaults suit cohorts of hundreds to tens of thousands of subjects.

    Draws are matched to what the convergence checks need. ESS >= 100 per chain was met
    with 4 x 500 draws (smallest bulk ESS ~400-700 at 1,000 subjects), but R-hat <= 1.01
    was not: with 500 draws per chain the rank-normalised (folded) R-hat of a
    weakly informed parameter, and of 1-2 % of the subjects' true serum Mg, scattered up to
    1.014-1.018 in 7 of 8 independent stress worlds (``benchmarks/robustness.py``) with no
    sign of poor mixing. 1,000 draws per chain halve that scatter; nutpie's adaptation
    needs only 300 tuning steps (its own default), so the fit costs ~17 % more than
    500 + 500 (close world, 1,000 subjects: 130 -> 152 s, every check passing).

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
    sampler : str
        ``"nutpie"`` (the default) or ``"pymc"``: PyMC's own NUTS on the same model, same
        starting values and settings (``backend`` and ``adaptation`` then do not apply);
        kept for side-by-side benchmarks (``benchmarks/fit_scaling.py``).
    """

    draws: int = 1000
    tune: int = 300
    chains: int = 4
    target_accept: float = 0.8
    max_treedepth: int = 10
    random_seed: int | None = None
    cores: int | None = None
    backend: str = "jax"
    adaptation: str = "diag"
    sampler: str = "nutpie"

    def __post_init__(self) -> None:
        if self.sampler not in ("nutpie", "pymc"):
            raise ValueError(f"sampler must be 'nutpie' or 'pymc', not {self.sampler!r}")


DEFAULTS = SamplerSettings()
