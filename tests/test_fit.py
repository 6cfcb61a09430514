"""A real (short) fit through the command line, reused by the save/load/diagnostics tests.

The short run is not expected to converge; these tests check the file contract, the
likelihood bookkeeping and that failing diagnostics are reported, not scientific claims
(those are in test_recovery.py, marked slow).
"""

import json
import warnings

import h5py
import numpy as np
import pymc as pm
import pytest
import xarray as xr

from camg_bayes.cli import main
from camg_bayes.cohort import CohortWarning, read_cohort
from camg_bayes.design import build_design
from camg_bayes.diagnostics import diagnose
from camg_bayes.errors import FitFileError
from camg_bayes.io import fit_cohort, fit_config, load_fit, save_fit
from camg_bayes.model import build_model
from camg_bayes.posterior import log_likelihood_dataset
from camg_bayes.priors import load_config


def test_fit_tree_has_groups_dims_and_attributes(short_fit):
    _, path = short_fit
    tree = load_fit(path)
    assert {"posterior", "sample_stats", "observed_data", "log_likelihood", "cohort"} <= set(
        tree.children
    )
    post = tree["posterior"]
    assert post["serum_mg_true"].dims == ("chain", "draw", "subject")
    assert post.sizes["chain"] == 2 and post.sizes["draw"] == 60
    attrs = tree.attrs
    assert attrs["random_seed"] == 7
    versions = json.loads(attrs["software_versions"])
    assert {"camg_bayes", "pymc", "arviz", "nutpie"} <= set(versions)
    assert (
        fit_config(tree).fingerprint() == attrs["config_fingerprint"] == load_config().fingerprint()
    )
    assert json.loads(attrs["sampler_settings"])["draws"] == 60
    assert fit_cohort(tree).sizes["subject"] == 80
    marginal = tree["log_likelihood_marginal"]
    assert marginal["all_measurements"].dims == ("chain", "draw", "subject")
    assert marginal.sizes["subject"] == 80 and marginal.sizes["draw"] <= 60
    assert np.isfinite(marginal["all_measurements"].values).all()


def test_numpy_loglik_matches_pymc(short_fit):
    cohort, path = short_fit
    tree = load_fit(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        ds = read_cohort(cohort)
    config = load_config()
    model = build_model(build_design(ds, config), config)
    stored = tree["log_likelihood"].to_dataset()
    post = tree["posterior"]
    assert post["status_z"].dtype == np.float32 and post["mg_status_ref"].dtype == np.float64
    # the file keeps per-subject draws in float32: recompute the deterministics from the
    # free variables in float64 so that both paths see the same numbers
    free = [rv.name for rv in model.free_RVs]
    posterior = tree["posterior"].to_dataset()[free].astype(np.float64)
    posterior = posterior.merge(
        pm.compute_deterministics(posterior, model=model, progressbar=False)
    )
    tree["posterior"] = xr.DataTree(posterior)
    reference = pm.compute_log_likelihood(
        tree, model=model, extend_inferencedata=False, progressbar=False
    )
    mine = log_likelihood_dataset(tree, config, build_design(ds, config))
    for name in reference.data_vars:
        np.testing.assert_allclose(mine[name].values, reference[name].values, rtol=1e-9, atol=1e-9)
        # the file keeps per-subject draws in single precision
        assert stored[name].dtype == np.float32
        np.testing.assert_allclose(stored[name].values, mine[name].values, rtol=2e-5, atol=2e-5)
    assert set(mine.data_vars) == set(reference.data_vars) == set(stored.data_vars)


def test_check_reports_failure_of_a_short_run(short_fit, capsys):
    _, path = short_fit
    result = diagnose(load_fit(path))
    names = [c.name for c in result.checks]
    assert names == [
        "rhat_population",
        "rhat_subjects",
        "ess_bulk_population",
        "ess_tail_population",
        "divergences",
        "treedepth",
        "ebfmi",
    ]
    assert not result.passed  # 60 draws from 2 chains cannot give 200 effective draws
    code = main(["check", str(path)])
    printed = capsys.readouterr().out
    assert code == 1
    assert "FAIL" in printed and "ess_bulk_population" in printed


def test_load_refuses_other_configuration(short_fit):
    _, path = short_fit
    with pytest.raises(FitFileError, match=r"different model configuration.*no_competition"):
        load_fit(path, config=load_config(variant="no_competition"))
    assert load_fit(path, config=load_config()) is not None


def test_load_refuses_corrupted_and_foreign_files(short_fit, tmp_path):
    _, path = short_fit
    truncated = tmp_path / "truncated.nc"
    truncated.write_bytes(path.read_bytes()[:50_000])
    with pytest.raises(FitFileError, match="cannot be read"):
        load_fit(truncated)
    with pytest.raises(FitFileError, match="file not found"):
        load_fit(tmp_path / "nope.nc")
    # a valid NetCDF whose stored cohort was altered after fitting
    tampered = tmp_path / "tampered.nc"
    tampered.write_bytes(path.read_bytes())
    with h5py.File(tampered, "r+") as handle:
        handle["cohort/serum_mg"][0, 0] = 0.123
    with pytest.raises(FitFileError, match="does not match its data hash"):
        load_fit(tampered)
    tree = load_fit(path)
    tree.attrs["model_config"] = tree.attrs["model_config"].replace('"sigma": 0.4', '"sigma": 0.41')
    edited = tmp_path / "edited.nc"
    save_fit(tree, edited)
    with pytest.raises(FitFileError, match="does not match its fingerprint"):
        load_fit(edited)


def test_zarr_round_trip_keeps_values_and_precision_policy(short_fit, tmp_path):
    _, path = short_fit
    tree = load_fit(path)
    store = save_fit(tree, tmp_path / "fit.zarr")
    again = load_fit(store)
    for name in ("status_z", "mg_status_ref", "site_status"):
        a, b = tree["posterior"][name], again["posterior"][name]
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a.values, b.values)
    assert again["posterior"]["site_status"].dtype == np.float64  # population: double
    assert again["log_likelihood"]["pth_mean"].dtype == np.float32  # per subject: single
    assert again.attrs["data_hash"] == tree.attrs["data_hash"]


def test_cli_check_on_bad_file_exits_two(tmp_path, capsys):
    bad = tmp_path / "x.nc"
    bad.write_text("not a netcdf")
    assert main(["check", str(bad)]) == 2
    assert "Traceback" not in capsys.readouterr().err
