"""The draws engine: the numpy model against PyMC, site offsets, thinning, importance sampling."""

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr
from pymc.model.transform.optimization import freeze_dims_and_data

from camg_bayes.cohort import CohortWarning, read_cohort
from camg_bayes.draws import Draws, by_subject, integrated_loglik, new_subjects, pointwise_dataset
from camg_bayes.draws.draws import flat
from camg_bayes.draws.importance import Proposal, adapt, mc_se, weigh
from camg_bayes.draws.reduce import natural_latents
from camg_bayes.fitting import Fit, fit
from camg_bayes.model.build import build_model
from camg_bayes.model.config import load_config
from camg_bayes.model.design import build_design
from camg_bayes.physiology.state import steady_state
from camg_bayes.physiology.variation import stack, unstack


@pytest.fixture(scope="module")
def all_draws_fit(short_fit, tmp_path_factory):
    """A short fit that keeps every draw (``keep_all_draws``), saved and read back."""
    cohort, _ = short_fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        ds = read_cohort(cohort)
    result = fit(ds, draws=30, tune=80, chains=2, random_seed=3, keep_all_draws=True)
    path = result.save(tmp_path_factory.mktemp("all") / "fit.nc")
    return ds, Fit.load(path)


def test_numpy_loglik_matches_pymc(all_draws_fit):
    ds, saved = all_draws_fit
    tree = saved.tree
    assert saved.kind == "all_draws"
    config = load_config()
    design = build_design(ds, config)
    model = freeze_dims_and_data(build_model(design, config))
    stored = tree["log_likelihood"].to_dataset()
    post = tree["posterior"]
    assert post["latent_z"].dtype == np.float32 and post["mg_status_ref"].dtype == np.float64
    # the file keeps per-subject draws in float32: both paths start from the same numbers,
    # the free variables in float64; the model's own deterministics (site offsets) follow
    free = [rv.name for rv in model.free_RVs]
    posterior = tree["posterior"].to_dataset()[free].astype(np.float64)
    posterior = posterior.merge(
        pm.compute_deterministics(posterior, model=model, progressbar=False, backend="jax")
    )
    tree["posterior"] = xr.DataTree(posterior)
    # PyMC evaluates the model's graph (the whitening transform in pytensor); the draws
    # engine redoes it in numpy: the two must agree
    reference = pm.compute_log_likelihood(
        tree, model=model, extend_inferencedata=False, progressbar=False, backend="jax"
    )
    draws = Draws.from_posterior(posterior, config, source="test")
    latent = natural_latents(draws, design, flat(posterior["latent_z"].values))
    draws = draws.with_latents(stack(latent), design.subjects)
    coords = {"chain": posterior["chain"].values, "draw": posterior["draw"].values}
    mine = pointwise_dataset(draws, design, coords)
    for name in reference.data_vars:
        np.testing.assert_allclose(mine[name].values, reference[name].values, rtol=1e-9, atol=1e-9)
        # the file keeps per-subject draws (and the latents they come from) in single precision
        assert stored[name].dtype == np.float32
        np.testing.assert_allclose(stored[name].values, mine[name].values, rtol=1e-4, atol=1e-4)
    assert set(mine.data_vars) == set(reference.data_vars) == set(stored.data_vars)


def test_compact_fit_scores_as_the_fit_with_all_draws(all_draws_fit):
    """The compact fit's summaries equal those recomputed from every stored draw."""
    _, saved = all_draws_fit
    kept = saved.tree["subject_draws"]
    summary = saved.summary
    assert kept.sizes["draw"] == 30 and "serum_mg_true" in kept
    serum = kept["serum_mg_true"].values.reshape(-1, kept.sizes["subject"])
    threshold = saved.config.threshold
    np.testing.assert_allclose(
        summary["p_deficient"].values, (serum < threshold).mean(axis=0), atol=1e-12
    )
    np.testing.assert_allclose(summary["serum_mg_true_mean"].values, serum.mean(axis=0), rtol=1e-5)


