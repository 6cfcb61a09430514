"""One self-contained HTML report of a fit: data, convergence, priors, checks, scores.

Images are embedded as base64 PNG and the page has no external resources, so it works
offline and as an e-mail attachment. The subject table sorts when a header is clicked
(a few lines of inline JavaScript).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from camg_bayes import seeds
from camg_bayes.checks.diagnostics import Diagnostics, diagnose
from camg_bayes.checks.predictive import PredictiveCheck, posterior_predictive, prior_predictive
from camg_bayes.files import ensure_writable, write_text
from camg_bayes.fitting.fitfile import Fit
from camg_bayes.report import sections
from camg_bayes.report.layout import page
from camg_bayes.scores.prevalence import prevalence
from camg_bayes.scores.scoring import score


def build_report(
    fit: Fit,
    *,
    threshold: float | None = None,
    random_seed: seeds.Seed = None,
    scores: pd.DataFrame | None = None,
    ppc: PredictiveCheck | None = None,
    diagnostics: Diagnostics | None = None,
) -> str:
    """The report's HTML text.

    Parameters
    ----------
    fit : Fit
    threshold : float, optional
        Deficiency threshold (the fit configuration's, 0.75 mmol/L, by default).
    random_seed : int, optional
        The run's seed: the predictive checks, the prior predictive and scoring each draw
        from their own stream of it (:mod:`camg_bayes.seeds`). The fit's seed by default.
    scores, ppc, diagnostics : optional
        Results already computed for this fit and threshold (:func:`score`,
        :func:`posterior_predictive`, :func:`diagnose`); computed here when not given.
    """
    threshold = fit.threshold(threshold)
    seed = fit.attrs["random_seed"] if random_seed is None else random_seed
    diagnostics = diagnostics or diagnose(fit)
    ppc = ppc or posterior_predictive(fit, random_seed=seed)
    prior = prior_predictive(fit.cohort, fit.config, random_seed=seed)
    if scores is None:
        scores = score(fit.cohort, fit, threshold=threshold, random_seed=seed)
    prev = prevalence(fit, threshold)
    return page(
        [
            sections.header(fit, threshold, prev, diagnostics),
            sections.data(fit),
            sections.convergence(fit, diagnostics),
            sections.priors(fit),
            sections.predictive(ppc, prior),
            sections.prevalence_section(prev, scores, threshold),
            sections.subjects(scores, fit.cohort),
            sections.software(fit),
        ]
    )


def write_report(fit: Fit, path, **kwargs) -> Path:
    """Write :func:`build_report` (keyword arguments passed on) to ``path`` and return it."""
    ensure_writable(path)
    return write_text(path, build_report(fit, **kwargs))
