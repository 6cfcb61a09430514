"""One entry point that opens any supported cohort source."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xarray as xr

from camg_bayes.cohort.nhanes import read_nhanes
from camg_bayes.cohort.read import read_cohort


def is_nhanes(source) -> bool:
    """Return True for an NHANES ``.XPT`` file, a list of them, or a directory holding them."""
    if isinstance(source, (list, tuple)):
        return bool(source) and all(is_nhanes(s) for s in source)
    if isinstance(source, pd.DataFrame):
        return False
    path = Path(source)
    if path.is_dir():
        return any(p.suffix.lower() == ".xpt" for p in path.iterdir())
    return path.suffix.lower() == ".xpt"


def load_cohort(source) -> xr.Dataset:
    """Open a cohort from a CSV or Parquet file, a DataFrame, or NHANES ``.XPT`` files.

    Parameters
    ----------
    source : str, pathlib.Path, pandas.DataFrame or list of paths
        The cohort table, or NHANES transport files (or their directory).

    Returns
    -------
    xarray.Dataset
        The validated cohort (see :func:`camg_bayes.cohort.read_cohort`).
    """
    if is_nhanes(source):
        paths = source if isinstance(source, (list, tuple)) else [source]
        name = ", ".join(Path(p).name for p in paths)
        return read_cohort(read_nhanes(paths), name=f"NHANES ({name})")
    if isinstance(source, (list, tuple)):
        if len(source) != 1:
            raise TypeError("pass one cohort table (several paths are only for NHANES .XPT files)")
        source = source[0]
    return read_cohort(source)
