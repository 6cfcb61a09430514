"""Stage 6, checks: whether the fit is trustworthy and the model fits the data.

* :mod:`.diagnostics`: convergence (R-hat, ESS, divergences, tree depth, E-BFMI), each
  with a pass/fail and a sentence;
* :mod:`.predictive`: posterior and prior predictive checks and LOO-PIT;
* :mod:`.loo`: leave-one-subject-out PSIS-LOO and model comparison;
* :mod:`.calibration`: parameter recovery, coverage and calibration against a known truth.
"""

from camg_bayes.checks.calibration import (
    brier_score,
    calibration_table,
    parameter_recovery,
    reliability_table,
    subject_coverage,
)
from camg_bayes.checks.diagnostics import Diagnostics, diagnose
from camg_bayes.checks.loo import compare, loo
from camg_bayes.checks.predictive import PredictiveCheck, posterior_predictive, prior_predictive

__all__ = [
    "Diagnostics",
    "PredictiveCheck",
    "brier_score",
    "calibration_table",
    "compare",
    "diagnose",
    "loo",
    "parameter_recovery",
    "posterior_predictive",
    "prior_predictive",
    "reliability_table",
    "subject_coverage",
]
