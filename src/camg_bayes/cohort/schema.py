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
SUBJECT_LEVEL = ("sex", "site", "diuretic", "ppi", "diabetes")

#: Spellings of a yes/no answer and their canonical value.
YES_NO = {
    **dict.fromkeys(("yes", "y", "1", "true"), "yes"),
    **dict.fromkeys(("no", "n", "0", "false"), "no"),
}

#: Accepted spellings of each categorical column -> its canonical value.
CATEGORIES = {
    "sex": {"f": "F", "female": "F", "w": "F", "woman": "F", "m": "M", "male": "M", "man": "M"},
    "supp_timing": {
        "together": "together",
        "apart": "apart",
        "separate": "apart",
        "separately": "apart",
    },
    "diuretic": {
        "none": "none",
        "no": "none",
        "0": "none",
        "loop": "loop",
        "thiazide": "thiazide",
        "both": "both",
        "loop+thiazide": "both",
        "thiazide+loop": "both",
    },
    "ppi": YES_NO,
    "diabetes": YES_NO,
}

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
    "alcohol_g",
)

ALL_COLUMNS = (SUBJECT_ID, OCCASION, *SUBJECT_LEVEL, *NUMERIC, "supp_timing")
