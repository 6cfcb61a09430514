"""A cohort scored against a fit must agree with the fit's cohort in columns and scale."""

import json

import pandas as pd
import pytest

from camg_bayes.cli import main
from camg_bayes.errors import CamgError, CohortMismatchError
from camg_bayes.fitting import Fit
from camg_bayes.scores.scoring import score

pytestmark = pytest.mark.filterwarnings("ignore::camg_bayes.cohort.CohortWarning")


@pytest.fixture(scope="module")
def fitted(short_fit):
    cohort, path = short_fit
    frame = pd.read_csv(cohort)
    first = frame[frame["subject_id"] == frame["subject_id"].iloc[0]].copy()
    first["subject_id"] = "someone_new"
    return first, Fit.load(path), path


def test_declared_units_are_converted_not_refused(fitted):
    person, fit, _ = fitted
    as_mg_dl = person.rename(columns={"serum_mg": "serum_mg [mg/dL]"})
    as_mg_dl["serum_mg [mg/dL]"] = as_mg_dl["serum_mg [mg/dL]"] * 24.305 / 10
    a = score(person, fit, n_draws=100, random_seed=1)
    b = score(as_mg_dl, fit, n_draws=100, random_seed=1)
    assert abs(a["p_deficient"].iloc[0] - b["p_deficient"].iloc[0]) < 1e-9


@pytest.mark.parametrize(
    ("column", "factor"),
    [("serum_mg", 24.305 / 10), ("urine_mg", 24.305), ("pth", 9.43), ("diet_ca", 1 / 40.08)],
)
def test_an_undeclared_unit_is_refused(fitted, column, factor):
    person, fit, _ = fitted
    if person[column].isna().all():
        person = person.assign(**{column: fit.cohort[column].median().item()})
    wrong = person.assign(**{column: person[column] * factor})
    # the reader refuses values implausible in the declared unit
    with pytest.raises(CamgError, match=rf"column '{column}'.* implausible .* write the header"):
        score(wrong, fit, n_draws=50, random_seed=1)


def test_values_off_the_fits_scale_are_refused(fitted):
    """Plausible in isolation, but far outside the range of the fit's cohort."""
    person, fit, _ = fitted
    narrow = Fit(fit.tree.copy())
    ranges = json.loads(narrow.attrs["cohort_ranges"])
    assert {"serum_mg", "diet_mg", "urine_mg"} <= set(ranges)
    ranges["diet_mg"] = [20 * v for v in ranges["diet_mg"]]  # a fit of very different intakes
    narrow.attrs["cohort_ranges"] = json.dumps(ranges)
    with pytest.raises(CohortMismatchError, match=r"column diet_mg has median .* unit differs"):
        score(person, narrow, n_draws=50, random_seed=1)


def test_a_renamed_column_is_refused(fitted):
    person, fit, _ = fitted
    renamed = person.rename(columns={"serum_mg": "serum_magnesium"})
    with pytest.raises(CohortMismatchError, match="serum_magnesium are not in the schema"):
        score(renamed, fit, n_draws=50, random_seed=1)


def test_cli_mismatch_is_one_line_exit_2(fitted, tmp_path, capsys):
    person, _, path = fitted
    wrong = tmp_path / "wrong.csv"
    person.assign(urine_mg=person["urine_mg"].fillna(3.0) * 24.305).to_csv(wrong, index=False)
    code = main(["score", str(wrong), "--fit", str(path), "--out", str(tmp_path / "s.csv")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "Traceback" not in err and len(err.splitlines()) == 1
    assert "urine_mg" in err and not (tmp_path / "s.csv").exists()


def test_only_a_known_subject_with_the_same_readings_uses_its_posterior_draws(short_fit):
    """Same identifier and readings: the fit's draws; a changed reading: scored as new."""
    cohort, path = short_fit
    fit = Fit.load(path)
    frame = pd.read_csv(cohort)
    ids = frame["subject_id"].unique()[:3]
    part = frame[frame["subject_id"].isin(ids)].copy()
    changed = (part["subject_id"] == ids[1]) & part["serum_mg"].notna()
    assert changed.any()
    part.loc[changed, "serum_mg"] += 0.05
    new = frame[frame["subject_id"] == ids[2]].assign(subject_id="not_in_the_fit")
    table = score(pd.concat([part, new]), fit, n_draws=100, random_seed=1)
    method = dict(zip(table["subject_id"].astype(str), table["method"], strict=True))
    assert method[str(ids[0])] == method[str(ids[2])] == "posterior draws"
    assert method[str(ids[1])] != "posterior draws"
    assert method["not_in_the_fit"] != "posterior draws"
