import numpy as np
import pandas as pd
import pytest

from camg_bayes.cohort import CohortError, load_cohort
from camg_bayes.cohort.nhanes import ckd_epi_2021, map_nhanes, read_nhanes


def test_real_nhanes_files_give_subjects_and_serum_ca_in_mmol_per_l(nhanes_dir):
    demo = pd.read_sas(nhanes_dir / "DEMO_J.XPT", format="xport")
    bio = pd.read_sas(nhanes_dir / "BIOPRO_J.XPT", format="xport")
    with pytest.warns(Warning):  # children's ages and a few rare values are announced
        ds = load_cohort(nhanes_dir)
    # every respondent in either file is a subject; none is dropped
    assert ds.sizes["subject"] == len(set(demo.SEQN) | set(bio.SEQN)) == 9254
    serum_ca = ds.serum_ca.values[:, 0]
    assert np.isfinite(serum_ca).sum() == bio.LBDSCASI.notna().sum() == 5901
    assert 2.2 < np.nanmedian(serum_ca) < 2.45  # mmol/L, not mg/dL
    first = bio.dropna(subset=["LBDSCASI"]).iloc[0]
    assert ds.serum_ca.sel(subject=str(int(first.SEQN)))[0] == pytest.approx(first.LBDSCASI)
    assert ds.albumin.sel(subject=str(int(first.SEQN)))[0] == pytest.approx(first.LBXSAL * 10)
    assert set(ds.sex.values) == {"F", "M"}


def test_nhanes_day_two_recalls_become_occasion_one():
    merged = pd.DataFrame(
        {
            "SEQN": [2.0, 1.0],
            "RIAGENDR": [1.0, 2.0],
            "DR1TMAGN": [250.0, 300.0],
            "DR2TMAGN": [np.nan, 280.0],
            "LBXPT21": [40.0, np.nan],
        }
    )
    table = map_nhanes(merged)
    assert table[["subject_id", "occasion"]].values.tolist() == [["1", 0], ["1", 1], ["2", 0]]
    ds = load_cohort(table)
    assert ds.diet_mg.sel(subject="1").values.tolist() == [300.0, 280.0]
    assert np.isnan(ds.diet_mg.sel(subject="2", occasion=1))
    assert float(ds.pth.sel(subject="2", occasion=0)) == pytest.approx(40 / 9.425)
    assert ds.sex.values.tolist() == ["F", "M"]


def test_ckd_epi_2021_reference_values():
    # Inker 2021: a 50-year-old man with creatinine 1.0 mg/dL has eGFR ~92
    assert ckd_epi_2021(1.0, 50, False) == pytest.approx(91.7, abs=0.1)
    assert ckd_epi_2021(2.0, 70, True) < 30


def test_directory_without_xpt_is_an_error(tmp_path):
    with pytest.raises(CohortError, match=r"no NHANES \.XPT files"):
        read_nhanes(tmp_path)
