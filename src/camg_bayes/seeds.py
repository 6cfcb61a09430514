"""One seed in, independent random streams out.

The seed enters once, at the command line or a :class:`~camg_bayes.study.Study`. Every
random step then draws from its own ``numpy.random.Generator``, spawned from one
``numpy.random.SeedSequence`` by a fixed stream number (:data:`STREAMS`). A step's numbers
therefore depend on the seed and on nothing else: not on which other steps ran before it,
nor on how often.

Two steps use the seed itself rather than a spawned child, so that a seed means what it
meant before streams existed: the sampler (nutpie takes the integer seed; the chains'
starting jitter uses the same seed) and scoring (``score`` at seed *s* draws from
``default_rng(s)``, the root of the sequence).

Examples
--------
>>> a = generator(1, "check").normal()
>>> b = generator(1, "check").normal()
>>> a == b, a == generator(1, "whatif").normal()
(True, False)
"""

from __future__ import annotations

import numpy as np

#: Fixed child number of each random step. ``None``: the root sequence itself.
STREAMS: dict[str, int | None] = {
    "score": None,
    "check": 0,
    "prior_check": 1,
    "whatif": 2,
    "loo": 3,
    "calibration": 4,
    "sbc": 5,
    "worlds": 6,
    "sbc_bands": 7,
    "subsample": 8,
}

Seed = int | np.random.SeedSequence | np.random.Generator | None


def sequence(seed: Seed) -> np.random.SeedSequence:
    """The root ``SeedSequence`` of a seed (fresh entropy when ``seed`` is None)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        raise TypeError("a Generator has no seed sequence; pass the integer seed instead")
    return np.random.SeedSequence(None if seed is None else int(seed))


def generator(seed: Seed, stream: str) -> np.random.Generator:
    """The Generator of one random step.

    Parameters
    ----------
    seed : int, numpy.random.SeedSequence, numpy.random.Generator or None
        The run's seed. A Generator is used as it is (the caller owns its stream); None
        draws fresh entropy (fix it first with :func:`resolve` to record it).
    stream : str
        A key of :data:`STREAMS`.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    root = sequence(seed)
    child = STREAMS[stream]
    if child is None:
        return np.random.default_rng(root)
    spawned = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, child))
    return np.random.default_rng(spawned)


def resolve(seed: Seed) -> Seed:
    """Fix a seed once: None becomes a fresh random integer, to be recorded and reused."""
    if seed is None:
        return int(np.random.SeedSequence().entropy % (2**31 - 1))
    if isinstance(seed, np.integer):
        return int(seed)
    return seed


def sampler_seed(seed: Seed) -> int:
    """The integer seed given to the sampler: the seed itself, or a draw of its sequence."""
    seed = resolve(seed)
    if isinstance(seed, int):
        return seed
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**31 - 1))
    return int(sequence(seed).generate_state(1)[0] % (2**31 - 1))
