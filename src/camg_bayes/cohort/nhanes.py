"""Read NHANES SAS transport files into the cohort schema.

The NHANES variables this reader knows, with their units (CDC codebooks):

=========  ==================================================  ==============
variable   meaning                                             becomes
=========  ==================================================  ==============
SEQN       respondent sequence number                          ``subject_id``
RIAGENDR   sex (1 male, 2 female)                              ``sex``
RIDAGEYR   age in years at screening (top-coded at 80)         ``age_years``
LBDSCASI   total serum Ca, mmol/L (LBXSCA in mg/dL if absent)  ``serum_ca``
LBXSAL     serum albumin, g/dL                                 ``albumin``
LBXPT21    intact PTH, pg/mL (2003-2006 cycles)                ``pth``
DR1TCALC   Ca intake, day-1 24-h recall, mg                    ``diet_ca``, occasion 0
DR1TMAGN   Mg intake, day-1 24-h recall, mg                    ``diet_mg``, occasion 0
DR2TCALC   Ca intake, day-2 recall, mg                         ``diet_ca``, occasion 1
DR2TMAGN   Mg intake, day-2 recall, mg                         ``diet_mg``, occasion 1
DS1TCALC   Ca from supplements, day 1, mg                      ``supp_ca``, occasion 0
DS1TMAGN   Mg from supplements, day 1, mg                      ``supp_mg``, occasion 0
DS2TCALC   Ca from supplements, day 2, mg                      ``supp_ca``, occasion 1
DS2TMAGN   Mg from supplements, day 2, mg                      ``supp_mg``, occasion 1
LBXSCR     serum creatinine, mg/dL                             ``egfr`` (adults)
=========  ==================================================  ==============

``egfr`` is computed from serum creatinine, age and sex with the race-free CKD-EPI 2021
equation for respondents aged 18 or more (:func:`ckd_epi_2021`); children get none.

The files are merged on SEQN. Every respondent in any file is kept: a respondent
without laboratory data is a subject with missing observations, not a dropped subject.
Serum Mg is not in the 2017-2018 files.

References
----------
CDC NHANES 2017-2018 codebooks (DEMO_J, BIOPRO_J, DR1TOT_J, DR2TOT_J, DS1TOT_J);
``shared/science/physiology.md`` §3.1. Inker LA et al. New creatinine- and
cystatin C-based equations to estimate GFR without race. N Engl J Med
2021;385:1737-1749.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from camg_bayes.cohort.table import CohortError

#: NHANES variable -> (canonical column with its unit header, occasion).
VARIABLES: dict[str, tuple[str, int]] = {
    "RIDAGEYR": ("age_years [years]", 0),
    "LBDSCASI": ("serum_ca [mmol/L]", 0),
    "LBXSAL": ("albumin [g/dL]", 0),
    "LBXPT21": ("pth [pg/mL]", 0),
    "DR1TCALC": ("diet_ca [mg/d]", 0),
    "DR1TMAGN": ("diet_mg [mg/d]", 0),
    "DR2TCALC": ("diet_ca [mg/d]", 1),
    "DR2TMAGN": ("diet_mg [mg/d]", 1),
    "DS1TCALC": ("supp_ca [mg/d]", 0),
    "DS1TMAGN": ("supp_mg [mg/d]", 0),
    "DS2TCALC": ("supp_ca [mg/d]", 1),
    "DS2TMAGN": ("supp_mg [mg/d]", 1),
}
_FALLBACK = {"LBXSCA": ("serum_ca [mg/dL]", 0, "LBDSCASI")}

# SAS transport files store exact zero as this tiny number.
_SAS_ZERO = 1e-70


def ckd_epi_2021(creatinine_mg_dl, age_years, female):
    r"""Estimate GFR with the race-free CKD-EPI 2021 creatinine equation.

    Parameters
    ----------
    creatinine_mg_dl : array_like
        Serum creatinine, mg/dL.
    age_years : array_like
        Age, years (adults).
    female : array_like of bool
        True for women.

    Returns
    -------
    numpy.ndarray
        eGFR, mL/min/1.73 m².

    Notes
    -----
    .. math:: 142 \min(S/\kappa, 1)^{\alpha} \max(S/\kappa, 1)^{-1.200}
              0.9938^{age} (1.012 \text{ if female})

    with :math:`\kappa = 0.7, \alpha = -0.241` for women and
    :math:`\kappa = 0.9, \alpha = -0.302` for men (Inker et al. 2021).

    Examples
    --------
    >>> round(float(ckd_epi_2021(1.0, 50, False)), 1)
    91.7
    """
    scr = np.asarray(creatinine_mg_dl, dtype=float)
    female = np.asarray(female, dtype=bool)
    kappa = np.where(female, 0.7, 0.9)
    alpha = np.where(female, -0.241, -0.302)
    ratio = scr / kappa
    egfr = (
        142.0
        * np.minimum(ratio, 1.0) ** alpha
        * np.maximum(ratio, 1.0) ** -1.200
        * 0.9938 ** np.asarray(age_years, dtype=float)
    )
    return egfr * np.where(female, 1.012, 1.0)


def find_xpt_files(path) -> list[Path]:
    """Return the ``.XPT`` files of a directory, or the file itself.

    Raises
    ------
    CohortError
        If the path does not exist or holds no ``.XPT`` file.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".xpt")
        if not files:
            raise CohortError(
                "no NHANES .XPT files in this directory",
                source=str(path),
                fix="download e.g. DEMO_J.XPT and BIOPRO_J.XPT from the CDC NHANES site",
            )
        return files
    if not path.exists():
        raise CohortError("file not found", source=str(path), fix="check the path")
    return [path]


