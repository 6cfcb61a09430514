"""The model evaluated in numpy on posterior draws: parameters, latents, states, likelihoods.

A fit stores the free variables. Everything else (the steady state of every subject at
every draw, the pointwise log-likelihood, replicated readings) is recomputed here with
the same functions the PyMC model was built from (:mod:`camg_bayes.state`,
:mod:`camg_bayes.observation`), in chunks of draws to bound memory.

Arrays carry a flat leading ``sample`` axis (chain x draw) and a ``subject`` axis.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import xarray as xr

from camg_bayes.design import Design
from camg_bayes.observation import MEASUREMENTS, location, loglik_mean, loglik_ss
from camg_bayes.priors import ModelConfig
from camg_bayes.state import intake_latents, steady_state


def _flat(values: np.ndarray) -> np.ndarray:
    """Merge the leading (chain, draw) axes."""
    return values.reshape(-1, *values.shape[2:])


def theta_samples(posterior: xr.Dataset, config: ModelConfig) -> dict[str, np.ndarray]:
    """Every model parameter per sample: free ones from the posterior, fixed ones broadcast.

    Returns
    -------
    dict
        ``name -> array`` of shape ``(sample,)`` or ``(sample, 2)`` for ``sex`` parameters.
    """
    n = posterior.sizes["chain"] * posterior.sizes["draw"]
    out = {}
    for name, prior in config.priors.items():
        if name in posterior:
            out[name] = _flat(posterior[name].values)
        else:
            out[name] = np.broadcast_to(prior.center(), (n, *prior.shape)).copy()
    return out


def for_subjects(theta: dict, k: int = 1) -> dict:
    """Add ``k`` axes after the sample axis so parameters broadcast against subjects."""
    out = {}
    for name, value in theta.items():
        shape = value.shape
        out[name] = value.reshape(shape[:1] + (1,) * k + shape[1:])
    return out


def covariates(design: Design, site_intake=None, site_status=None) -> dict:
    """Subject covariates with site offsets per sample (``(sample, subject)`` or zeros)."""
    cov = {key: value for key, value in design.cov.items() if key != "site"}
    index = design.cov["site"]
    for key, offsets in (("site_intake", site_intake), ("site_status", site_status)):
        if offsets is None or not design.sites:
            cov[key] = np.zeros(design.n)
        else:
            padded = np.concatenate([offsets, np.zeros((offsets.shape[0], 1))], axis=1)
            cov[key] = padded[:, np.where(index >= 0, index, offsets.shape[1])]
    return cov


def chunks(n: int, size: int) -> Iterator[slice]:
    """Slices of ``range(n)`` of at most ``size`` elements."""
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def subject_states(
    tree: xr.DataTree, config: ModelConfig, design: Design, draws=None
) -> tuple[dict, dict]:
    """Parameters and steady states of every subject for a slice of the flattened draws.

    Parameters
    ----------
    tree : xarray.DataTree
        A fit.
    config : ModelConfig
        Its configuration.
    design : Design
        Its cohort design.
    draws : slice, optional
        Which flattened samples; all if None.

    Returns
    -------
    tuple of dict
        ``theta`` (parameters shaped ``(sample, 1[, 2])``) and ``state`` (quantities of
        :func:`camg_bayes.state.steady_state`, shape ``(sample, subject)``), plus the
        latents under ``state["latent"]`` and the covariates (with the sampled site
        offsets) under ``state["cov"]``.
    """
    posterior = tree["posterior"].to_dataset()
    draws = slice(None) if draws is None else draws
    theta_all = theta_samples(posterior, config)
    theta = {k: v[draws] for k, v in theta_all.items()}
    site_intake = (
        _flat(posterior["site_intake"].values)[draws] if "site_intake" in posterior else None
    )
    site_status = (
        _flat(posterior["site_status"].values)[draws] if "site_status" in posterior else None
    )
    cov = covariates(design, site_intake, site_status)
    theta_b = for_subjects(theta)
    z = _flat(posterior["intake_z"].values)[draws]
    log_mg, log_ca = intake_latents(theta_b, cov, z[..., 0], z[..., 1])
    latent = {
        "log_intake_mg": log_mg,
        "log_intake_ca": log_ca,
        "status_z": _flat(posterior["status_z"].values)[draws],
        "ca_z": _flat(posterior["ca_z"].values)[draws],
    }
    state = steady_state(theta_b, cov, latent, mg_dependent_pth=config.switches["mg_dependent_pth"])
    state["latent"] = latent
    state["cov"] = cov
    return theta_b, state


def pointwise_loglik(theta_b: dict, state: dict, design: Design) -> dict[str, np.ndarray]:
    """Log-likelihood of each observed variable, per sample and summarised subject.

    Returns
    -------
    dict
        ``<column>_mean`` of shape ``(sample, n_subjects_with_readings)`` and
        ``<column>_ss`` of shape ``(sample, n_repeated)``. Their sum per subject is the
        model's log-likelihood (up to constants), matching the PyMC model term by term.
    """
    out = {}
    for m in MEASUREMENTS:
        summary = design.summaries.get(m.column)
        if summary is None:
            continue
        within = theta_b[m.within]
        between = theta_b[m.between] if m.between else 0.0
        mu = location(m, state[m.state][:, summary.subject], within, np)
        out[f"{m.column}_mean"] = loglik_mean(summary, mu, within, between)
        if len(summary.repeated):
            out[f"{m.column}_ss"] = loglik_ss(summary, within)
    return out


def log_likelihood_dataset(
    tree: xr.DataTree, config: ModelConfig, design: Design, chunk: int = 250
) -> xr.Dataset:
    """The ``log_likelihood`` group of a fit, computed in numpy.

    Parameters
    ----------
    tree : xarray.DataTree
        A fit with a ``posterior`` group.
    config, design
        The fit's configuration and cohort design.
    chunk : int
        Samples per chunk.

    Returns
    -------
    xarray.Dataset
        ``<column>_mean`` (chain, draw, ``<column>_subject``) and ``<column>_ss`` (chain,
        draw, ``<column>_repeat``) for each measurement, conditional on each subject's
        latents (for leave-one-subject-out LOO use :mod:`camg_bayes.marginal`).
    """
    posterior = tree["posterior"].to_dataset()
    n_chain, n_draw = posterior.sizes["chain"], posterior.sizes["draw"]
    pieces: dict[str, list] = {}
    for part in chunks(n_chain * n_draw, chunk):
        theta_b, state = subject_states(tree, config, design, part)
        for name, values in pointwise_loglik(theta_b, state, design).items():
            pieces.setdefault(name, []).append(values)
    data = {}
    coords = {
        "chain": posterior["chain"].values,
        "draw": posterior["draw"].values,
    }
    for name, parts in pieces.items():
        values = np.concatenate(parts, axis=0)
        column, _, kind = name.rpartition("_")
        summary = design.summaries[column]
        index = summary.subject if kind == "mean" else summary.subject[summary.repeated]
        dim = f"{column}_subject" if kind == "mean" else f"{column}_repeat"
        coords[dim] = design.subjects[index]
        data[name] = (("chain", "draw", dim), values.reshape(n_chain, n_draw, -1))
    return xr.Dataset(data, coords=coords)
