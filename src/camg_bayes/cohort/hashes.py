"""Fingerprints of a cohort (of the whole and of each subject), and the cohort as a table."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes.cohort import schema


def data_hash(ds: xr.Dataset) -> str:
    """Return a SHA-256 of the cohort's values, identifiers and units (first 16 hex digits).

    The hash is independent of file format and column order, so the same cohort saved as
    CSV or Parquet, or with other units in its headers, has the same hash.
    """
    digest = hashlib.sha256()
    for coord in ("subject", "occasion"):
        digest.update("\x1f".join(map(str, ds[coord].values)).encode())
    for name in sorted(ds.data_vars):
        values = ds[name].values
        digest.update(name.encode())
        if values.dtype.kind in "fi":
            digest.update(np.round(values.astype(float), 10).tobytes())
        else:
            digest.update("\x1f".join(map(str, values.ravel())).encode())
    return digest.hexdigest()[:16]


def subject_hashes(ds: xr.Dataset) -> dict[str, str]:
    """A hash of each subject's readings and covariates, keyed by subject identifier.

    Two cohorts give a subject the same hash when its rows (occasion labels included) hold
    the same values in canonical units.
    """
    occasions = ds["occasion"].values
    names = sorted(v for v in ds.data_vars if v != "row_present")
    present = ds["row_present"].values
    columns = {name: ds[name].values for name in names}
    out = {}
    for i, subject in enumerate(ds["subject"].values):
        digest = hashlib.sha256()
        rows = present[i]
        digest.update(np.asarray(occasions[rows]).tobytes())
        for values in columns.values():
            value = values[i][rows] if values.ndim == 2 else values[i]
            if np.asarray(value).dtype.kind in "fi":
                digest.update(np.round(np.asarray(value, dtype=float), 10).tobytes())
            else:
                digest.update("\x1f".join(map(str, np.ravel(value))).encode())
        out[str(subject)] = digest.hexdigest()[:16]
    return out


def subject_table(ds: xr.Dataset) -> pd.DataFrame:
    """Return the cohort back as a long table (one row per subject per occasion present).

    Values are in canonical units, with canonical headers.
    """
    frame = ds.drop_vars(["sex", "site"]).to_dataframe().reset_index()
    frame = frame[frame.pop("row_present")]
    for column in schema.SUBJECT_LEVEL:
        frame[column] = ds[column].to_series().reindex(frame["subject"]).to_numpy()
    frame = frame.rename(columns={"subject": schema.SUBJECT_ID})
    keep = [
        c for c in schema.ALL_COLUMNS if c in frame.columns and c in ds.attrs.get("columns", [])
    ]
    return frame[keep].reset_index(drop=True)
