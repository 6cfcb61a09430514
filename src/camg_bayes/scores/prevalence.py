"""Prevalence of deficiency in a fitted cohort: overall, by sex and by site."""

from __future__ import annotations

import numpy as np
import pandas as pd

from camg_bayes.fitting.fitfile import Fit
from camg_bayes.physiology.state import deficient


def prevalence(fit: Fit, threshold: float | None = None, prob: float = 0.9) -> pd.DataFrame:
    """Share of the cohort with true serum Mg below the threshold: overall, by sex and site.

    The share is computed at each of the fit's kept draws (see
    :attr:`camg_bayes.fitting.fitfile.Fit.kept_samples`), so its interval carries the
    uncertainty of every subject's status.

    Parameters
    ----------
    fit : Fit
    threshold : float, optional
        mmol/L true serum Mg; the fit configuration's (0.75) if None.
    prob : float
        Central probability of the interval.

    Returns
    -------
    pandas.DataFrame
        Rows ``all subjects``, ``sex F``, ``sex M``, ``site <label>``; columns ``n``,
        ``mean``, ``lo``, ``hi``.
    """
    _, state = fit.subject_states
    below = deficient(state["serum_mg_true"], fit.threshold(threshold))
    cohort = fit.cohort
    groups = {"all subjects": np.ones(below.shape[1], dtype=bool)}
    for sex in ("F", "M"):
        mask = cohort["sex"].values == sex
        if mask.any():
            groups[f"sex {sex}"] = mask
    for site in sorted(s for s in np.unique(cohort["site"].values) if s):
        groups[f"site {site}"] = cohort["site"].values == site
    rows = {}
    for label, mask in groups.items():
        share = below[:, mask].mean(axis=1)
        lo, hi = np.quantile(share, [(1 - prob) / 2, (1 + prob) / 2])
        rows[label] = {
            "n": int(mask.sum()),
            "mean": float(share.mean()),
            "lo": float(lo),
            "hi": float(hi),
        }
    return pd.DataFrame(rows).T.astype({"n": int})
