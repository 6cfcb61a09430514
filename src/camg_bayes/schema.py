"""The cohort schema: canonical column names, their roles and their meaning.

One row per subject per occasion. Only ``subject_id`` is required; every other column is
optional and every value may be missing. Units are those of
:data:`camg_bayes.units.QUANTITIES`; a header may name another accepted unit in brackets,
e.g. ``serum_mg [mg/dL]``.
"""

from __future__ import annotations

SUBJECT_ID = "subject_id"
OCCASION = "occasion"

#: Columns that describe the subject and must not vary between occasions.
SUBJECT_LEVEL = ("sex", "site")

#: Numeric columns measured on an occasion (biomarkers, recalls, doses, covariates).
NUMERIC = (
    "age_years",
    "egfr",
    "diet_ca",
    "diet_mg",
    "supp_ca",
    "supp_mg",
    "serum_mg",
    "serum_ca",
    "albumin",
    "ionized_ca",
    "pth",
    "urine_mg",
    "urine_ca",
    "urine_creatinine",
)

#: Observed measurements the model has a likelihood for (``age`` and ``egfr`` are
#: covariates, supplements are known doses).
MEASUREMENTS = (
    "diet_ca",
    "diet_mg",
    "serum_mg",
    "serum_ca",
    "albumin",
    "ionized_ca",
    "pth",
    "urine_mg",
    "urine_ca",
    "urine_creatinine",
)

SEXES = ("F", "M")
TIMINGS = ("together", "apart")

ALL_COLUMNS = (SUBJECT_ID, OCCASION, *SUBJECT_LEVEL, *NUMERIC, "supp_timing")

DESCRIPTIONS = {
    SUBJECT_ID: "subject identifier (required; string or integer)",
    OCCASION: "visit or recall day, integer >= 0 (default 0)",
    "site": "study site or stratum",
    "sex": "F or M",
    "age_years": "age",
    "egfr": "estimated GFR",
    "diet_ca": "Ca intake from one 24-h recall or record",
    "diet_mg": "Mg intake from one 24-h recall or record",
    "supp_ca": "elemental Ca supplement dose",
    "supp_mg": "elemental Mg supplement dose",
    "supp_timing": "Ca and Mg supplements taken 'together', 'apart' or empty",
    "serum_mg": "total serum Mg",
    "serum_ca": "total serum Ca",
    "albumin": "serum albumin",
    "ionized_ca": "ionized Ca",
    "pth": "intact PTH",
    "urine_mg": "24-h urine Mg",
    "urine_ca": "24-h urine Ca",
    "urine_creatinine": "24-h urine creatinine",
}
