"""Stage 7, scores: individual deficiency probabilities, what-if regimens, prevalence.

* :mod:`.population`: which population a cohort is scored against;
* :mod:`.summary`: weighted summaries of many subjects' draws at once;
* :mod:`.scoring`: ``score(cohort, fit=None)``;
* :mod:`.whatif`: :class:`Regimen` and ``whatif(cohort, regimen, fit=None)``;
* :mod:`.prevalence`: the share deficient, overall, by sex and by site.
"""

from camg_bayes.scores.prevalence import prevalence
from camg_bayes.scores.scoring import SCORE_COLUMNS, score
from camg_bayes.scores.whatif import Regimen, whatif

__all__ = ["SCORE_COLUMNS", "Regimen", "prevalence", "score", "whatif"]
