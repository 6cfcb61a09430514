"""Load and validate a cohort table into a labelled ``xarray.Dataset`` (subject x occasion).

The entry point is :func:`read_cohort`. It accepts a CSV or Parquet path, or a pandas
DataFrame, converts every value to its canonical unit once, and checks the table with
the small validators below. Bad input raises :class:`CohortError`, whose one-line message
names the file, column, row and fix. Possible-but-rare values raise a
:class:`CohortWarning` and are kept. Nothing is dropped: a missing value is a missing
observation, never a missing subject.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes import schema, units
from camg_bayes.errors import CamgError

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", ".", "nr"})
_HEADER = re.compile(r"^\s*([^\[\]]+?)\s*(?:\[\s*([^\]]*?)\s*\])?\s*$")


class CohortError(CamgError, ValueError):
    """A cohort table that cannot be used, with where the problem is and how to fix it.

    Parameters
    ----------
    problem : str
        What is wrong.
    source : str, optional
        File name (or ``"<DataFrame>"``).
    column : str, optional
        Column as written in the file.
    row : int, optional
        1-based data row (the header is not counted).
    line : int, optional
        Line of the file, where the table came from a text file.
    fix : str, optional
        What the user should do.
    """

    def __init__(self, problem, *, source=None, column=None, row=None, line=None, fix=None):
        self.problem, self.source, self.column, self.row = problem, source, column, row
        self.line, self.fix = line, fix
        where = [str(source) if source else "cohort"]
        if column is not None:
            where.append(f"column '{column}'")
        if row is not None:
            where.append(f"row {row}" + (f" (line {line})" if line is not None else ""))
        message = ", ".join(where) + f": {problem}"
        if fix:
            message += f". Fix: {fix}"
        super().__init__(message)


class CohortWarning(UserWarning):
    """A value or column that is kept but deserves the user's attention."""