def _ds(frame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        return read_cohort(frame)


SUBJECTS = pd.DataFrame(
    {
        "subject_id": ["a", "b", "c", "d"],
        "sex": ["F", "M", "F", "M"],
        "site": ["A", "B", "", "Z"],
        "serum_mg": [0.70, 0.85, np.nan, 0.90],
        "diet_mg": [200.0, 350.0, 300.0, np.nan],
    }
)


def test_site_offsets_follow_the_label_and_unknown_sites_are_average():
    draws = Draws.from_prior(n=5, rng=np.random.default_rng(0))
    draws = replace(
        draws,
        sites=("B", "A"),
        site_offsets={
            "intake": np.tile([0.1, -0.2], (5, 1)),
            "status": np.tile([1.0, 2.0], (5, 1)),
        },
    )
    design = build_design(_ds(SUBJECTS), draws.config)
    cov = draws.covariates(design)
    # subject a is at site A (position 1 in the draws), b at B (0); c has none; d's site Z is
    # unknown to the draws: both count as the average site
    np.testing.assert_array_equal(cov["site_status"][0], [2.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(cov["site_intake"][:, 0], np.full(5, -0.2))


def test_states_of_prior_latents_match_the_state_function():
    draws = Draws.from_prior(n=7, rng=np.random.default_rng(1))
    design = build_design(_ds(SUBJECTS), draws.config)
    latent = draws.prior_latents(design, np.random.default_rng(2))
    assert latent["renal"].shape == (7, 4)
    state = draws.states(design, latent)
    theta = {k: v[3] for k, v in draws.theta.items()}
    cov = draws.covariates(design)
    one = steady_state(theta, cov, {k: v[3] for k, v in latent.items()}, mg_dependent_pth=True)
    np.testing.assert_allclose(state["serum_mg_true"][3], one["serum_mg_true"], rtol=1e-12)


def test_prior_latents_follow_the_prior_density():
    """The sampler and the density of the latents are one distribution: the mean of the
    density's score under its own samples is zero."""
    draws = Draws.from_prior(n=1, rng=np.random.default_rng(3))
    design = build_design(_ds(SUBJECTS.iloc[:1]), draws.config)
    many = draws.take(np.zeros(40000, dtype=int))
    latent = many.prior_latents(design, np.random.default_rng(4))
    for name, step in (("renal", 1e-4), ("gut", 1e-4), ("ca_dev", 1e-6)):
        up = many.prior_logpdf(design, latent | {name: latent[name] + step})
        down = many.prior_logpdf(design, latent | {name: latent[name] - step})
        score = (up - down) / (2 * step)
        assert abs(score.mean()) < 4 * score.std() / np.sqrt(score.size), name


def test_loglik_by_subject_sums_the_terms_and_skips_missing_readings():
    draws = Draws.from_prior(n=3, rng=np.random.default_rng(4))
    design = build_design(_ds(SUBJECTS), draws.config)
    state = draws.states(design, draws.prior_latents(design, np.random.default_rng(5)))
    terms = draws.loglik(design, state)
    per = by_subject(design, terms)
    assert terms["serum_mg_mean"].shape == (3, 3)  # subjects a, b, d have serum Mg
    np.testing.assert_array_equal(per["serum_mg"][:, 2], 0.0)  # c has none
    np.testing.assert_allclose(per["serum_mg"][:, [0, 1, 3]], terms["serum_mg_mean"])


def test_thinning_is_a_sorted_subset_and_take_keeps_everything_aligned():
    draws = Draws.from_prior(n=50, rng=np.random.default_rng(5))
    thin = draws.thin(10, np.random.default_rng(6))
    assert thin.n == 10
    kept = [
        np.flatnonzero(draws.theta["renal_total_sd"] == v)[0] for v in thin.theta["renal_total_sd"]
    ]
    assert kept == sorted(kept)
    assert draws.thin(80, np.random.default_rng(6)) is draws


def test_integrated_likelihood_of_a_subject_without_readings_is_one():
    draws = Draws.from_prior(n=4, rng=np.random.default_rng(7))
    frame = pd.DataFrame({"subject_id": ["x"], "sex": ["F"]})
    design = build_design(_ds(frame), draws.config)
    # a proposal from the prior's own moments (a different distribution from the prior)
    prior = stack(
        draws.take(np.zeros(4000, dtype=int)).prior_latents(design, np.random.default_rng(9))
    )
    proposal = Proposal(prior.mean(axis=0), np.cov(prior[:, 0].T)[None])
    loglik, ess = integrated_loglik(
        draws, design, proposal, samples=200, rng=np.random.default_rng(8)
    )
    # no readings: the weights are prior / proposal, whose average estimates 1
    assert np.all(np.abs(loglik) < 0.25)
    # the prior's exponential tails are heavier than the normal component; the defensive
    # prior component bounds every weight by 1 / 0.1, so the ESS cannot collapse
    assert ess[0] > 20


def test_new_subject_posterior_agrees_with_brute_force_prior_sampling():
    """Importance sampling from the adapted proposal against plain prior sampling."""
    draws = Draws.from_prior(n=200, rng=np.random.default_rng(9))
    frame = pd.DataFrame({"subject_id": ["x"], "sex": ["F"], "serum_mg": [0.68], "urine_mg": [1.5]})
    design = build_design(_ds(frame), draws.config)
    weighted = new_subjects(draws, design, rng=np.random.default_rng(10))
    w = weighted.weights()[:, 0]
    adapted = float(np.sum(w * weighted.state["serum_mg_true"][:, 0]))
    brute = weigh(draws, design, None, 400, np.random.default_rng(11))
    wb = brute.weights()[:, 0]
    reference = float(np.sum(wb * brute.state["serum_mg_true"][:, 0]))
    # the joint ESS over (draw, sample) pairs: the readings also condition the population,
    # so even exact latents would weigh the 200 prior draws unequally
    samples = weighted.log_weight.shape[0] * weighted.log_weight.shape[1]
    assert weighted.ess()[0] > 0.2 * samples and brute.ess()[0] > 200
    assert adapted == pytest.approx(reference, abs=0.01)


def _two_new_subjects(n_draws: int):
    draws = Draws.from_prior(n=n_draws, rng=np.random.default_rng(21))
    frame = pd.DataFrame(
        {
            "subject_id": ["a", "b"],
            "sex": ["F", "M"],
            "serum_mg": [0.76, 0.95],
            "urine_mg": [2.0, 4.0],
        }
    )
    design = build_design(_ds(frame), draws.config)
    return draws, design, adapt(draws, design, pilot=50, rng=np.random.default_rng(22))


def test_extended_samples_keep_each_sample_with_its_population_draw():
    """Two passes of one sample joined = one pass of two: sample s*K+k is draw s."""
    draws, design, proposal = _two_new_subjects(30)
    first = weigh(draws, design, proposal, 1, np.random.default_rng(1))
    joined = first.extend(weigh(draws, design, proposal, 1, np.random.default_rng(2)))
    assert joined.log_weight.shape == (30, 2, 2) and joined.u.shape == (60, 2, 5)
    # the states recomputed from the joined latents at the joined draws are the joined states
    again = joined.draws.states(design, unstack(joined.u))
    np.testing.assert_allclose(again["serum_mg_true"], joined.state["serum_mg_true"])
    # and subject b alone is subject b of the joined samples
    alone = joined.subset([1])
    np.testing.assert_array_equal(alone.log_weight[..., 0], joined.log_weight[..., 1])
    np.testing.assert_array_equal(alone.u[:, 0], joined.u[:, 1])


def test_importance_se_matches_the_spread_over_seeds():
    """The delta-method SE of p(true serum Mg < 0.75) against 40 independent repeats."""
    draws, design, proposal = _two_new_subjects(300)
    estimates, ses = [], []
    for seed in range(40):
        weighted = weigh(draws, design, proposal, 1, np.random.default_rng(100 + seed))
        below = (weighted.state["serum_mg_true"] < 0.75).astype(float)
        estimates.append(np.sum(weighted.weights() * below, axis=0))
        ses.append(mc_se(weighted.weights(), below))
    spread, se = np.std(estimates, axis=0, ddof=1), np.mean(ses, axis=0)
    # subject a sits near the threshold; 40 repeats estimate an SD to about +-11 %
    assert 0.02 < se[0] < 0.1
    assert 0.7 < spread[0] / se[0] < 1.4
