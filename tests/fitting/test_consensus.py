"""Consensus Monte Carlo: the shards, the tempered prior and the combination's algebra."""

import warnings

import numpy as np
import pytest
import xarray as xr

from camg_bayes.cohort import CohortWarning, read_cohort
from camg_bayes.fitting.consensus import combine, shards
from camg_bayes.model.build import build_model, population_free_variables
from camg_bayes.model.simulate import simulate


@pytest.fixture(scope="module")
def cohort():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        return read_cohort(simulate(90, random_seed=5, n_sites=3).cohort)


def test_shards_partition_the_subjects_and_keep_every_stratum(cohort):
    parts = shards(cohort, 3, np.random.default_rng(0))
    ids = [set(p["subject"].values) for p in parts]
    assert set.union(*ids) == set(cohort["subject"].values)
    assert sum(len(i) for i in ids) == cohort.sizes["subject"]  # disjoint
    assert max(len(i) for i in ids) - min(len(i) for i in ids) <= 1
    for part in parts:
        assert set(part["site"].values) == set(cohort["site"].values)
        assert "data_hash" not in part.attrs and "shard" in part.attrs
    with pytest.raises(ValueError, match="shards"):
        shards(cohort, 0, np.random.default_rng(0))


def test_tempered_prior_scales_the_population_prior_only(cohort):
    full = build_model(cohort)
    shard = build_model(cohort, prior_weight=0.25)
    assert set(shard.named_vars) - set(full.named_vars) == {"prior_tempering"}
    assert "prior_tempering" not in build_model(cohort, prior_weight=1.0).named_vars
    point = full.initial_point()
    names = population_free_variables(full)
    assert names and not any("subject" in (full.named_vars_to_dims.get(n) or ()) for n in names)
    prior = full.compile_logp(vars=[full[n] for n in names], jacobian=False)(point)
    tempering = shard.compile_fn(
        shard["prior_tempering"], inputs=shard.value_vars, on_unused_input="ignore"
    )(point)
    assert np.isfinite(prior) and tempering == pytest.approx(-0.75 * prior, rel=1e-12)
    with pytest.raises(ValueError, match="prior_weight"):
        build_model(cohort, prior_weight=0.0)


def _gaussian_posterior(model, names, mean, chol, rng, n_chain=2, n_draw=3000):
    """Draws whose unconstrained values are N(mean, chol cholᵀ), in a posterior's layout."""
    from camg_bayes.fitting.consensus import _transforms

    maps = _transforms(model, names)
    z = mean + rng.standard_normal((n_chain * n_draw, len(mean))) @ chol.T
    out, position = {}, 0
    coords = {"chain": np.arange(n_chain), "draw": np.arange(n_draw)}
    for name in names:
        shape = tuple(model[name].shape.eval())
        size = int(np.prod(shape, dtype=int))
        values = np.asarray(maps[name][1](z[:, position : position + size].reshape(-1, *shape)))
        position += size
        dims = model.named_vars_to_dims.get(name) or ()
        out[name] = (("chain", "draw", *dims), values.reshape(n_chain, n_draw, *shape))
        coords |= {d: list(model.coords[d]) for d in dims}
    return xr.Dataset(out, coords=coords)


def test_combination_of_gaussian_shards_is_their_product(cohort):
    """Gaussian shard posteriors combine to the product's mean and covariance."""
    model = build_model(cohort)
    names = population_free_variables(model)
    d = sum(int(np.prod(model[n].shape.eval(), dtype=int)) for n in names)
    rng = np.random.default_rng(1)
    means = [rng.normal(size=d) * 0.3 for _ in range(3)]
    chols = [np.diag(rng.uniform(0.2, 0.6, size=d)) for _ in range(3)]
    posteriors = [
        _gaussian_posterior(model, names, m, c, rng) for m, c in zip(means, chols, strict=True)
    ]
    combined = combine(posteriors, model)
    precision = [np.linalg.inv(c @ c.T) for c in chols]
    cov = np.linalg.inv(sum(precision))
    mean = cov @ sum(p @ m for p, m in zip(precision, means, strict=True))
    # read the combined draws back in the unconstrained space
    again = combine([combined], model)  # one shard: the identity
    for name in names:
        np.testing.assert_allclose(again[name].values, combined[name].values, rtol=1e-8)
    from camg_bayes.fitting.consensus import _transforms

    maps = _transforms(model, names)
    columns = [
        np.asarray(maps[n][0](combined[n].values.reshape(6000, *combined[n].shape[2:])))
        for n in names
    ]
    columns = [c.reshape(6000, -1) for c in columns]
    z = np.concatenate(columns, axis=1)
    sd = np.sqrt(np.diag(cov))
    assert np.abs((z.mean(0) - mean) / sd).max() < 5 / np.sqrt(6000)  # 5 Monte Carlo SE
    np.testing.assert_allclose(z.std(0), sd, rtol=0.06)
    assert (combined.sizes["chain"], combined.sizes["draw"]) == (2, 3000)
    # the site offsets are the basis draws mapped back, and sum to zero
    np.testing.assert_allclose(combined["site_status"].sum("site"), 0.0, atol=1e-12)


def test_a_shards_fit_file_is_not_taken_for_a_posterior(short_fit, tmp_path):
    from camg_bayes.errors import FitFileError
    from camg_bayes.fitting import Fit

    _, path = short_fit
    tree = xr.open_datatree(path).load()
    assert float(tree.attrs["prior_weight"]) == 1.0  # a whole cohort's fit records it too
    tree.attrs["prior_weight"] = 0.25
    shard = tmp_path / "shard.nc"
    tree.to_netcdf(shard)
    with pytest.raises(FitFileError, match="one shard of a consensus fit"):
        Fit.load(shard)
