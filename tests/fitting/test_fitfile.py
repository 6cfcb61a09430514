"""A real (short) fit through the command line, reused by the save/load/diagnostics tests.

The short run is not expected to converge; these tests check the file contract, the
likelihood bookkeeping and that failing diagnostics are reported, not scientific claims
(those are in test_recovery.py, marked slow).
"""

import json

import h5py
import numpy as np
import pytest

from camg_bayes.cli import main
from camg_bayes.errors import FitFileError
from camg_bayes.fitting import Fit, load_fit, save_fit
from camg_bayes.model.config import load_config


def test_fit_tree_has_groups_dims_and_attributes(short_fit):
    _, path = short_fit
    fit = Fit.load(path)
    tree = fit.tree
    groups = {"posterior", "sample_stats", "subject_summary", "subject_draws", "cohort"}
    assert groups | {"log_likelihood_marginal", "log_likelihood_prior"} == set(tree.children)
    assert tree.attrs["fit_kind"] == fit.kind == "compact"
    post = tree["posterior"]
    assert "latent_z" not in post and "subject" not in post.dims  # population draws only
    assert post.sizes["chain"] == 2 and post.sizes["draw"] == 60
    summary = tree["subject_summary"]
    assert summary["serum_mg_true_rhat"].dims == ("subject",) and summary.sizes["subject"] == 80
    assert summary.attrs["threshold"] == fit.config.threshold
    kept = tree["subject_draws"]["latents"]
    assert kept.dims == ("chain", "draw", "subject", "latent") and kept.dtype == np.float32
    assert kept.sizes["draw"] == 60  # fewer draws than KEPT_PER_CHAIN: all are kept
    attrs = tree.attrs
    assert attrs["random_seed"] == 7
    versions = json.loads(attrs["software_versions"])
    assert {"camg_bayes", "pymc", "arviz", "nutpie"} <= set(versions)
    assert fit.config.fingerprint() == attrs["config_fingerprint"] == load_config().fingerprint()
    assert json.loads(attrs["sampler_settings"])["draws"] == 60
    assert fit.cohort.sizes["subject"] == 80 and fit.design.n == 80
    marginal = tree["log_likelihood_marginal"]
    assert marginal["all_measurements"].dims == ("chain", "draw", "subject")
    assert marginal.sizes["subject"] == 80 and marginal.sizes["draw"] <= 60
    assert np.isfinite(marginal["all_measurements"].values).all()


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
    for group, name in [
        ("posterior", "mg_status_ref"),
        ("posterior", "site_status"),
        ("subject_draws", "latents"),
        ("subject_summary", "p_deficient"),
    ]:
        a, b = tree[group][name], again[group][name]
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a.values, b.values)
    assert again["posterior"]["site_status"].dtype == np.float64  # population: double
    assert again["subject_draws"]["latents"].dtype == np.float32  # per subject: single
    assert again.attrs["data_hash"] == tree.attrs["data_hash"]


def test_load_checks_the_kind_of_fit(short_fit, tmp_path):
    _, path = short_fit
    tree = load_fit(path)
    del tree["subject_draws"]
    save_fit(tree, tmp_path / "no_draws.nc")
    with pytest.raises(FitFileError, match="compact fit missing subject_draws"):
        load_fit(tmp_path / "no_draws.nc")
    tree = load_fit(path)
    tree.attrs["fit_kind"] = "all_draws"  # claims every draw but lacks the conditional loglik
    save_fit(tree, tmp_path / "claims_all.nc")
    with pytest.raises(FitFileError, match="all_draws fit missing log_likelihood"):
        load_fit(tmp_path / "claims_all.nc")
    tree.attrs["fit_kind"] = "streamed"
    save_fit(tree, tmp_path / "unknown.nc")
    with pytest.raises(FitFileError, match="unknown kind of fit 'streamed'"):
        load_fit(tmp_path / "unknown.nc")


def test_cli_check_on_bad_file_exits_two(tmp_path, capsys):
    bad = tmp_path / "x.nc"
    bad.write_text("not a netcdf")
    assert main(["check", str(bad)]) == 2
    assert "Traceback" not in capsys.readouterr().err


def _broken_fits(path, tmp_path) -> dict:
    """A truncated file, a fit of another package version, and a non-fit NetCDF."""
    truncated = tmp_path / "truncated.nc"
    truncated.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 3])
    tree = load_fit(path)
    tree.attrs["camg_bayes_version"] = "0.0.1"
    foreign = save_fit(tree, tmp_path / "foreign.nc")
    del tree.attrs["model_config"]
    not_a_fit = tmp_path / "not_a_fit.nc"
    tree.to_netcdf(not_a_fit, engine="h5netcdf")
    return {
        "cannot be read": truncated,
        "made with camg_bayes 0.0.1": foreign,
        "not a camg_bayes fit": not_a_fit,
    }


def test_every_command_that_reads_a_fit_refuses_a_broken_one_in_one_line(
    short_fit, tmp_path, capsys
):
    cohort, path = short_fit
    out = tmp_path / "out.csv"
    for message, broken in _broken_fits(path, tmp_path).items():
        for argv in (
            ["check", str(broken)],
            ["score", str(cohort), "--fit", str(broken), "--out", str(out)],
            ["whatif", str(cohort), "--fit", str(broken), "--add-mg", "100", "--out", str(out)],
            ["report", str(broken), "--out", str(tmp_path / "r.html")],
            ["compare", str(path), str(broken)],
        ):
            capsys.readouterr()
            code = main(argv)
            err = capsys.readouterr().err.strip()
            assert code == 2, (argv, err)
            assert len(err.splitlines()) == 1 and message in err, (argv, err)
            assert "Traceback" not in err
    assert not out.exists() and not (tmp_path / "r.html").exists()
