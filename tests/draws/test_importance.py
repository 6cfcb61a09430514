"""The proposal densities of the importance sampler."""

import numpy as np
import pytest
from scipy import stats

from camg_bayes.draws.importance import mvn_logpdf


@pytest.mark.parametrize("form", ["per_subject", "identity", "scaled_identity"])
def test_mvn_logpdf_matches_scipy(form):
    rng = np.random.default_rng(1)
    u = rng.standard_normal((7, 3, 5))
    mean = rng.standard_normal((3, 5))
    a = rng.standard_normal((3, 5, 5))
    cov = a @ a.transpose(0, 2, 1) + np.eye(5)
    if form == "per_subject":
        got, covs = mvn_logpdf(u, mean, np.linalg.cholesky(cov)), cov
    elif form == "identity":
        got, covs = mvn_logpdf(u, mean, 1.0), np.broadcast_to(np.eye(5), (3, 5, 5))
    else:
        mean = np.zeros((3, 5))
        got, covs = mvn_logpdf(u, None, 2.5), np.broadcast_to(6.25 * np.eye(5), (3, 5, 5))
    want = np.array(
        [
            [stats.multivariate_normal(mean[j], covs[j]).logpdf(u[s, j]) for j in range(3)]
            for s in range(7)
        ]
    )
    assert np.abs(got - want).max() < 1e-10
