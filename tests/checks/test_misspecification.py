"""The checks notice a wrong model (slow: real fits).

Data simulated with strong Ca-Mg competition in the gut (1 per g of co-present Ca, four
times the prior SD) are fitted with the full model and with the no-competition variant.
PSIS-LOO must prefer the full model clearly, and the full model's own posterior
predictive checks and LOO-PIT must not raise more flags than chance allows.
"""

import warnings

import numpy as np
import pytest

from camg_bayes.checks.loo import compare, loo
from camg_bayes.checks.predictive import posterior_predictive
from camg_bayes.cohort import CohortWarning, read_cohort
from camg_bayes.fitting.sample import fit
from camg_bayes.model.config import load_config
from camg_bayes.model.simulate import simulate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fits():
    sim = simulate(1000, random_seed=301, params={"mg_ca_competition": 1.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        ds = read_cohort(sim.cohort)
    full = fit(ds, random_seed=301)
    plain = fit(ds, load_config(variant="no_competition"), random_seed=301)
    return {"full": full, "no_competition": plain}


def test_loo_prefers_the_model_with_competition(fits):
    """PSIS-LOO prefers the full model by more than 2 SE, over the subjects it can estimate.

    Integrated LOO is reliable for nearly every subject, but not for one with a gross
    reading error: the simulator draws 1 % of laboratory readings from a normal 6 times as
    wide, and seed 301 gives S00067 a serum Mg of 0.287 mmol/L against a true 0.691 (14
    within-person SDs). The model can take that reading as an error or as a true value in
    the tail of the population's serum Mg, whose mass varies between draws by orders of
    magnitude; the subject's integrated likelihood then follows the tail's parameters, and
    PSIS flags it (Pareto k 2.2 in the full model). Such k > 0.7 is a finding, not a
    failure of the estimator, but never for more than 0.5 % of subjects; the comparison
    is made over the subjects with k <= 0.7 in both fits (and the full model must lead
    over all subjects too).
    """
    table = compare(fits)
    print(table.to_string())
    assert table.index[0] == "full"
    n_subjects = fits["full"].summary.sizes["subject"]
    for label in fits:
        assert table.loc[label, "k_over_0.7"] <= 0.005 * n_subjects
    full, plain = loo(fits["full"]), loo(fits["no_competition"])
    reliable = (np.asarray(full.pareto_k) <= 0.7) & (np.asarray(plain.pareto_k) <= 0.7)
    diff = (np.asarray(full.elpd_i) - np.asarray(plain.elpd_i)).ravel()[reliable.ravel()]
    se = np.sqrt(diff.size) * diff.std()
    print(
        f"over {diff.size} subjects with k <= 0.7: elpd difference {diff.sum():.1f} (SE {se:.1f})"
    )
    assert diff.sum() > 4 and diff.sum() > 2 * se


def test_competition_is_recovered(fits):
    draws = fits["full"].posterior["mg_ca_competition"].values.ravel()
    lo, hi = np.quantile(draws, [0.05, 0.95])
    # The truth (1.0) sits 4 prior SDs from the prior mean (0), so a calibrated posterior is
    # pulled toward the prior: in the normal approximation its mean is expected at
    # truth * (1 - s^2 / prior_sd^2), s the posterior SD. The test compares with that.
    prior = load_config().priors["mg_ca_competition"].params
    s, prior_sd = draws.std(), float(prior["sigma"])
    expected = float(prior["mu"]) + (1.0 - float(prior["mu"])) * (1.0 - s**2 / prior_sd**2)
    z = (draws.mean() - expected) / s
    naive = (draws.mean() - 1.0) / s
    print(
        f"mg_ca_competition: mean {draws.mean():.3f}, 90 % [{lo:.3f}, {hi:.3f}], expected "
        f"{expected:.3f} after shrinkage, z {z:.2f} (against the truth {naive:.2f})"
    )
    # A 90 % interval misses the truth in 1 fit of 10 by design, so one fit cannot test it
    # (that is SBC's job, benchmarks/sbc.py); here the mean must lie within 3 posterior SDs of
    # where a calibrated posterior is expected (seed 301 measured: mean 0.653, SD 0.116, z
    # -3.0 against the truth, -1.2 against the expected 0.786).
    assert abs(z) <= 3
    assert lo > 0  # and the data rule out "no competition"


def test_well_specified_model_raises_few_flags(fits):
    check = posterior_predictive(fits["full"], random_seed=1)
    n = len(check.statistics)
    flagged = check.statistics[check.statistics["flag"]]
    print(flagged[["measurement", "statistic", "p_value"]])
    # ~40 statistics at a 5 % two-sided level: about 2 flags by chance
    assert len(flagged) <= max(3, n // 10)


def test_loo_pit_of_the_well_specified_model_is_uniform(fits):
    """Leave-one-subject-out PIT values are uniform when the model is right.

    A predictive that conditioned on the left-out subject's own data would pile the
    values up mid-range; eight measurements at a 5 % level allow one flag by chance.
    """
    pit = posterior_predictive(fits["full"], random_seed=2).pit_statistics
    print(pit.drop(columns="comment").to_string())
    assert pit["flag"].sum() <= 1
    assert (pit["tail_fraction"] - 0.2).abs().max() < 0.06
