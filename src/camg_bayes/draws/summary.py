"""Weighted summaries of subjects' draws: probabilities, means, intervals and the driver.

Every function works on many subjects at once: arrays are ``(subject, sample)`` with
weights that sum to 1 over each subject's samples (equal weights for posterior draws,
importance weights for new subjects).
"""

from __future__ import annotations

import numpy as np

from camg_bayes.physiology.state import ROUTES, deficient, route_contributions

#: Central probability of every reported interval.
PROB = 0.90
#: Steady-state quantities summarised by their weighted mean (score column <name>_mean).
MEANS = {
    "absorbed_mg": "absorbed_mg_mean",
    "urine_mg_true": "urine_mg_mean",
    "femg": "femg_mean",
    "ca_ion_true": "ca_ion_mean",
}


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, q) -> np.ndarray:
    """Quantiles of weighted samples, per subject (inverse of the weighted empirical CDF).

    Parameters
    ----------
    values, weights : numpy.ndarray
        ``(subject, sample)``.
    q : sequence of float
        Probabilities.

    Returns
    -------
    numpy.ndarray
        ``(len(q), subject)``. Between the midpoints of the cumulative weights the values
        are interpolated linearly, as :func:`numpy.interp` does.
    """
    order = np.argsort(values, axis=-1)
    v = np.take_along_axis(values, order, axis=-1)
    w = np.take_along_axis(weights, order, axis=-1)
    w = w / w.sum(axis=-1, keepdims=True)
    mid = np.cumsum(w, axis=-1) - w / 2
    out = []
    rows = np.arange(len(v))
    for p in np.atleast_1d(q):
        j = np.clip((mid <= p).sum(axis=-1) - 1, 0, v.shape[-1] - 2)
        x0, x1 = mid[rows, j], mid[rows, j + 1]
        f0, f1 = v[rows, j], v[rows, j + 1]
        inside = (f1 - f0) / (x1 - x0) * (p - x0) + f0
        out.append(np.where(p <= mid[:, 0], v[:, 0], np.where(p >= mid[:, -1], v[:, -1], inside)))
    return np.asarray(out)


def truncated_weights(log_ratio: np.ndarray) -> np.ndarray:
    """Normalised importance weights along the last axis, truncated at mean x sqrt(n).

    Truncation bounds the variance of the weights (Ionides 2008).
    """
    r = np.exp(log_ratio - np.max(log_ratio, axis=-1, keepdims=True))
    r = np.minimum(r, r.mean(axis=-1, keepdims=True) * np.sqrt(r.shape[-1]))
    return r / r.sum(axis=-1, keepdims=True)


def route_index(draws, design, latent: dict, state: dict) -> np.ndarray:
    """Index into :data:`ROUTES` of the route that lowers stores most, ``(sample, subject)``."""
    contributions = route_contributions(draws.broadcast(), draws.covariates(design), latent, state)
    return np.argmin(np.stack([contributions[r] for r in ROUTES]), axis=0).astype(np.int8)


def summarise(state: dict, weights: np.ndarray, threshold: float) -> dict:
    """Per-subject weighted summaries of states ``(subject, sample)``.

    ``state`` may carry ``route`` (:func:`route_index`, transposed alike): the deficient
    draws are then split by the route that lowered stores most.

    Returns
    -------
    dict
        Score columns -> ``(subject,)`` arrays: ``p_deficient``, ``p_renal_loss``,
        ``p_gut_loss`` (deficient through the kidney, through the gut; the rest through
        low intake), ``serum_mg_true_mean``, ``_lo``, ``_hi`` (90 % interval),
        ``mg_status_mean``, ``_lo``, ``_hi`` and the means of :data:`MEANS`.
    """
    serum, status = state["serum_mg_true"], state["mg_status"]
    tails = [(1 - PROB) / 2, (1 + PROB) / 2]
    s_lo, s_hi = weighted_quantiles(serum, weights, tails)
    m_lo, m_hi = weighted_quantiles(status, weights, tails)
    out = {
        "p_deficient": np.sum(weights * deficient(serum, threshold), axis=-1),
        "serum_mg_true_mean": np.sum(weights * serum, axis=-1),
        "serum_mg_true_lo": s_lo,
        "serum_mg_true_hi": s_hi,
        "mg_status_mean": np.sum(weights * status, axis=-1),
        "mg_status_lo": m_lo,
        "mg_status_hi": m_hi,
    }
    for key, column in MEANS.items():
        out[column] = np.sum(weights * state[key], axis=-1)
    if "route" in state:
        below = weights * deficient(serum, threshold)
        out["p_renal_loss"] = np.sum(below * (state["route"] == ROUTES.index("renal")), axis=-1)
        out["p_gut_loss"] = np.sum(below * (state["route"] == ROUTES.index("gut")), axis=-1)
    return out


def drivers(
    serum: np.ndarray, weights: np.ndarray, terms: dict, threshold: float, p: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The measurement whose removal moves ``p_deficient`` most, and by how much.

    Parameters
    ----------
    serum, weights : numpy.ndarray
        ``(subject, sample)``.
    terms : dict
        Column -> ``(log-likelihood (subject, sample), has (subject,))``: the measurement's
        log-likelihood at each sample, and which subjects have the measurement.
    threshold : float
        Deficiency threshold, mmol/L.
    p : numpy.ndarray
        ``p_deficient`` per subject.

    Returns
    -------
    tuple of numpy.ndarray
        The driver's column name ("" if none) and ``p - p_without``, per subject.
    """
    best = np.full(len(p), "", dtype=object)
    shift = np.zeros(len(p))
    below = deficient(serum, threshold)
    log_w = np.log(np.maximum(weights, 1e-300))
    for column, (loglik, has) in terms.items():
        w = truncated_weights(log_w - loglik)
        moved = p - np.sum(w * below, axis=-1)
        better = has & (np.abs(moved) > np.abs(shift))
        best[better] = column
        shift[better] = moved[better]
    return best, shift
