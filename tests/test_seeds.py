"""One seed, independent named streams."""

import numpy as np
import pytest

from camg_bayes import seeds


def test_streams_repeat_and_differ():
    a = seeds.generator(11, "check").standard_normal(5)
    b = seeds.generator(11, "check").standard_normal(5)
    c = seeds.generator(11, "whatif").standard_normal(5)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert not np.allclose(a, seeds.generator(12, "check").standard_normal(5))


def test_score_draws_from_the_root_of_the_sequence():
    np.testing.assert_array_equal(
        seeds.generator(11, "score").random(4), np.random.default_rng(11).random(4)
    )


def test_a_generator_passes_through_and_none_is_fixed_once():
    rng = np.random.default_rng(0)
    assert seeds.generator(rng, "check") is rng
    fixed = seeds.resolve(None)
    assert isinstance(fixed, int) and seeds.resolve(fixed) == fixed
    assert seeds.sampler_seed(7) == 7
    assert 0 <= seeds.sampler_seed(np.random.SeedSequence(3)) < 2**31


def test_unknown_stream_is_refused():
    with pytest.raises(KeyError):
        seeds.generator(1, "nope")
