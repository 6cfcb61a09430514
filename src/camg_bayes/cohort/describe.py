"""Plain summaries of a validated cohort: counts, units and missingness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes.cohort import schema


def measurement_counts(ds: xr.Dataset) -> pd.DataFrame:
    """Count subjects and observations for each numeric column of a cohort.

    Parameters
    ----------
    ds : xarray.Dataset
        A cohort from :func:`camg_bayes.cohort.read_cohort`.

    Returns
    -------
    pandas.DataFrame
        Indexed by column, with ``unit``, ``subjects`` (with at least one value),
        ``observations``, ``repeated`` (subjects with two or more values),
        ``missing_pct`` (share of subjects with no value) and ``median``.
    """
    n_subjects = ds.sizes["subject"]
    rows = []
    for column in schema.NUMERIC:
        values = ds[column].values
        have = np.isfinite(values)
        per_subject = have.sum(axis=1)
        finite = values[have]
        rows.append(
            {
                "column": column,
                "unit": ds.attrs["units"][column],
                "subjects": int((per_subject > 0).sum()),
                "observations": int(have.sum()),
                "repeated": int((per_subject > 1).sum()),
                "missing_pct": 100.0 * float((per_subject == 0).sum()) / n_subjects,
                "median": float(np.median(finite)) if finite.size else np.nan,
            }
        )
    return pd.DataFrame(rows).set_index("column")


def cohort_overview(ds: xr.Dataset) -> dict:
    """Return headline counts of a cohort.

    Returns
    -------
    dict
        ``subjects``, ``occasions`` (distinct occasion labels), ``rows``, ``sex``
        (counts of F, M and missing), ``sites`` (number of distinct sites, 0 if the
        column is absent), ``supplement_users`` (subjects with any Ca or Mg supplement),
        ``source`` and ``data_hash``.
    """
    sex = ds["sex"].values
    sites = [s for s in np.unique(ds["site"].values) if s != ""]
    supp = np.nan_to_num(ds["supp_ca"].values) + np.nan_to_num(ds["supp_mg"].values)
    return {
        "source": ds.attrs.get("source", ""),
        "subjects": int(ds.sizes["subject"]),
        "occasions": int(ds.sizes["occasion"]),
        "rows": int(ds.attrs.get("n_rows", int(ds["row_present"].sum()))),
        "sex": {
            "F": int((sex == "F").sum()),
            "M": int((sex == "M").sum()),
            "missing": int((sex == "").sum()),
        },
        "sites": len(sites),
        "supplement_users": int((supp > 0).any(axis=1).sum()),
        "exposed": {
            "diuretic": int(np.isin(ds["diuretic"].values, ("loop", "thiazide", "both")).sum()),
            "ppi": int((ds["ppi"].values == "yes").sum()),
            "diabetes": int((ds["diabetes"].values == "yes").sum()),
        },
        "data_hash": ds.attrs.get("data_hash", ""),
    }


#: Columns whose scale is compared with the fit's cohort (a unit error moves them 2.4-40x).
#: Covariates and doses are not: their spread differs between cohorts by design.
SCALED = tuple(
    c for c in schema.NUMERIC if c not in ("age_years", "egfr", "supp_ca", "supp_mg", "alcohol_g")
)
#: How far outside the fit cohort's 0.5-99.5 % range a column's median may lie.
SCALE_MARGIN = 1.5


def cohort_ranges(ds: xr.Dataset) -> dict[str, list[float]]:
    """Each scaled column's 0.5 % and 99.5 % quantiles in a cohort (canonical units)."""
    out = {}
    for column in SCALED:
        if column in ds:
            values = ds[column].values.astype(float)
            values = values[np.isfinite(values)]
            if len(values):
                out[column] = [float(v) for v in np.quantile(values, [0.005, 0.995])]
    return out


def medians(ds: xr.Dataset) -> dict[str, float]:
    """Each scaled column's median in a cohort (canonical units), where it has values."""
    values = {c: ds[c].values.astype(float) for c in SCALED if c in ds}
    return {c: float(np.nanmedian(v)) for c, v in values.items() if np.isfinite(v).any()}
