import numpy as np
import pytest

from camg_bayes.cohort import units


@pytest.mark.parametrize(
    ("column", "unit", "value", "expected"),
    [
        ("serum_mg", "mg/dL", 2.07, 0.85),  # Rosanoff 2022: 0.85 mmol/L = 2.07 mg/dL
        ("serum_mg", "mEq/L", 1.7, 0.85),
        ("serum_ca", "mg/dL", 9.32, 2.33),  # NHANES BIOPRO_J LBXSCA vs LBDSCASI
        ("ionized_ca", "mg/dL", 4.8, 1.198),
        ("albumin", "g/dL", 4.4, 44.0),
        ("pth", "pg/mL", 36.0, 3.82),  # OpenBoneMin: 3.85 pM ~ 36 pg/mL
        ("pth", "ng/L", 65.0, 6.90),
        ("urine_mg", "mg/d", 121.5, 5.0),
        ("urine_mg", "mg/24h", 121.5, 5.0),
        ("urine_ca", "mg/d", 200.0, 4.99),
        ("urine_creatinine", "g/d", 1.5, 13.26),
        ("diet_mg", "mmol/d", 10.0, 243.05),
        ("diet_ca", "g/d", 1.2, 1200.0),
        ("supp_mg", "mEq/d", 10.0, 121.5),  # Fine 1991: 10 mEq = 122 mg
    ],
)
def test_conversion_to_canonical(column, unit, value, expected):
    got = float(units.to_canonical(value, column, unit))
    assert got == pytest.approx(expected, rel=2e-3)


@pytest.mark.parametrize("column", sorted(units.QUANTITIES))
def test_every_unit_round_trips(column):
    values = np.array([0.0, 0.37, 1.0, 12.5, 250.0])
    for unit in units.QUANTITIES[column].factors:
        there = units.to_canonical(values, column, unit)
        back = units.from_canonical(there, column, unit)
        np.testing.assert_allclose(back, values, rtol=1e-12)


@pytest.mark.parametrize(
    ("text", "expected"), [("MG/DL", "mg/dL"), ("mmol / 24 h", "mmol/d"), ("mg/day", "mg/d")]
)
def test_unit_spellings(text, expected):
    column = "serum_mg" if "dl" in text.lower() else "urine_mg"
    assert units.canonical_unit_name(column, text) == expected


def test_unknown_unit_is_key_error():
    with pytest.raises(KeyError):
        units.canonical_unit_name("serum_mg", "furlongs")


def test_likely_units_names_mg_dl_for_serum_mg_near_two():
    assert units.likely_units("serum_mg", 2.0)[0] == "mg/dL"
    assert units.likely_units("pth", 40.0)[0] == "pg/mL"
    assert units.likely_units("urine_mg", 100.0) == ["mg/d"]
    assert units.likely_units("serum_mg", 0.85)[0] == "mmol/L"
