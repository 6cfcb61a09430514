"""Parts of a cohort: its sex x site strata, and a subset of its subjects as a cohort."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr


def sex_site_strata(ds: xr.Dataset) -> list[np.ndarray]:
    """Positions of the subjects of each sex x site stratum, strata in sorted order."""
    labels = pd.Series(
        [f"{a}|{b}" for a, b in zip(ds["sex"].values, ds["site"].values, strict=True)]
    )
    return [np.asarray(members) for members in labels.groupby(labels).groups.values()]


def subjects_of(ds: xr.Dataset, index, **note: str) -> xr.Dataset:
    """The subjects at positions ``index`` as a cohort of their own.

    It keeps the cohort's attributes but its data hash (which is the whole cohort's), and
    adds ``note`` (for example ``subsample="200 of 1000, by sex and site"``).
    """
    sub = ds.isel(subject=index)
    sub.attrs = {k: v for k, v in ds.attrs.items() if k != "data_hash"} | note
    return sub
