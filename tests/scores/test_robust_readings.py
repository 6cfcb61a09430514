"""Laboratory readings have Student-t errors: a wild reading is discounted, not believed."""

import itertools
import warnings

import numpy as np
import pandas as pd
from scipy import stats

import camg_bayes as cb
from camg_bayes.cohort import CohortWarning
from camg_bayes.physiology.observation import (
    BY_COLUMN,
    Summary,
    draw,
    loglik_mean,
    ss_positions,
    student_t,
    summarise,
)


def test_loglik_mean_is_the_student_t_density():
    """Without a deviation, the t density of each reading, repeats included (exact)."""
    readings = np.array([[0.8, np.nan], [0.68, 0.72], [0.3, np.nan]])
    summary = summarise(readings)
    got = loglik_mean(summary, 0.82, 0.03, 0.0, nu=4.0)
    each = np.where(np.isfinite(readings), stats.t.logpdf(readings, 4.0, 0.82, 0.03), 0.0)
    np.testing.assert_allclose(got, each.sum(axis=1))
    assert len(ss_positions(summary, 0.0, 4.0)) == 0  # the repeats are in the mean term
    normal = loglik_mean(summary, 0.82, 0.03, 0.0)
    scale = 0.03 / np.sqrt(summary.count)
    np.testing.assert_allclose(normal, stats.norm.logpdf(summary.mean, 0.82, scale))
    assert list(ss_positions(summary, 0.0)) == [1]  # normal: mean and SS are sufficient
    assert BY_COLUMN["serum_mg"].robust and not BY_COLUMN["diet_mg"].robust


def _one(count: int = 1, extra: float = 0.0) -> Summary:
    return Summary(np.arange(1), np.array([count]), np.zeros(1), np.zeros(1), np.array([extra]))


def test_mean_reading_density_is_the_normal_t_convolution():
    """PTH-like: a normal deviation (SD 0.3) plus a t4 error (scale 0.2), to 1e-5 in logs.

    Checked against adaptive quadrature of the convolution, from the centre to a reading
    100 scale units out, with and without the known extra SD.
    """
    from scipy import integrate

    for between, extra, count in ((0.3, 0.0, 1), (0.05, 0.0, 1), (0.0, 0.1, 2), (1.0, 0.0, 1)):
        sd_b = np.hypot(between, extra)
        scale = 0.2 / np.sqrt(count)
        for r in (0.0, 0.1, 0.5, 2.0, 20.0):

            def integrand(e, r=r, sd_b=sd_b, scale=scale):
                return stats.norm.pdf(r - e, 0, sd_b) * stats.t.pdf(e, 4.0, 0, scale)

            cuts = (-np.inf, r - 10 * sd_b, r + 10 * sd_b, np.inf)  # the normal's bulk apart
            exact = sum(
                integrate.quad(integrand, a, b, epsabs=0, epsrel=1e-12, limit=400)[0]
                for a, b in itertools.pairwise(cuts)
            )
            got = loglik_mean(_one(count, extra), -r, 0.2, between, nu=4.0)[0]
            tolerance = 1e-5 if r < 5 else 2e-3  # 100-140 scale units out: the edge
            assert abs(got - np.log(exact)) < tolerance, (between, extra, r, got, np.log(exact))


def test_mean_reading_density_matches_the_simulator_with_a_between_subject_deviation():
    """The density the model uses is the one the simulator's readings follow (400,000)."""
    n = 400_000
    readings = draw(
        BY_COLUMN["serum_ca"],  # a natural-scale measurement: the draws are the errors
        np.zeros(n),
        0.2,
        0.3,
        np.ones((n, 1), dtype=bool),
        np.random.default_rng(3),
        nu=4.0,
    )[:, 0]
    edges = np.array([-np.inf, -1.5, -0.8, -0.4, -0.15, 0.0, 0.15, 0.4, 0.8, 1.5, np.inf])
    observed = np.histogram(readings, edges)[0]
    grid = np.linspace(-6, 6, 24_001)
    density = np.exp(
        loglik_mean(
            Summary(
                np.arange(len(grid)),
                np.ones(len(grid)),
                grid,
                np.zeros(len(grid)),
                np.zeros(len(grid)),
            ),
            0.0,
            0.2,
            0.3,
            nu=4.0,
        )
    )
    cdf = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(grid))])
    expected = n * np.diff(np.interp(edges, grid, cdf, left=0.0, right=1.0))
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert chi2 < stats.chi2.ppf(0.999, len(observed) - 1), chi2
    # a t whose variance matched the readings' (the former density) fails the same test
    var = 0.3**2 + 0.2**2 * 2.0
    former = stats.t.cdf(edges, 4.0, 0, np.sqrt(var / 2.0))
    chi2_former = ((observed - n * np.diff(former)) ** 2 / (n * np.diff(former))).sum()
    assert chi2_former > 10 * stats.chi2.ppf(0.999, len(observed) - 1)


def test_simulated_t_errors_have_heavy_tails_and_stay_bounded():
    rng = np.random.default_rng(1)
    z = student_t(rng, 4.0, (200_000, 1))
    assert 0.005 < np.mean(np.abs(z) > 5) < 0.01  # t4: 0.0077; a normal: 6e-7
    assert np.abs(z).max() <= 8.0
    assert np.array_equal(
        student_t(np.random.default_rng(2), np.inf, (5, 1)),
        np.random.default_rng(2).normal(size=(5, 1)),
    )


def test_a_wild_serum_mg_reading_moves_the_estimate_less_than_a_plausible_one():
    readings = [0.85, 0.70, 0.55, 0.40, 0.25]
    cohort = pd.DataFrame(
        {
            "subject_id": [f"S{i}" for i in range(len(readings))],
            "sex": "F",
            "age_years": 50,
            "serum_mg": readings,
            "diet_mg": 300,
            "diet_ca": 900,
        }
    )
    # A wild reading leaves a two-mode posterior (believed, or an error). With one latent
    # sample per draw its importance sampling estimate had a Monte Carlo SD of ~0.04 mmol/L;
    # scoring now adds samples until the mean's SE is 0.005 (at most 8 per draw), and seeds
    # 1-4 put the estimate at 0.25 at 0.475-0.492, at 0.40 at 0.471-0.489. The mean over
    # four seeds is what is tested.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        ds = cb.read_cohort(cohort)
        mean = np.mean(
            [cb.score(ds, random_seed=seed)["serum_mg_true_mean"] for seed in (1, 2, 3, 4)], 0
        )
    # plausible readings are believed: 0.85 -> 0.70 moves the estimate most of the way
    assert mean[0] - mean[1] > 0.7 * 0.15
    # a wild one is discounted: 0.40 -> 0.25 moves it by under half
    assert mean[3] - mean[4] < 0.5 * 0.15
    # plausible readings move it monotonically; a t error's influence redescends, so a
    # reading further out than 0.40 pulls no harder (it is more likely an error)
    assert np.all(np.diff(mean[:4]) < 0)
    assert mean[4] > mean[3] - 0.02
