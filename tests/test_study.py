"""The Study workflow class: results remembered by the arguments that made them."""

import numpy as np
import pytest

from camg_bayes import Study

pytestmark = pytest.mark.filterwarnings("ignore::camg_bayes.cohort.table.CohortWarning")


@pytest.fixture
def study(short_fit):
    _, path = short_fit
    return Study.load(path)


def test_loaded_study_takes_the_fits_seed(study):
    assert study.seed == 7 == study.fitted.attrs["random_seed"]
    assert study.fitted.design.n == 80


def test_check_is_remembered_per_seed_not_once(study):
    """Before the fix, the second call returned the first call's result whatever its seed."""
    first = study.check(random_seed=1)
    second = study.check(random_seed=2)
    again = study.check(random_seed=1)
    assert again is first
    assert not np.array_equal(
        first.replicated["serum_mg"], second.replicated["serum_mg"], equal_nan=True
    )


def test_score_is_remembered_per_threshold_and_seed(study):
    low = study.score()
    high = study.score(threshold=0.85)
    assert study.score() is low
    assert high.attrs["threshold"] == 0.85 and low.attrs["threshold"] == 0.75
    assert (high["p_deficient"] >= low["p_deficient"] - 1e-12).all()
    assert high["p_deficient"].sum() > low["p_deficient"].sum()


def test_report_uses_scores_at_its_own_threshold(study, tmp_path):
    """Before the fix, write_report took no threshold and embedded whatever scores were cached."""
    study.score()  # cache the 0.75 scores first
    path = study.write_report(tmp_path / "r.html", threshold=0.85)
    text = path.read_text()
    assert "deficiency threshold 0.85 mmol/L" in text
    expected = study.score(threshold=0.85)["p_deficient"].max()
    assert f"<b>{expected:.2f}</b>" in text  # the top card shows the 0.85 probability


def test_seed_given_to_fit_becomes_the_studys(short_fit):
    cohort, _ = short_fit
    study = Study.from_cohort(cohort, seed=3)
    assert study.seed == 3
    unseeded = Study.from_cohort(cohort)
    assert isinstance(unseeded.seed, int)  # drawn once and kept, so the run can be repeated
    repeated = Study.from_cohort(cohort, seed=unseeded.seed)
    assert repeated.score().equals(unseeded.score())


def test_steps_need_a_fit(short_fit):
    cohort, _ = short_fit
    study = Study.from_cohort(cohort, seed=1)
    with pytest.raises(RuntimeError, match="fit the model first"):
        study.diagnose()
    table = study.score()  # no fit: the literature-prior population
    assert (table["population"] == "literature prior").all()
