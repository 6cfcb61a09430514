"""Stage 5, fitting: NUTS on the model, and the :class:`Fit` that owns the result.

* :mod:`.settings`: sampler settings, free of heavy imports;
* :mod:`.sample`: ``fit(cohort) -> Fit``;
* :mod:`.fitfile`: :class:`Fit` (the tree with its configuration, cohort and design,
  each computed once), and saving and loading with checks.
"""

from camg_bayes.fitting.fitfile import Fit, load_fit, save_fit
from camg_bayes.fitting.sample import fit, software_versions
from camg_bayes.fitting.settings import DEFAULTS, SamplerSettings

__all__ = [
    "DEFAULTS",
    "Fit",
    "SamplerSettings",
    "fit",
    "load_fit",
    "save_fit",
    "software_versions",
]
