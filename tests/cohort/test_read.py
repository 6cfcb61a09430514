import numpy as np
import pandas as pd
import pytest

from camg_bayes.cohort import CohortError, CohortWarning, data_hash, read_cohort, subject_table

GOOD = """subject_id,occasion,sex,age_years,diet_mg,serum_mg,pth,supp_ca,supp_mg,supp_timing
a,0,F,40,250,0.82,4.1,500,250,apart
a,1,F,40,310,,,500,250,apart
b,0,M,55,330,0.88,,,,
"""


def test_good_cohort_becomes_subject_by_occasion_dataset(write_csv):
    ds = read_cohort(write_csv(GOOD))
    assert dict(ds.sizes) == {"subject": 2, "occasion": 2}
    assert list(ds.subject.values) == ["a", "b"]
    assert ds.serum_mg.sel(subject="a", occasion=0) == pytest.approx(0.82)
    assert np.isnan(ds.serum_mg.sel(subject="a", occasion=1))
    assert ds.diet_mg.sel(subject="a").values.tolist() == [250, 310]
    assert ds.sex.values.tolist() == ["F", "M"]
    assert ds.supp_timing.sel(subject="a", occasion=0) == "apart"
    # b has no occasion-1 row: present flags say so, nothing else is invented
    assert ds.row_present.values.tolist() == [[True, True], [True, False]]
    assert ds.attrs["warnings"] == []
    assert ds.attrs["units"]["pth"] == "pmol/L"


def test_units_in_headers_are_converted(write_csv):
    text = (
        "subject_id,serum_mg [mg/dL],pth [pg/mL],urine_mg [mg/d],albumin [g/dL]\n"
        "1,2.0,40,100,4.2\n2,1.9,35,90,4.0\n"
    )
    ds = read_cohort(write_csv(text))
    assert float(ds.serum_mg[0, 0]) == pytest.approx(0.8229, abs=1e-4)
    assert float(ds.pth[0, 0]) == pytest.approx(40 / 9.425)
    assert float(ds.urine_mg[0, 0]) == pytest.approx(100 / 24.305)
    assert float(ds.albumin[0, 0]) == pytest.approx(42.0)


def test_same_cohort_in_other_units_has_same_hash(write_csv):
    a = read_cohort(write_csv("subject_id,serum_mg\n1,0.8\n2,0.9\n", "a.csv"))
    b = read_cohort(write_csv("subject_id,serum_mg [mEq/L]\n1,1.6\n2,1.8\n", "b.csv"))
    assert data_hash(a) == data_hash(b)
    c = read_cohort(write_csv("subject_id,serum_mg\n1,0.8\n2,0.91\n", "c.csv"))
    assert data_hash(a) != data_hash(c)


def test_dataframe_and_parquet_are_accepted(tmp_path):
    frame = pd.DataFrame({"subject_id": [1, 2, 3], "serum_ca": [2.3, 2.4, np.nan]})
    assert read_cohort(frame).sizes["subject"] == 3
    frame.to_parquet(tmp_path / "c.parquet")
    ds = read_cohort(tmp_path / "c.parquet")
    assert ds.subject.values.tolist() == ["1", "2", "3"]
    assert np.isnan(ds.serum_ca.values[2, 0])


