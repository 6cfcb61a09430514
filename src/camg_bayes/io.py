"""Save and load fits as NetCDF (or Zarr), with checks on the way back in.

A saved fit carries its model configuration (JSON) and that configuration's
fingerprint, the data hash of the cohort it was fitted to (the cohort itself is stored
in the ``cohort`` group), the seed, the sampler settings and the software versions.
:func:`load_fit` refuses a file that is not a fit, is corrupted (its stored cohort or
configuration no longer matches its recorded hash or fingerprint), or was made with a
different model configuration than the one the caller expects.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr

from camg_bayes.cohort import data_hash
from camg_bayes.errors import FitFileError
from camg_bayes.priors import ModelConfig

REQUIRED_GROUPS = ("posterior", "sample_stats", "log_likelihood", "cohort")
REQUIRED_ATTRS = (
    "camg_bayes_version",
    "model_config",
    "config_fingerprint",
    "data_hash",
    "random_seed",
)


def save_fit(tree: xr.DataTree, path) -> Path:
    """Write a fit to ``path`` (``.zarr`` suffix: Zarr store; otherwise NetCDF via h5netcdf).

    Per-draw, per-subject arrays are stored in single precision (see
    :func:`_single_precision_draws`).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    missing = [a for a in REQUIRED_ATTRS if a not in tree.attrs]
    if missing:
        raise FitFileError(f"not a camg_bayes fit (attributes missing: {', '.join(missing)})")
    path.parent.mkdir(parents=True, exist_ok=True)
    encoding = _single_precision_draws(tree)
    if path.suffix == ".zarr":
        tree.to_zarr(path, mode="w", encoding=encoding, consolidated=False)
    else:
        tree.to_netcdf(path, engine="h5netcdf", encoding=encoding)
    return path


_PER_SUBJECT, _PER_READING = "subject", "repeat"  # substrings of per-subject dim names


def _single_precision_draws(tree: xr.DataTree) -> dict:
    """Encoding that stores per-draw, per-subject float arrays as float32.

    These arrays (subject latents and log-likelihoods, ``(chain, draw, subject[, ...])``)
    are nearly all of a fit's size; float32 keeps 7 significant digits, far below Monte
    Carlo error, and halves the file. Population parameters stay float64.
    """
    encoding = {}
    for name, node in tree.children.items():
        chosen = {
            var: {"dtype": "float32"}
            for var, values in node.to_dataset().data_vars.items()
            if values.dtype == np.float64
            and {"chain", "draw"} <= set(values.dims)
            and any(_PER_SUBJECT in dim or _PER_READING in dim for dim in values.dims)
        }
        if chosen:
            encoding[f"/{name}"] = chosen
    return encoding


def load_fit(path, config: ModelConfig | None = None) -> xr.DataTree:
    """Read a fit and check it.

    Parameters
    ----------
    path : str or pathlib.Path
        A file written by :func:`save_fit`.
    config : ModelConfig, optional
        The configuration the caller expects; if given, the fit must have been made with
        the same priors and switches.

    Returns
    -------
    xarray.DataTree
        Loaded into memory.

    Raises
    ------
    FitFileError
        If the file is missing, unreadable or corrupted, is not a camg_bayes fit, or was
        made with a different model configuration.
    """
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise FitFileError(f"{name}: file not found. Fix: check the path (camg fit writes it)")
    try:
        if path.suffix == ".zarr" or path.is_dir():
            tree = xr.open_datatree(path, engine="zarr", consolidated=False).load()
        else:
            with xr.open_datatree(path, engine="h5netcdf") as handle:
                tree = handle.load()
    except Exception as exc:  # corrupted files raise many types (OSError, ValueError, ...)
        raise FitFileError(
            f"{name}: cannot be read as a fit ({type(exc).__name__}); the file may be truncated "
            "or corrupted. Fix: run camg fit again"
        ) from None
    missing_groups = [g for g in REQUIRED_GROUPS if g not in tree.children]
    missing_attrs = [a for a in REQUIRED_ATTRS if a not in tree.attrs]
    if missing_groups or missing_attrs:
        what = ", ".join(missing_groups + missing_attrs)
        raise FitFileError(
            f"{name}: not a camg_bayes fit (missing {what}). Fix: use a file from camg fit"
        )
    try:
        stored = ModelConfig.from_json(tree.attrs["model_config"])
    except Exception as exc:
        raise FitFileError(
            f"{name}: its model configuration cannot be read ({exc}). Fix: run camg fit again"
        ) from None
    if stored.fingerprint() != tree.attrs["config_fingerprint"]:
        raise FitFileError(
            f"{name}: corrupted: the stored model configuration does not match its fingerprint. "
            "Fix: run camg fit again"
        )
    cohort = tree["cohort"].to_dataset()
    if data_hash(cohort) != tree.attrs["data_hash"]:
        raise FitFileError(
            f"{name}: corrupted: the stored cohort does not match its data hash. "
            "Fix: run camg fit again"
        )
    if config is not None and config.fingerprint() != stored.fingerprint():
        raise FitFileError(
            f"{name}: made with a different model configuration (variant '{stored.variant}', "
            f"fingerprint {stored.fingerprint()}; expected variant '{config.variant}', "
            f"{config.fingerprint()}). "
            "Fix: refit with the current configuration or load it with its own"
        )
    return tree


def fit_config(tree: xr.DataTree) -> ModelConfig:
    """The model configuration a fit was made with."""
    return ModelConfig.from_json(tree.attrs["model_config"])


def fit_cohort(tree: xr.DataTree) -> xr.Dataset:
    """The validated cohort stored with a fit (subject x occasion)."""
    cohort = tree["cohort"].to_dataset()
    cohort.attrs.update(
        source=tree.attrs.get("cohort_source", ""),
        data_hash=tree.attrs["data_hash"],
        warnings=json.loads(tree.attrs.get("cohort_warnings", "[]")),
        units=_canonical_units(),
        columns=json.loads(tree.attrs.get("cohort_columns", "[]")),
    )
    return cohort


def _canonical_units() -> dict:
    from camg_bayes import schema, units

    return {c: units.QUANTITIES[c].canonical for c in schema.NUMERIC}
