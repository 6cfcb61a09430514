"""Sampler settings reject an unknown sampler before any model is built."""

import pytest

from camg_bayes.fitting.settings import SamplerSettings


def test_unknown_sampler_is_refused():
    with pytest.raises(ValueError, match="sampler must be 'nutpie' or 'pymc'"):
        SamplerSettings(sampler="stan")


def test_default_sampler_is_nutpie():
    assert SamplerSettings().sampler == "nutpie"
    assert SamplerSettings(sampler="pymc").sampler == "pymc"
