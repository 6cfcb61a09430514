from camg_bayes.checks.diagnostics import diagnose
from camg_bayes.cli import main
from camg_bayes.fitting import Fit


def test_check_reports_failure_of_a_short_run(short_fit, capsys):
    _, path = short_fit
    result = diagnose(Fit.load(path))
    names = [c.name for c in result.checks]
    assert names == [
        "rhat_population",
        "rhat_subjects",
        "ess_bulk_population",
        "ess_tail_population",
        "divergences",
        "treedepth",
        "ebfmi",
        "predictive_vs_prior",
    ]
    assert not result.passed  # 60 draws from 2 chains cannot give 200 effective draws
    code = main(["check", str(path)])
    printed = capsys.readouterr().out
    assert code == 1
    assert "FAIL" in printed and "ess_bulk_population" in printed


def test_a_failed_fit_names_what_is_weakly_identified(short_fit):
    from camg_bayes.checks.diagnostics import advice

    _, path = short_fit
    lines = advice(diagnose(Fit.load(path)))
    assert lines, "a 60-draw fit has weakly identified parameters"
    assert all("would resolve it" in line for line in lines)


def test_a_cohort_with_ca_but_no_mg_reading_is_told_why_it_may_fail():
    """Serum Ca alone under Mg-dependent PTH: the note names the two explanations and the fix."""
    from camg_bayes.checks.diagnostics import data_notes

    full = {"mg_dependent_pth": True}
    (note,) = data_notes(["serum_ca"], full)
    assert "no_mg_pth" in note and "serum Mg" in note
    assert data_notes(["serum_ca", "serum_mg"], full) == ()
    assert data_notes(["serum_ca", "urine_mg"], full) == ()
    assert data_notes(["serum_ca"], {"mg_dependent_pth": False}) == ()
    assert data_notes(["diet_mg"], full) == ()
