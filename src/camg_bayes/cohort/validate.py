"""Validators of a raw cohort table: each checks one thing and raises or warns.

Every validator takes the :class:`~camg_bayes.cohort.table.Table` so that its error names
the file, column, row (and file line) and the fix.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from camg_bayes.cohort import schema, units
from camg_bayes.cohort.table import HEADER, MISSING_TOKENS, CohortError, CohortWarning, Table


def parse_headers(table: Table) -> dict[str, tuple[str, str | None]]:
    """Map raw header -> (canonical column, declared unit). Warn about unknown columns."""
    mapping: dict[str, tuple[str, str | None]] = {}
    seen: dict[str, str] = {}
    unknown = []
    for raw in table.frame.columns:
        match = HEADER.match(str(raw))
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


def as_text(series: pd.Series) -> pd.Series:
    """Return values as stripped strings (object dtype), with missing values as ''."""
    text = series.astype(object).where(series.notna(), "")
    return pd.Series(text.astype(str).str.strip().to_numpy(dtype=object), index=series.index)


def _missing(texts: pd.Series) -> np.ndarray:
    """Where a text is a missing-value token (``MISSING_TOKENS``, any case)."""
    return texts.str.lower().isin(MISSING_TOKENS).to_numpy()


def parse_numeric(table: Table, raw: str, column: str) -> np.ndarray:
    """Parse a numeric column; reject text, infinities and negative numbers."""
    series = table.frame[raw]
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        texts = None
    else:
        texts = as_text(series)
        missing = _missing(texts)
        try:  # all at once (Python's own float parsing); row by row only to name a bad cell
            values = np.where(missing, "nan", texts.to_numpy(dtype=object)).astype(float)
        except ValueError:
            values = _parse_each(table, raw, texts)
    table.refuse(
        raw, np.isinf(values), "infinite value", "enter a finite number or leave the cell empty"
    )
    table.refuse(
        raw,
        values < 0,
        lambda i: f"negative value {values[i] if texts is None else texts.iloc[i]}",
        "concentrations, amounts and ages cannot be negative; correct the value",
    )
    return values


def _parse_each(table: Table, raw: str, texts: pd.Series) -> np.ndarray:
    """Parse ``texts`` one by one; the first that is not a number is refused with its row."""
    values = np.full(len(texts), np.nan)
    for i, text in enumerate(texts):
        if text.lower() in MISSING_TOKENS:
            continue
        try:
            values[i] = float(text)
        except ValueError:
            hint = "enter a number in the column's unit, or leave the cell empty if not measured"
            if text[:1] in "<>":
                hint = "censored values are not supported; enter a number or leave the cell empty"
            raise CohortError(
                f"'{text}' is not a number",
                source=table.source,
                column=raw,
                fix=hint,
                **table.where(i),
            ) from None
    return values


#: Fewer values than this say little about a cohort median: a single 95-year-old or a
#: young adult with eGFR 135 is unusual, not a unit mistake.
MIN_VALUES_FOR_MEDIAN_CHECK = 10


def unit_fits(table: Table, raw: str, column: str, unit: str, values: np.ndarray) -> None:
    """Refuse a column whose median is implausible in the declared unit.

    The median is compared with the typical range of cohort medians. A median that looks
    like another unit is refused whatever the number of values; one that is merely
    unusual is refused only from :data:`MIN_VALUES_FOR_MEDIAN_CHECK` values on, since a
    handful of subjects may be unusual (impossible single values are still refused by the
    range check).
    """
    quantity = units.QUANTITIES[column]
    pool = values[np.isfinite(values)]
    if column.startswith("supp_") or column == "alcohol_g":  # doses: medians of users
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


def in_range(table: Table, raw: str, column: str, values: np.ndarray) -> None:
    """Refuse impossible values (naming the row); warn about rare extremes."""
    quantity = units.QUANTITIES[column]
    low, high = quantity.impossible
    table.refuse(
        raw,
        quantity.is_impossible(values),
        lambda i: (
            f"value {values[i]:.4g} {quantity.canonical} is physiologically impossible "
            f"(allowed {low:g}-{high:g} {quantity.canonical} after conversion)"
        ),
        "correct the value or its unit, or leave the cell empty",
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


def parse_ids(table: Table, raw: str) -> np.ndarray:
    """Subject identifiers as text; only an empty cell is missing, and it is refused."""
    texts = as_text(table.frame[raw])
    # Integers read from Parquet come as floats when missing values exist: 12.0 -> "12".
    texts = texts.map(lambda t: t[:-2] if re.fullmatch(r"-?\d+\.0", t) else t)
    # Only an empty cell is a missing identifier: "NA" or "none" may be real identifiers.
    table.refuse(
        raw,
        (texts == "").to_numpy(),
        "missing subject_id",
        "give every row the identifier of its subject",
    )
    return texts.to_numpy(dtype=object)


def parse_occasion(table: Table, raw: str | None) -> np.ndarray:
    """Occasion numbers (0 without the column): whole numbers, none missing."""
    n = len(table.frame)
    if raw is None:
        return np.zeros(n, dtype=int)
    values = parse_numeric(table, raw, "occasion")
    table.refuse(
        raw,
        np.isnan(values),
        "missing occasion",
        "number every row's visit or recall day (0, 1, ...)",
    )
    table.refuse(
        raw,
        values != np.round(values),
        lambda i: f"occasion {values[i]:g} is not a whole number",
        "use integers 0, 1, 2, ...",
    )
    return values.astype(int)


def parse_categorical(table: Table, raw: str, allowed: dict[str, str], what: str) -> np.ndarray:
    """Map spellings to canonical values (``allowed``); missing tokens become ""."""
    texts = as_text(table.frame[raw])
    missing = _missing(texts)
    mapped = texts.str.lower().map(allowed).to_numpy(dtype=object)
    unknown = np.flatnonzero(~missing & pd.isna(mapped))
    if unknown.size:
        i = int(unknown[0])
        choices = sorted(set(allowed.values()))
        raise CohortError(
            f"unknown {what} '{texts.iloc[i]}'",
            source=table.source,
            column=raw,
            fix=f"use one of {', '.join(choices)} or leave the cell empty",
            **table.where(i),
        )
    return np.where(missing, "", mapped).astype(object)


SEX = schema.CATEGORIES["sex"]


TIMING = schema.CATEGORIES["supp_timing"]


def merge_duplicates(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
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


def subject_constant(table: Table, frame: pd.DataFrame, column: str) -> None:
    """Refuse a subject-level column (sex, site) that differs between occasions."""
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


def announce_defaults(table: Table, frame: pd.DataFrame) -> None:
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
        ("egfr", "the expected eGFR for their age (NHANES 2017-18 line)"),
        ("diuretic", "no diuretic"),
        ("ppi", "no proton-pump inhibitor"),
        ("diabetes", "no diabetes"),
        ("alcohol_g", "no alcohol"),
    ):
        if column not in frame:
            continue  # absent for all: the summary says so, the model uses the default
        text = not pd.api.types.is_numeric_dtype(frame[column])
        have = frame.loc[
            (frame[column] != "") if text else frame[column].notna(), schema.SUBJECT_ID
        ].unique()
        missing = len(subjects) - len(have)
        if missing:
            warnings.warn(
                f"{table.source}: {missing} subject(s) lack {column}; the model uses {default} "
                "for them",
                CohortWarning,
                stacklevel=3,
            )
