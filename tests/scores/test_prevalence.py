from camg_bayes.fitting import Fit
from camg_bayes.scores.prevalence import prevalence


def test_prevalence_by_group_has_intervals(short_fit):
    _, path = short_fit
    table = prevalence(Fit.load(path), 0.75)
    assert {"all subjects", "sex F", "sex M"} <= set(table.index)
    assert (table["lo"] <= table["mean"]).all() and (table["mean"] <= table["hi"]).all()
    assert table.loc["all subjects", "n"] == 80


def test_prevalence_threshold_defaults_to_the_configuration(short_fit):
    _, path = short_fit
    fit = Fit.load(path)
    assert prevalence(fit).equals(prevalence(fit, fit.config.threshold))
    assert (prevalence(fit, 0.85)["mean"] >= prevalence(fit, 0.75)["mean"]).all()