def _read_xpt(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_sas(path, format="xport")
    except Exception as exc:  # pandas raises several types for a bad transport file
        raise CohortError(
            f"not a readable SAS transport file ({type(exc).__name__})",
            source=str(path),
            fix="download the .XPT file again from the CDC NHANES site",
        ) from None
    if "SEQN" not in frame:
        raise CohortError(
            "has no SEQN column, so it cannot be merged",
            source=str(path),
            column="SEQN",
            fix="use NHANES files with the respondent sequence number",
        )
    numeric = frame.select_dtypes("number").columns
    frame[numeric] = frame[numeric].mask(frame[numeric].abs() < _SAS_ZERO, 0.0)
    return frame


def read_nhanes(paths) -> pd.DataFrame:
    """Merge NHANES files on SEQN and map known variables onto the cohort schema.

    Parameters
    ----------
    paths : path or sequence of paths
        ``.XPT`` files, or a directory holding them.

    Returns
    -------
    pandas.DataFrame
        One row per respondent per occasion (0, plus 1 where a day-2 variable is
        present), with headers that carry their NHANES units, e.g. ``albumin [g/dL]``.
        Pass it to :func:`camg_bayes.cohort.read_cohort` to convert and validate.

    Examples
    --------
    >>> from camg_bayes.cohort import read_cohort
    >>> table = read_nhanes("../shared/data/nhanes")  # doctest: +SKIP
    >>> cohort = read_cohort(table, name="NHANES 2017-2018")  # doctest: +SKIP
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files = [f for p in paths for f in find_xpt_files(p)]
    merged: pd.DataFrame | None = None
    for file in files:
        frame = _read_xpt(file)
        merged = frame if merged is None else merged.merge(frame, on="SEQN", how="outer")
    assert merged is not None
    return map_nhanes(merged, source=", ".join(str(f) for f in files))


def map_nhanes(merged: pd.DataFrame, *, source: str = "<NHANES>") -> pd.DataFrame:
    """Map a table of NHANES variables (one row per SEQN) onto the cohort schema.

    Parameters
    ----------
    merged : pandas.DataFrame
        NHANES variables merged on SEQN, as :func:`read_nhanes` builds them.
    source : str
        Name used in error messages.

    Returns
    -------
    pandas.DataFrame
        See :func:`read_nhanes`.
    """
    merged = merged.sort_values("SEQN").reset_index(drop=True)
    subject = merged["SEQN"].round().astype("int64").astype(str)
    occasions = {0: {"subject_id": subject, "occasion": 0}}
    for variable, (column, occasion) in VARIABLES.items():
        if variable in merged:
            occasions.setdefault(occasion, {"subject_id": subject, "occasion": occasion})
            occasions[occasion][column] = merged[variable]
    for variable, (column, occasion, preferred) in _FALLBACK.items():
        if variable in merged and preferred not in merged:
            occasions[occasion][column] = merged[variable]
    if "RIAGENDR" in merged:
        sex = merged["RIAGENDR"].map({1.0: "M", 2.0: "F"}).fillna("")
        for table in occasions.values():
            table["sex"] = sex
        if {"LBXSCR", "RIDAGEYR"} <= set(merged):
            adult = merged["RIDAGEYR"] >= 18
            egfr = ckd_epi_2021(merged["LBXSCR"], merged["RIDAGEYR"], merged["RIAGENDR"] == 2.0)
            occasions[0]["egfr [mL/min/1.73m2]"] = np.where(adult & (sex != ""), egfr, np.nan)
    if len(occasions) == 1 and not any(v in merged for v in VARIABLES):
        raise CohortError(
            "none of the NHANES variables this reader knows is in these files",
            source=source,
            fix=f"include files with some of: {', '.join(VARIABLES)}",
        )
    frames = [pd.DataFrame(table) for _, table in sorted(occasions.items())]
    out = pd.concat(frames, ignore_index=True)
    if len(frames) > 1:
        # Day-2 rows exist only where a day-2 value does; keep every respondent's day-1 row.
        measured = out.drop(columns=["subject_id", "occasion", "sex"], errors="ignore").notna()
        out = out[(out["occasion"] == 0) | measured.any(axis=1)]
        static = [c for c in out.columns if c.startswith("age_years")]
        out.loc[out["occasion"] > 0, static] = np.nan
    return out.sort_values(["subject_id", "occasion"], kind="stable").reset_index(drop=True)
