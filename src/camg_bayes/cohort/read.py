"""Load and validate a cohort table into a labelled ``xarray.Dataset`` (subject x occasion).

The entry point is :func:`read_cohort`. It accepts a CSV or Parquet path, or a pandas
DataFrame, converts every value to its canonical unit once, and checks the table with
the validators of :mod:`camg_bayes.cohort.validate`. Bad input raises
:class:`~camg_bayes.cohort.table.CohortError`, whose one-line message names the file,
column, row and fix. Possible-but-rare values raise a
:class:`~camg_bayes.cohort.table.CohortWarning` and are kept. Nothing is dropped: a
missing value is a missing observation, never a missing subject.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes.cohort import schema, units, validate
from camg_bayes.cohort.hashes import data_hash
from camg_bayes.cohort.table import CohortWarning, Table, read_table


def read_cohort(source, *, name: str | None = None) -> xr.Dataset:
    """Read, convert and validate a cohort table.

    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A ``.csv`` or ``.parquet`` file, or a DataFrame, one row per subject per occasion.
        Column names follow :mod:`camg_bayes.schema`; a header may carry its unit in
        brackets, e.g. ``serum_mg [mg/dL]``.
    name : str, optional
        Name used in messages instead of the file name.

    Returns
    -------
    xarray.Dataset
        Dims ``subject`` and ``occasion``. Every numeric column of the schema is present
        in its canonical unit (NaN where not measured); ``sex`` and ``site`` have dim
        ``subject``. ``attrs`` hold ``source``, ``columns`` (the columns the file had),
        ``units`` and ``warnings``.

    Raises
    ------
    CohortError
        For an empty or unreadable file, a missing ``subject_id``, text in a numeric
        column, a negative or infinite value, an unknown unit or ``supp_timing``,
        disagreeing duplicate rows, a column implausible in its declared unit, or an
        impossible value.

    Warns
    -----
    CohortWarning
        For unknown columns, rare extremes, merged duplicate rows, and defaults applied
        to missing covariates.

    Examples
    --------
    >>> import pandas as pd
    >>> ds = read_cohort(pd.DataFrame({"subject_id": ["a", "b"], "serum_mg [mg/dL]": [2.0, 1.9]}))
    >>> ds.sizes["subject"], round(float(ds.serum_mg.sel(subject="a", occasion=0)), 3)
    (2, 0.823)
    """
    table = read_table(source)
    if name:
        table.source = name
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CohortWarning)
        ds = _validate(table)
    messages = []
    for w in caught:
        if issubclass(w.category, CohortWarning):
            messages.append(str(w.message))
        else:  # pragma: no cover - re-emit foreign warnings untouched
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    for message in messages:
        warnings.warn(message, CohortWarning, stacklevel=2)
    ds.attrs["warnings"] = messages
    ds.attrs["data_hash"] = data_hash(ds)
    return ds


def _validate(table: Table) -> xr.Dataset:
    mapping = validate.parse_headers(table)
    by_name = {name: raw for raw, (name, _) in mapping.items()}
    declared = {name: unit for name, unit in mapping.values()}
    columns: dict[str, np.ndarray] = {
        schema.SUBJECT_ID: validate.parse_ids(table, by_name[schema.SUBJECT_ID]),
        schema.OCCASION: validate.parse_occasion(table, by_name.get(schema.OCCASION)),
    }
    used_units = {}
    for column in schema.NUMERIC:
        if column not in by_name:
            continue
        raw = by_name[column]
        unit = declared[column] or units.QUANTITIES[column].canonical
        values = validate.parse_numeric(table, raw, column)
        validate.unit_fits(table, raw, column, unit, values)
        values = units.to_canonical(values, column, unit)
        validate.in_range(table, raw, column, values)
        columns[column] = values
        used_units[column] = units.QUANTITIES[column].canonical
    for column in ("sex", "diuretic", "ppi", "diabetes"):
        if column in by_name:
            allowed = schema.CATEGORIES[column]
            columns[column] = validate.parse_categorical(table, by_name[column], allowed, column)
    if "site" in by_name:
        columns["site"] = validate.as_text(table.frame[by_name["site"]]).to_numpy(dtype=object)
    if "supp_timing" in by_name:
        columns["supp_timing"] = validate.parse_categorical(
            table, by_name["supp_timing"], validate.TIMING, "supp_timing"
        )
    frame = pd.DataFrame(columns)
    frame = validate.merge_duplicates(table, frame)
    for column in schema.SUBJECT_LEVEL:
        if column in frame:
            validate.subject_constant(table, frame, column)
    validate.announce_defaults(table, frame)
    ds = _to_dataset(frame)
    known = {str(raw) for raw in mapping}
    ds.attrs.update(
        source=table.source,
        columns=[c for c in schema.ALL_COLUMNS if c in frame.columns],
        declared_units={c: declared[c] or units.QUANTITIES[c].canonical for c in used_units},
        unknown_columns=[str(c) for c in table.frame.columns if str(c) not in known],
        units={c: units.QUANTITIES[c].canonical for c in schema.NUMERIC},
        n_rows=len(frame),
    )
    return ds


def _to_dataset(frame: pd.DataFrame) -> xr.Dataset:
    subjects = pd.unique(frame[schema.SUBJECT_ID])
    occasions = np.sort(frame[schema.OCCASION].unique())
    s_index = pd.Index(subjects).get_indexer(frame[schema.SUBJECT_ID])
    o_index = pd.Index(occasions).get_indexer(frame[schema.OCCASION])
    shape = (len(subjects), len(occasions))
    data_vars = {}
    for column in schema.NUMERIC:
        grid = np.full(shape, np.nan)
        if column in frame:
            grid[s_index, o_index] = frame[column].to_numpy(dtype=float)
        data_vars[column] = (("subject", "occasion"), grid)
    timing = np.full(shape, "", dtype=object)
    if "supp_timing" in frame:
        timing[s_index, o_index] = frame["supp_timing"].to_numpy(dtype=object)
    data_vars["supp_timing"] = (("subject", "occasion"), timing.astype(str))
    for column in schema.SUBJECT_LEVEL:
        values = np.full(len(subjects), "", dtype=object)
        if column in frame:
            present = frame[frame[column] != ""]
            first = present.groupby(schema.SUBJECT_ID, sort=False)[column].first()
            values = first.reindex(subjects).fillna("").to_numpy(dtype=object)
        data_vars[column] = (("subject",), values.astype(str))
    observed = np.zeros(shape, dtype=bool)
    observed[s_index, o_index] = True
    data_vars["row_present"] = (("subject", "occasion"), observed)
    return xr.Dataset(
        data_vars,
        coords={"subject": np.asarray(subjects).astype(str), "occasion": occasions.astype(int)},
    )
