"""camg_bayes: Bayesian inference of calcium and magnesium status from cohort data.

The package follows the data path, one subpackage per stage:

========================  ===============================================================
``cohort``                data in: schema, units, reading and validation, NHANES files
``physiology``            the mechanisms and each subject's steady state (numpy/pytensor)
``model``                 priors as data, the cohort's design, the PyMC model, a simulator
``draws``                 the model evaluated in numpy at population draws
``fitting``               NUTS, and the :class:`Fit` that owns the result and its file
``checks``                convergence, predictive checks, LOO, calibration
``scores``                deficiency probabilities, what-if regimens, prevalence
``report``                figures, the HTML report, console tables
``study``, ``cli``        the workflow class and the command line on top
========================  ===============================================================

The public names below are imported on first use, so ``import camg_bayes`` stays quick.

Examples
--------
>>> import camg_bayes as cb
>>> study = cb.Study.from_cohort(cb.example_cohort_path(), seed=1)  # doctest: +SKIP
>>> study.fit()  # doctest: +SKIP
>>> scores = study.score()  # doctest: +SKIP
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("camg_bayes")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

#: Public name -> the module that defines it.
_PUBLIC = {
    "CamgError": "camg_bayes.errors",
    "CohortError": "camg_bayes.cohort",
    "CohortWarning": "camg_bayes.cohort",
    "read_cohort": "camg_bayes.cohort",
    "load_cohort": "camg_bayes.cohort",
    "read_nhanes": "camg_bayes.cohort",
    "measurement_counts": "camg_bayes.cohort",
    "ModelConfig": "camg_bayes.model",
    "load_config": "camg_bayes.model",
    "build_design": "camg_bayes.model",
    "build_model": "camg_bayes.model",
    "simulate": "camg_bayes.model",
    "Schedule": "camg_bayes.model",
    "Draws": "camg_bayes.draws",
    "SamplerSettings": "camg_bayes.fitting",
    "DEFAULTS": "camg_bayes.fitting",
    "Fit": "camg_bayes.fitting",
    "fit": "camg_bayes.fitting",
    "load_fit": "camg_bayes.fitting",
    "save_fit": "camg_bayes.fitting",
    "diagnose": "camg_bayes.checks",
    "posterior_predictive": "camg_bayes.checks",
    "prior_predictive": "camg_bayes.checks",
    "loo": "camg_bayes.checks",
    "compare": "camg_bayes.checks",
    "parameter_recovery": "camg_bayes.checks",
    "subject_coverage": "camg_bayes.checks",
    "brier_score": "camg_bayes.checks",
    "calibration_table": "camg_bayes.checks",
    "reliability_table": "camg_bayes.checks",
    "score": "camg_bayes.scores",
    "whatif": "camg_bayes.scores",
    "Regimen": "camg_bayes.scores",
    "prevalence": "camg_bayes.scores",
    "SCORE_COLUMNS": "camg_bayes.scores",
    "build_report": "camg_bayes.report",
    "write_report": "camg_bayes.report",
    "Study": "camg_bayes.study",
    "example_cohort_path": "camg_bayes.study",
}

#: Public modules reached from the top: ``camg_bayes.figures.predictive_densities(...)``.
_MODULES = {"figures": "camg_bayes.report.figures"}

__all__ = ["__version__", *_PUBLIC, *_MODULES]


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
    elif name in _MODULES:
        value = import_module(_MODULES[name])
    else:
        raise AttributeError(f"module 'camg_bayes' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
