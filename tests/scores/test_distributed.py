"""Scoring and fitting on a real Dask LocalCluster (worker processes, one thread each)."""

import os

import numpy as np
import pandas as pd
import pytest

from camg_bayes.cli import main
from camg_bayes.cohort import read_cohort
from camg_bayes.fitting import Fit
from camg_bayes.parallel import cluster
from camg_bayes.scores.distributed import score_on_cluster, stratified_subsample
from camg_bayes.scores.scoring import score

pytestmark = pytest.mark.filterwarnings("ignore::camg_bayes.cohort.CohortWarning")


@pytest.fixture(scope="module")
def client():
    with cluster(workers=2) as c:
        yield c


def test_workers_are_single_threaded_and_keep_glibc_adaptive(client):
    """One thread for BLAS and XLA; no MALLOC_TRIM_THRESHOLD_ (it made scoring 4x slower)."""
    env = client.run(
        lambda: {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MALLOC_TRIM_THRESHOLD_")}
    )
    assert len(env) == 2
    for worker in env.values():
        assert worker == {"OMP_NUM_THREADS": "1", "MALLOC_TRIM_THRESHOLD_": None}


def test_chunks_on_workers_agree_with_one_process(short_fit, client):
    cohort, path = short_fit
    ds = read_cohort(cohort)
    fit = Fit.load(path)
    here = score(ds, fit, random_seed=1, n_draws=200)
    there = score_on_cluster(ds, path, client, chunk=30, random_seed=1, n_draws=200)
    assert there.attrs["chunks"] == 3 and there.attrs["n_in_fit"] == ds.sizes["subject"]
    assert list(there["subject_id"]) == list(here["subject_id"])
    # the fit's own subjects: their summaries, whichever worker reads them
    np.testing.assert_array_equal(there["p_deficient"], here["p_deficient"])
    np.testing.assert_array_equal(there["serum_mg_true_lo"], here["serum_mg_true_lo"])


def test_new_subjects_on_workers_are_reproducible_and_agree(short_fit, client):
    cohort, path = short_fit
    frame = pd.read_csv(cohort)
    frame["subject_id"] = "new_" + frame["subject_id"].astype(str)
    ds = read_cohort(frame.head(60))
    fit = Fit.load(path)
    a = score_on_cluster(ds, path, client, chunk=10, random_seed=4, n_draws=200)
    b = score_on_cluster(ds, path, client, chunk=10, random_seed=4, n_draws=200)
    pd.testing.assert_frame_equal(a, b)
    assert a["method"].str.startswith("importance sampling").all()
    here = score(ds, fit, random_seed=4, n_draws=200)
    # other random streams, same estimate within Monte Carlo error: 4 standard errors of
    # the difference, each from its effective sample size (and a floor for p near 0 or 1)
    p = (a["p_deficient"] + here["p_deficient"]) / 2
    se = np.sqrt(np.maximum(p * (1 - p), 0.01) * (1 / a["ess"] + 1 / here["ess"]))
    assert np.all(np.abs(a["p_deficient"] - here["p_deficient"]) < 4 * se)
    assert np.max(np.abs(a["serum_mg_true_mean"] - here["serum_mg_true_mean"])) < 0.02


def test_stratified_subsample_keeps_every_stratum(short_fit):
    cohort, _ = short_fit
    ds = read_cohort(cohort)
    sub = stratified_subsample(ds, 40, np.random.default_rng(0))
    assert 36 <= sub.sizes["subject"] <= 44
    strata = {(a, b) for a, b in zip(ds["sex"].values, ds["site"].values, strict=True)}
    kept = {(a, b) for a, b in zip(sub["sex"].values, sub["site"].values, strict=True)}
    assert kept == strata


def test_cli_fit_and_score_on_a_local_cluster(short_fit, tmp_path, capsys):
    cohort, _ = short_fit
    fit_path = tmp_path / "sub.nc"
    argv = ["fit", str(cohort), "--out", str(fit_path), "--scheduler", "local"]
    argv += ["--subsample", "50", "--draws", "30", "--tune", "60", "--chains", "2", "--seed", "2"]
    main(argv)
    printed = capsys.readouterr().out
    assert "fitted on" in printed and "task on Dask" in printed
    fitted = Fit.load(fit_path)
    assert 45 <= fitted.design.n <= 55
    scores = tmp_path / "scores.csv"
    argv = ["score", str(cohort), "--fit", str(fit_path), "--out", str(scores)]
    assert main([*argv, "--scheduler", "local", "--seed", "1", "--draws", "200"]) == 0
    table = pd.read_csv(scores)
    assert len(table) == 80
    in_fit = table["method"] == "posterior draws"
    assert in_fit.sum() == fitted.design.n  # the rest are scored as new subjects
