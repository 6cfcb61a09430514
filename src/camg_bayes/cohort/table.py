"""A raw cohort table with where it came from, and the errors that point back into it.

:class:`CohortError` names the file, column, row and fix in one line; :class:`CohortWarning`
marks a value or column that is kept but deserves attention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from camg_bayes.errors import CamgError

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", ".", "nr"})


HEADER = re.compile(r"^\s*([^\[\]]+?)\s*(?:\[\s*([^\]]*?)\s*\])?\s*$")


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
class Table:
    """A raw table with where it came from, for error messages."""

    frame: pd.DataFrame
    source: str
    line_offset: int | None  # file line of data row 1, for text files

    def where(self, index: int) -> dict:
        """Return the ``row``/``line`` keywords for :class:`CohortError` of a 0-based index."""
        line = None if self.line_offset is None else index + self.line_offset
        return {"row": index + 1, "line": line}

    def refuse(self, raw: str, flagged, problem, fix: str) -> None:
        """Raise a :class:`CohortError` at the first flagged row, if any.

        ``problem`` is the text, or a function of the row's 0-based index that returns it.
        """
        rows = np.flatnonzero(flagged)
        if rows.size:
            i = int(rows[0])
            text = problem(i) if callable(problem) else problem
            raise CohortError(text, source=self.source, column=raw, fix=fix, **self.where(i))


def read_table(source) -> Table:
    """Read a CSV, TSV or Parquet file, or take a DataFrame, as text cells (CSV) or typed."""
    if isinstance(source, pd.DataFrame):
        if source.empty:
            raise CohortError(
                "the table has no rows", source="<DataFrame>", fix="pass a filled table"
            )
        return Table(source.copy(), "<DataFrame>", None)
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
    return Table(frame, name, offset)