def test_subject_with_no_measurements_is_kept(write_csv):
    ds = read_cohort(write_csv("subject_id,serum_mg\n1,0.8\n2,\n3,NA\n"))
    assert ds.sizes["subject"] == 3


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", "empty"),
        ("subject_id,serum_mg\n", "no data rows"),
        ("id,serum_mg\n1,0.8\n", "no subject_id column"),
        ("subject_id,serum_mg\n1,0.8\n,0.9\n", r"row 2 \(line 3\): missing subject_id"),
        (
            "subject_id,serum_mg\nA,0.8x\n",
            r"column 'serum_mg', row 1 \(line 2\): '0.8x' is not a number",
        ),
        ("subject_id,pth\nA,<1.0\n", "censored values are not supported"),
        ("subject_id,serum_mg\nA,0.8\nB,-0.7\n", r"row 2.*negative value"),
        ("subject_id,urine_mg\nA,3\nB,inf\n", r"row 2.*infinite value"),
        ("subject_id,serum_mg [furlongs]\nA,0.8\n", r"unknown unit 'furlongs'.*mg/dL"),
        (
            "subject_id,supp_timing\nA,sometimes\n",
            r"unknown supp_timing 'sometimes'.*apart, together",
        ),
        ("subject_id,sex\nA,X\n", "unknown sex 'X'"),
        (
            "subject_id,occasion,serum_mg\nA,0,0.8\nA,0,0.9\n",
            r"rows 1 and 2 with different serum_mg.*occasion",
        ),
        ("subject_id,occasion,sex\nA,0,F\nA,1,M\n", "different sex values"),
        ("subject_id,occasion\nA,0.5\n", "not a whole number"),
        ("subject_id,serum_mg,serum_mg [mg/dL]\nA,0.8,2\n", "appears twice"),
        ("subject_id,sex [years]\nA,F\n", "takes none"),
    ],
)
def test_validation_errors_name_column_row_and_fix(write_csv, text, pattern):
    path = write_csv(text)
    with pytest.raises(CohortError, match=pattern) as info:
        read_cohort(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message
    if "no data rows" not in pattern and "empty" not in pattern:
        assert "Fix:" in message


def test_unreadable_missing_and_unsupported_files(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes(b"\xff\xfe\x00garbage\x00\x00")
    with pytest.raises(CohortError, match="cannot be read"):
        read_cohort(path)
    with pytest.raises(CohortError, match="file not found"):
        read_cohort(tmp_path / "missing.csv")
    xlsx = tmp_path / "x.xlsx"
    xlsx.write_text("a")
    with pytest.raises(CohortError, match="unsupported file type"):
        read_cohort(xlsx)
    with pytest.raises(CohortError, match="no rows"):
        read_cohort(pd.DataFrame())


@pytest.mark.parametrize(
    ("header", "values", "unit"),
    [
        ("serum_mg", ["2.0", "1.9", "2.1"], "mg/dL"),
        ("pth", ["40", "35", "52"], "pg/mL"),
        ("urine_mg", ["100", "120", "80"], "mg/d"),
        ("albumin", ["4.2", "4.0", "3.9"], "g/dL"),
        ("serum_ca", ["9.4", "9.1", "9.8"], "mg/dL"),
        ("diet_mg", ["0.3", "0.25", "0.4"], "g/d"),
        ("serum_mg [mg/dL]", ["0.82", "0.9", "0.78"], "mmol/L"),
    ],
)
def test_column_implausible_in_declared_unit_names_probable_unit(write_csv, header, values, unit):
    text = f"subject_id,{header}\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values))
    with pytest.raises(CohortError, match=rf"implausible.*look like {unit}.*\[{unit}\]"):
        read_cohort(write_csv(text))


@pytest.mark.parametrize(
    ("column", "value"),
    [("age_years", "250"), ("diet_mg", "250000"), ("serum_mg", "12"), ("pth", "5000")],
)
def test_single_impossible_value_names_its_row(write_csv, column, value):
    typical = {"age_years": "40", "diet_mg": "300", "serum_mg": "0.8", "pth": "4"}[column]
    rows = [typical] * 6 + [value]
    text = f"subject_id,{column}\n" + "".join(f"s{i},{v}\n" for i, v in enumerate(rows))
    with pytest.raises(CohortError, match=r"row 7 \(line 8\): value .* physiologically impossible"):
        read_cohort(write_csv(text))


def test_rare_extreme_is_a_warning_not_a_refusal(write_csv):
    text = "subject_id,serum_mg\n" + "".join(f"s{i},0.8\n" for i in range(6)) + "s9,0.35\n"
    with pytest.warns(CohortWarning, match=r"1 rare value.*rows 7"):
        ds = read_cohort(write_csv(text))
    assert float(ds.serum_mg.sel(subject="s9")[0]) == pytest.approx(0.35)
    assert any("rare value" in w for w in ds.attrs["warnings"])


def test_unknown_columns_are_listed_in_a_warning(write_csv):
    with pytest.warns(CohortWarning, match=r"2 unknown column\(s\) not used: bmi, serum_mag"):
        ds = read_cohort(write_csv("subject_id,bmi,serum_mag\n1,22,0.8\n"))
    assert "bmi" not in ds


def test_identical_duplicate_rows_are_merged_with_a_warning(write_csv):
    with pytest.warns(CohortWarning, match="1 exact duplicate row"):
        ds = read_cohort(write_csv("subject_id,serum_mg\n1,0.8\n1,0.8\n2,0.9\n"))
    assert ds.sizes["subject"] == 2


def test_defaults_for_missing_covariates_are_announced(write_csv):
    text = "subject_id,sex,supp_ca,supp_mg\n1,F,500,200\n2,,0,0\n"
    with pytest.warns(CohortWarning) as record:
        read_cohort(write_csv(text))
    messages = " ".join(str(w.message) for w in record)
    assert "1 row(s) take both Ca and Mg supplements with no supp_timing" in messages
    assert "1 subject(s) lack sex" in messages


def test_subject_table_round_trip(write_csv):
    ds = read_cohort(write_csv(GOOD))
    table = subject_table(ds)
    again = read_cohort(table)
    assert data_hash(again) == data_hash(ds)


@pytest.mark.parametrize(("column", "value"), [("egfr", "135"), ("age_years", "95")])
def test_one_unusual_subject_is_not_a_unit_mistake(write_csv, column, value):
    ds = read_cohort(write_csv(f"subject_id,{column}\nsolo,{value}\n"))
    assert float(ds[column].values.ravel()[0]) == float(value)


def test_an_unusual_median_over_many_subjects_is_still_refused(write_csv):
    text = "subject_id,egfr\n" + "".join(f"s{i},{200 + i}\n" for i in range(12))
    with pytest.raises(CohortError, match="implausible"):
        read_cohort(write_csv(text))
