"""Stage 3, the model: priors as data, the cohort's design, the PyMC model and a simulator.

* :mod:`.priors` and :mod:`.config`: every prior from ``models/*.toml`` with its unit and
  source, mechanism switches, variants and overrides;
* :mod:`.design`: a validated cohort turned into model inputs (covariates, summaries);
* :mod:`.build`: ``build_model(cohort, config) -> pm.Model`` (it never samples);
* :mod:`.start`: where the chains start;
* :mod:`.simulate`: synthetic cohorts with their truth, from the same physiology.
"""

from camg_bayes.model.build import build_model
from camg_bayes.model.config import ModelConfig, load_config
from camg_bayes.model.design import Design, build_design
from camg_bayes.model.priors import Prior
from camg_bayes.model.simulate import Schedule, SimulatedCohort, simulate

__all__ = [
    "Design",
    "ModelConfig",
    "Prior",
    "Schedule",
    "SimulatedCohort",
    "build_design",
    "build_model",
    "load_config",
    "simulate",
]
