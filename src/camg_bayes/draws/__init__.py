"""Stage 4, draws: the model evaluated in numpy at population draws.

* :mod:`.draws`: :class:`Draws`, the only numpy code for subject covariates with site
  offsets, subject states and the log-likelihood;
* :mod:`.importance`: one importance sampler for new subjects' latents and for each
  subject's integrated likelihood;
* :mod:`.summary`: weighted per-subject summaries (probabilities, intervals, drivers);
* :mod:`.reduce`: a fit's draws reduced per subject as they stream (summaries, kept draws);
* :mod:`.likelihood`: the log-likelihood groups stored with a fit.
"""

from camg_bayes.draws.draws import Draws, by_subject
from camg_bayes.draws.importance import integrated_loglik, new_subjects
from camg_bayes.draws.likelihood import (
    INTEGRATED,
    PRIOR_DENSITY,
    integrated_dataset,
    pointwise_dataset,
    prior_dataset,
    proposal_of,
)
from camg_bayes.draws.reduce import (
    SUBJECT_DRAWS,
    SUMMARY,
    Reduction,
    flat_positions,
    reduce_subjects,
)

__all__ = [
    "INTEGRATED",
    "PRIOR_DENSITY",
    "SUBJECT_DRAWS",
    "SUMMARY",
    "Draws",
    "Reduction",
    "by_subject",
    "flat_positions",
    "integrated_dataset",
    "integrated_loglik",
    "new_subjects",
    "pointwise_dataset",
    "prior_dataset",
    "proposal_of",
    "reduce_subjects",
]
