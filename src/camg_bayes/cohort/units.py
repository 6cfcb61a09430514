"""Molar masses, unit conversions and plausibility ranges for the cohort columns.

Every quantity is converted once, on load, to its canonical unit:

===================  ================  =========================================
quantity             canonical unit    also accepted in a header ``name [unit]``
===================  ================  =========================================
serum Mg             mmol/L            mg/dL, mg/L, mEq/L
serum / ionized Ca   mmol/L            mg/dL, mg/L, mEq/L
albumin              g/L               g/dL
PTH (intact)         pmol/L            pg/mL, ng/L
urine Mg, urine Ca   mmol/d            mg/d, g/d, mEq/d (also "/24h", "/day")
urine creatinine     mmol/d            mg/d, g/d
diet / supplements   mg/d              g/d, mmol/d, mEq/d
age                  years             y, yr
eGFR                 mL/min/1.73m2     mL/min
===================  ================  =========================================

A unit is named, never guessed: an unknown unit is an error, and a column whose
values do not fit the declared unit is an error that names the unit they probably
are in.

References
----------
Molar masses and conversion factors: ``shared/science/physiology.md`` §1.1
(Mg 24.305 g/mol, Ca 40.078 g/mol; PTH(1-84) molecular weight ~9425 Da, so
1 pmol/L = 9.425 pg/mL). Creatinine 113.12 g/mol (standard atomic weights).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Molar masses in g/mol (= mg/mmol).
MOLAR_MASS = {"mg": 24.305, "ca": 40.078, "creatinine": 113.12}

#: Intact PTH(1-84): pg/mL per pmol/L (molecular weight ~9425 Da).
PTH_PG_PER_PMOL = 9.425


@dataclass(frozen=True)
class Quantity:
    """A measured quantity: canonical unit, accepted units and plausible ranges.

    Parameters
    ----------
    canonical : str
        Canonical unit, used everywhere inside the package.
    factors : dict of str to float
        Accepted units (display spelling) and the factor that converts a value in
        that unit to the canonical unit.
    impossible : tuple of float
        Values outside ``[low, high]`` (canonical unit) are physiologically impossible
        and rejected with an error that names the row.
    rare : tuple of float
        Values outside ``[low, high]`` are possible but rare; they get a warning.
    typical_median : tuple of float
        The median of a cohort column (of its non-zero values, for supplement doses) is
        expected in ``[low, high]``. A median outside it means the declared unit is
        probably wrong.
    """

    canonical: str
    factors: dict[str, float]
    impossible: tuple[float, float]
    rare: tuple[float, float]
    typical_median: tuple[float, float]

    def is_impossible(self, values: np.ndarray) -> np.ndarray:
        """Where values (canonical unit) lie outside the physiologically possible range."""
        low, high = self.impossible
        return (values < low) | (values > high)


def _mineral_serum(molar_mass: float) -> dict[str, float]:
    return {"mmol/L": 1.0, "mg/dL": 10.0 / molar_mass, "mg/L": 1.0 / molar_mass, "mEq/L": 0.5}


def _mineral_urine(molar_mass: float) -> dict[str, float]:
    return {"mmol/d": 1.0, "mg/d": 1.0 / molar_mass, "g/d": 1000.0 / molar_mass, "mEq/d": 0.5}


def _mineral_intake(molar_mass: float) -> dict[str, float]:
    return {"mg/d": 1.0, "g/d": 1000.0, "mmol/d": molar_mass, "mEq/d": molar_mass / 2.0}


#: Every numeric cohort column and its quantity. Ranges are in canonical units.
QUANTITIES: dict[str, Quantity] = {
    "age_years": Quantity("years", {"years": 1.0}, (0.0, 125.0), (18.0, 100.0), (15.0, 90.0)),
    "egfr": Quantity(
        "mL/min/1.73m2", {"mL/min/1.73m2": 1.0}, (1.0, 250.0), (15.0, 150.0), (30.0, 130.0)
    ),
    "diet_ca": Quantity(
        "mg/d", _mineral_intake(MOLAR_MASS["ca"]), (0.0, 20000.0), (50.0, 5000.0), (200.0, 3000.0)
    ),
    "diet_mg": Quantity(
        "mg/d", _mineral_intake(MOLAR_MASS["mg"]), (0.0, 5000.0), (20.0, 1500.0), (80.0, 1000.0)
    ),
    "supp_ca": Quantity(
        "mg/d", _mineral_intake(MOLAR_MASS["ca"]), (0.0, 10000.0), (0.0, 2500.0), (50.0, 2000.0)
    ),
    "supp_mg": Quantity(
        "mg/d", _mineral_intake(MOLAR_MASS["mg"]), (0.0, 5000.0), (0.0, 1000.0), (25.0, 800.0)
    ),
    "alcohol_g": Quantity("g/d", {"g/d": 1.0}, (0.0, 500.0), (0.0, 150.0), (1.0, 80.0)),
    "serum_mg": Quantity(
        "mmol/L", _mineral_serum(MOLAR_MASS["mg"]), (0.1, 10.0), (0.4, 1.5), (0.5, 1.2)
    ),
    "serum_ca": Quantity(
        "mmol/L", _mineral_serum(MOLAR_MASS["ca"]), (0.5, 6.0), (1.6, 3.2), (1.8, 3.0)
    ),
    "ionized_ca": Quantity(
        "mmol/L", _mineral_serum(MOLAR_MASS["ca"]), (0.3, 3.5), (0.8, 1.6), (0.9, 1.5)
    ),
    "albumin": Quantity("g/L", {"g/L": 1.0, "g/dL": 10.0}, (5.0, 80.0), (25.0, 55.0), (25.0, 55.0)),
    "pth": Quantity(
        "pmol/L",
        {"pmol/L": 1.0, "pg/mL": 1.0 / PTH_PG_PER_PMOL, "ng/L": 1.0 / PTH_PG_PER_PMOL},
        (0.0, 2000.0),
        (0.5, 60.0),
        (1.0, 25.0),
    ),
    "urine_mg": Quantity(
        "mmol/d", _mineral_urine(MOLAR_MASS["mg"]), (0.0, 200.0), (0.3, 15.0), (0.8, 12.0)
    ),
    "urine_ca": Quantity(
        "mmol/d", _mineral_urine(MOLAR_MASS["ca"]), (0.0, 200.0), (0.3, 15.0), (0.8, 14.0)
    ),
    "urine_creatinine": Quantity(
        "mmol/d",
        {
            "mmol/d": 1.0,
            "mg/d": 1.0 / MOLAR_MASS["creatinine"],
            "g/d": 1000.0 / MOLAR_MASS["creatinine"],
        },
        (0.5, 60.0),
        (3.0, 30.0),
        (3.0, 30.0),
    ),
}

_ALIASES = {
    "year": "years",
    "yr": "years",
    "yrs": "years",
    "y": "years",
    "ml/min": "mL/min/1.73m2",
    "ml/min/1.73m2": "mL/min/1.73m2",
    "ml/min/1.73m^2": "mL/min/1.73m2",
    "ml/min/1.73m²": "mL/min/1.73m2",
    "ml/min/1.73": "mL/min/1.73m2",
}


def normalise_unit(text: str) -> str:
    """Return a comparison key for a unit string.

    Case, spaces and the spellings of "per day" (``/24h``, ``/24 h``, ``/day``) are
    ignored, so ``"mg / 24 h"`` and ``"mg/d"`` give the same key.

    Examples
    --------
    >>> normalise_unit("mg / 24 h")
    'mg/d'
    >>> normalise_unit("mmol/L")
    'mmol/l'
    """
    key = text.strip().lower().replace(" ", "")
    for per_day in ("/24hr", "/24h", "/day", "/24hours"):
        key = key.replace(per_day, "/d")
    return key


def canonical_unit_name(column: str, unit: str) -> str:
    """Return the accepted spelling of ``unit`` for ``column``.

    Parameters
    ----------
    column : str
        Canonical column name, e.g. ``"serum_mg"``.
    unit : str
        Unit as written in the file header.

    Returns
    -------
    str
        The unit's display spelling, a key of ``QUANTITIES[column].factors``.

    Raises
    ------
    KeyError
        If the unit is not accepted for this column.
    """
    quantity = QUANTITIES[column]
    key = normalise_unit(unit)
    key = normalise_unit(_ALIASES.get(key, key))
    for name in quantity.factors:
        if normalise_unit(name) == key:
            return name
    raise KeyError(unit)


def to_canonical(values: np.ndarray, column: str, unit: str) -> np.ndarray:
    """Convert values of ``column`` from ``unit`` to the canonical unit.

    Parameters
    ----------
    values : array_like
        Values in ``unit``.
    column : str
        Canonical column name.
    unit : str
        Unit of ``values``; any spelling accepted by :func:`canonical_unit_name`.

    Returns
    -------
    numpy.ndarray
        Values in ``QUANTITIES[column].canonical``.

    Examples
    --------
    >>> float(to_canonical(2.0, "serum_mg", "mg/dL").round(4))
    0.8229
    """
    factor = QUANTITIES[column].factors[canonical_unit_name(column, unit)]
    return np.asarray(values, dtype=float) * factor


def from_canonical(values: np.ndarray, column: str, unit: str) -> np.ndarray:
    """Convert canonical values of ``column`` to ``unit`` (the inverse of :func:`to_canonical`).

    Examples
    --------
    >>> float(from_canonical(4.0, "pth", "pg/mL").round(1))
    37.7
    """
    factor = QUANTITIES[column].factors[canonical_unit_name(column, unit)]
    return np.asarray(values, dtype=float) / factor


def likely_units(column: str, median: float) -> list[str]:
    """Units in which a column median of ``median`` would be typical.

    Parameters
    ----------
    column : str
        Canonical column name.
    median : float
        Median of the column as written (not converted).

    Returns
    -------
    list of str
        Accepted units (the canonical one included) whose conversion puts ``median``
        inside the typical range, most plausible first.
    """
    quantity = QUANTITIES[column]
    low, high = quantity.typical_median
    centre = np.sqrt(low * high) if low > 0 else high / 2
    found = []
    for name, factor in quantity.factors.items():
        converted = median * factor
        if low <= converted <= high:
            found.append((abs(np.log(max(converted, 1e-12) / max(centre, 1e-12))), name))
    return [name for _, name in sorted(found, key=lambda item: item[0])]