@dataclass
class _Table:
    """A raw table with where it came from, for error messages."""

    frame: pd.DataFrame
    source: str
    line_offset: int | None  # file line of data row 1, for text files

    def where(self, index: int) -> dict:
        """Return the ``row``/``line`` keywords for :class:`CohortError` of a 0-based index."""
        line = None if self.line_offset is None else index + self.line_offset
        return {"row": index + 1, "line": line}


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------
def _read_table(source) -> _Table:
    if isinstance(source, pd.DataFrame):
        if source.empty:
            raise CohortError(
                "the table has no rows", source="<DataFrame>", fix="pass a filled table"
            )
        return _Table(source.copy(), "<DataFrame>", None)
    path = Path(source)
    name = str(path)
    if not path.exists():
        raise CohortError("file not found", source=name, fix="check the path")
    if path.is_dir():
        raise CohortError(
            "is a directory, not a cohort table",
            source=name,
            fix="pass a .csv or .parquet file (or use read_nhanes for NHANES .XPT files)",
        )
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
            offset = None
        elif suffix in (".csv", ".txt", ".tsv"):
            sep = "\t" if suffix == ".tsv" else ","
            frame = pd.read_csv(
                path, sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True
            )
            offset = 2
        else:
            raise CohortError(
                f"unsupported file type '{suffix}'",
                source=name,
                fix="save the table as .csv or .parquet",
            )
    except CohortError:
        raise
    except pd.errors.EmptyDataError:
        raise CohortError("the file is empty", source=name, fix="export the cohort again") from None
    except (UnicodeDecodeError, pd.errors.ParserError, OSError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CohortError(
            f"the file cannot be read ({first})",
            source=name,
            fix="save it as a comma-separated UTF-8 .csv or as .parquet",
        ) from None
    if frame.shape[1] == 0 or frame.empty:
        raise CohortError(
            "the file has a header but no data rows", source=name, fix="export the rows too"
        )
    return _Table(frame, name, offset)


# ---------------------------------------------------------------------------------------
# Validators: each checks one thing and raises CohortError or warns.
# ---------------------------------------------------------------------------------------
def _parse_headers(table: _Table) -> dict[str, tuple[str, str | None]]:
    """Map raw header -> (canonical column, declared unit). Warn about unknown columns."""
    mapping: dict[str, tuple[str, str | None]] = {}
    seen: dict[str, str] = {}
    unknown = []
    for raw in table.frame.columns:
        match = _HEADER.match(str(raw))
        if match is None:
            unknown.append(str(raw))
            continue
        name, unit = match.group(1).strip().lower(), match.group(2)
        if name not in schema.ALL_COLUMNS:
            unknown.append(str(raw))
            continue
        if name in seen:
            raise CohortError(
                f"appears twice (also as '{seen[name]}')",
                source=table.source,
                column=str(raw),
                fix="keep one column per quantity",
            )
        if unit is not None and unit.strip() == "":
            unit = None
        if unit is not None:
            if name not in units.QUANTITIES:
                raise CohortError(
                    f"has a unit '{unit}' but this column takes none",
                    source=table.source,
                    column=str(raw),
                    fix=f"write the header as '{name}'",
                )
            try:
                unit = units.canonical_unit_name(name, unit)
            except KeyError:
                accepted = ", ".join(units.QUANTITIES[name].factors)
                raise CohortError(
                    f"unknown unit '{unit}'",
                    source=table.source,
                    column=str(raw),
                    fix=f"use one of: {accepted}",
                ) from None
        seen[name] = str(raw)
        mapping[str(raw)] = (name, unit)
    if schema.SUBJECT_ID not in {c for c, _ in mapping.values()}:
        raise CohortError(
            "there is no subject_id column",
            source=table.source,
            fix="add a column named 'subject_id' with one identifier per subject",
        )
    if unknown:
        warnings.warn(
            f"{table.source}: {len(unknown)} unknown column(s) not used: {', '.join(unknown)} "
            "(check the spelling against the schema if one of them was meant to be used)",
            CohortWarning,
            stacklevel=3,
        )
    return mapping


def _as_text(series: pd.Series) -> pd.Series:
    """Return values as stripped strings, with missing values as ''."""
    text = series.astype(object).where(series.notna(), "")
    return text.map(lambda v: "" if v is None else str(v).strip())


def _parse_numeric(table: _Table, raw: str, column: str) -> np.ndarray:
    """Parse a numeric column; reject text, infinities and negative numbers."""
    series = table.frame[raw]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        texts = None
    else:
        texts = _as_text(series)
        values = np.full(len(texts), np.nan)
        for i, text in enumerate(texts):
            if text.lower() in MISSING_TOKENS:
                continue
            try:
                values[i] = float(text)
            except ValueError:
                hint = (
                    "enter a number in the column's unit, or leave the cell empty if not measured"
                )
                if text[:1] in "<>":
                    hint = (
                        "censored values are not supported; enter a number or leave the cell empty"
                    )
                raise CohortError(
                    f"'{text}' is not a number",
                    source=table.source,
                    column=raw,
                    fix=hint,
                    **table.where(i),
                ) from None
    bad = np.flatnonzero(np.isinf(values))
    if bad.size:
        raise CohortError(
            "infinite value",
            source=table.source,
            column=raw,
            fix="enter a finite number or leave the cell empty",
            **table.where(int(bad[0])),
        )
    bad = np.flatnonzero(values < 0)
    if bad.size:
        shown = values[bad[0]] if texts is None else texts.iloc[bad[0]]
        raise CohortError(
            f"negative value {shown}",
            source=table.source,
            column=raw,
            fix="concentrations, amounts and ages cannot be negative; correct the value",
            **table.where(int(bad[0])),
        )
    return values


#: Fewer values than this say little about a cohort median: a single 95-year-old or a
#: young adult with eGFR 135 is unusual, not a unit mistake.
MIN_VALUES_FOR_MEDIAN_CHECK = 10


def _check_unit_fits(table: _Table, raw: str, column: str, unit: str, values: np.ndarray) -> None:
    """Refuse a column whose median is implausible in the declared unit.

    The median is compared with the typical range of cohort medians. A median that looks
    like another unit is refused whatever the number of values; one that is merely
    unusual is refused only from :data:`MIN_VALUES_FOR_MEDIAN_CHECK` values on, since a
    handful of subjects may be unusual (impossible single values are still refused by the
    range check).
    """
    quantity = units.QUANTITIES[column]
    pool = values[np.isfinite(values)]
    if column.startswith("supp_"):
        pool = pool[pool > 0]
    if pool.size == 0:
        return
    median = float(np.median(pool))
    low, high = quantity.typical_median
    converted = median * quantity.factors[unit]
    if low <= converted <= high:
        return
    guesses = [u for u in units.likely_units(column, median) if u != unit]
    if not guesses and pool.size < MIN_VALUES_FOR_MEDIAN_CHECK:
        return
    declared = f"declared as {unit}" + ("" if unit != quantity.canonical else " (the default)")
    if guesses:
        fix = f"if the values are in {guesses[0]}, write the header as '{column} [{guesses[0]}]'"
        problem = (
            f"values around {median:.4g} are implausible {declared}; "
            f"they look like {' or '.join(guesses)}"
        )
    else:
        typical = f"{low:g}-{high:g} {quantity.canonical}"
        fix = f"check the values and the unit; a typical median is {typical}"
        problem = f"values around {median:.4g} are implausible {declared}"
    raise CohortError(problem, source=table.source, column=raw, fix=fix)


def _check_range(table: _Table, raw: str, column: str, values: np.ndarray) -> None:
    """Refuse impossible values (naming the row); warn about rare extremes."""
    quantity = units.QUANTITIES[column]
    low, high = quantity.impossible
    bad = np.flatnonzero((values < low) | (values > high))
    if bad.size:
        i = int(bad[0])
        raise CohortError(
            f"value {values[i]:.4g} {quantity.canonical} is physiologically impossible "
            f"(allowed {low:g}-{high:g} {quantity.canonical} after conversion)",
            source=table.source,
            column=raw,
            fix="correct the value or its unit, or leave the cell empty",
            **table.where(i),
        )
    rare_low, rare_high = quantity.rare
    rare = np.flatnonzero((values < rare_low) | (values > rare_high))
    if rare.size:
        rows = ", ".join(str(table.where(int(i))["row"]) for i in rare[:5])
        more = "" if rare.size <= 5 else f" and {rare.size - 5} more"
        warnings.warn(
            f"{table.source}: column '{raw}': {rare.size} rare value(s) outside "
            f"{rare_low:g}-{rare_high:g} {quantity.canonical} kept (rows {rows}{more}); "
            "check them if they are not expected",
            CohortWarning,
            stacklevel=3,
        )


def _parse_ids(table: _Table, raw: str) -> np.ndarray:
    texts = _as_text(table.frame[raw])
    # Integers read from Parquet come as floats when missing values exist: 12.0 -> "12".
    texts = texts.map(lambda t: t[:-2] if re.fullmatch(r"-?\d+\.0", t) else t)
    # Only an empty cell is a missing identifier: "NA" or "none" may be real identifiers.
    empty = np.flatnonzero((texts == "").to_numpy())
    if empty.size:
        raise CohortError(
            "missing subject_id",
            source=table.source,
            column=raw,
            fix="give every row the identifier of its subject",
            **table.where(int(empty[0])),
        )
    return texts.to_numpy(dtype=object)


def _parse_occasion(table: _Table, raw: str | None) -> np.ndarray:
    n = len(table.frame)
    if raw is None:
        return np.zeros(n, dtype=int)
    values = _parse_numeric(table, raw, "occasion")
    missing = np.flatnonzero(np.isnan(values))
    if missing.size:
        raise CohortError(
            "missing occasion",
            source=table.source,
            column=raw,
            fix="number every row's visit or recall day (0, 1, ...)",
            **table.where(int(missing[0])),
        )
    fractional = np.flatnonzero(values != np.round(values))
    if fractional.size:
        i = int(fractional[0])
        raise CohortError(
            f"occasion {values[i]:g} is not a whole number",
            source=table.source,
            column=raw,
            fix="use integers 0, 1, 2, ...",
            **table.where(i),
        )
    return values.astype(int)


def _parse_categorical(table: _Table, raw: str, allowed: dict[str, str], what: str) -> np.ndarray:
    texts = _as_text(table.frame[raw])
    out = np.empty(len(texts), dtype=object)
    for i, text in enumerate(texts):
        key = text.lower()
        if key in MISSING_TOKENS:
            out[i] = ""
        elif key in allowed:
            out[i] = allowed[key]
        else:
            choices = sorted(set(allowed.values()))
            raise CohortError(
                f"unknown {what} '{text}'",
                source=table.source,
                column=raw,
                fix=f"use one of {', '.join(choices)} or leave the cell empty",
                **table.where(i),
            )
    return out


_SEX = {"f": "F", "female": "F", "w": "F", "woman": "F", "m": "M", "male": "M", "man": "M"}
_TIMING = {"together": "together", "apart": "apart", "separate": "apart", "separately": "apart"}


def _check_duplicates(table: _Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Collapse identical (subject, occasion) rows; refuse ones that disagree."""
    key = [schema.SUBJECT_ID, schema.OCCASION]
    dup = frame.duplicated(key, keep=False)
    if not dup.any():
        return frame
    for _, group in frame[dup].groupby(key, sort=False):
        first = group.iloc[0]
        for idx in group.index[1:]:
            other = frame.loc[idx]
            for col in frame.columns:
                a, b = first[col], other[col]
                same = (pd.isna(a) and pd.isna(b)) or a == b
                if not same:
                    raise CohortError(
                        f"subject '{first[schema.SUBJECT_ID]}' occasion {first[schema.OCCASION]} "
                        f"appears in rows {group.index[0] + 1} and {idx + 1} with different "
                        f"{col} ({a} vs {b})",
                        source=table.source,
                        column=col,
                        fix="number repeated visits with the 'occasion' column, "
                        "or remove the wrong row",
                        **table.where(int(idx)),
                    )
    n_extra = int(dup.sum() - frame[dup].drop_duplicates(key).shape[0])
    warnings.warn(
        f"{table.source}: {n_extra} exact duplicate row(s) of the same subject and occasion "
        "were merged",
        CohortWarning,
        stacklevel=3,
    )
    return frame.drop_duplicates(key)


def _check_subject_constant(table: _Table, frame: pd.DataFrame, column: str) -> None:
    values = frame[[schema.SUBJECT_ID, column]]
    values = values[values[column] != ""]
    counts = values.groupby(schema.SUBJECT_ID)[column].nunique()
    bad = counts[counts > 1]
    if len(bad):
        subject = bad.index[0]
        rows = values.index[values[schema.SUBJECT_ID] == subject]
        raise CohortError(
            f"subject '{subject}' has different {column} values on different occasions",
            source=table.source,
            column=column,
            fix=f"give each subject one {column}",
            **table.where(int(rows[1])),
        )


# ---------------------------------------------------------------------------------------
# Assembly
# ---------------------------------------------------------------------------------------
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
    table = _read_table(source)
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


def _validate(table: _Table) -> xr.Dataset:
    mapping = _parse_headers(table)
    by_name = {name: raw for raw, (name, _) in mapping.items()}
    declared = {name: unit for name, unit in mapping.values()}
    columns: dict[str, np.ndarray] = {
        schema.SUBJECT_ID: _parse_ids(table, by_name[schema.SUBJECT_ID]),
        schema.OCCASION: _parse_occasion(table, by_name.get(schema.OCCASION)),
    }
    used_units = {}
    for column in schema.NUMERIC:
        if column not in by_name:
            continue
        raw = by_name[column]
        unit = declared[column] or units.QUANTITIES[column].canonical
        values = _parse_numeric(table, raw, column)
        _check_unit_fits(table, raw, column, unit, values)
        values = units.to_canonical(values, column, unit)
        _check_range(table, raw, column, values)
        columns[column] = values
        used_units[column] = units.QUANTITIES[column].canonical
    if "sex" in by_name:
        columns["sex"] = _parse_categorical(table, by_name["sex"], _SEX, "sex")
    if "site" in by_name:
        columns["site"] = _as_text(table.frame[by_name["site"]]).to_numpy(dtype=object)
    if "supp_timing" in by_name:
        columns["supp_timing"] = _parse_categorical(
            table, by_name["supp_timing"], _TIMING, "supp_timing"
        )
    frame = pd.DataFrame(columns)
    frame = _check_duplicates(table, frame)
    for column in schema.SUBJECT_LEVEL:
        if column in frame:
            _check_subject_constant(table, frame, column)
    _warn_defaults(table, frame)
    ds = _to_dataset(frame)
    ds.attrs.update(
        source=table.source,
        columns=[c for c in schema.ALL_COLUMNS if c in frame.columns],
        units={c: units.QUANTITIES[c].canonical for c in schema.NUMERIC},
        n_rows=len(frame),
    )
    return ds


def _warn_defaults(table: _Table, frame: pd.DataFrame) -> None:
    """Say which defaults the model will apply for missing covariates."""
    if "supp_timing" in frame:
        timing = frame["supp_timing"]
    else:
        timing = pd.Series("", index=frame.index)
    both = (frame.get("supp_ca", 0) > 0) & (frame.get("supp_mg", 0) > 0)
    unknown = int((both & (timing == "")).sum())
    if unknown:
        warnings.warn(
            f"{table.source}: {unknown} row(s) take both Ca and Mg supplements with no "
            "supp_timing; the model treats them as 'together'",
            CohortWarning,
            stacklevel=3,
        )
    subjects = frame[schema.SUBJECT_ID].unique()
    for column, default in (
        ("sex", "a 50:50 sex mix for the population means"),
        ("age_years", "the reference age"),
        ("egfr", "normal renal function (the reference eGFR)"),
    ):
        if column not in frame:
            continue  # absent for all: the summary says so, the model uses the default
        have = frame.loc[
            (frame[column] != "") if column == "sex" else frame[column].notna(), schema.SUBJECT_ID
        ].unique()
        missing = len(subjects) - len(have)
        if missing:
            warnings.warn(
                f"{table.source}: {missing} subject(s) lack {column}; the model uses {default} "
                "for them",
                CohortWarning,
                stacklevel=3,
            )


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
