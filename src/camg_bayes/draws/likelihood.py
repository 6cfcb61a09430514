"""The log-likelihood groups of a fit: conditional on each subject's latents, and integrated.

* :func:`pointwise_dataset`: each observed variable's log-likelihood at every posterior
  draw, conditional on the subject's own latents (the ``log_likelihood`` group);
* :func:`integrated_dataset`: each subject's likelihood with its latents integrated out,
  at thinned draws (the ``log_likelihood_marginal`` group, the basis of
  leave-one-subject-out PSIS-LOO; see :mod:`camg_bayes.draws.importance`).

Leaving one subject out changes that subject's latents completely, so PSIS-LOO on the
conditional likelihood fails (Pareto k > 0.7 for most subjects); on the integrated one it
works (Merkle, Furr & Rabe-Hesketh 2019; Vehtari et al. 2016).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import special

from camg_bayes.draws.draws import Draws
from camg_bayes.draws.importance import Proposal, integrated_loglik, weighted_moments
from camg_bayes.model.design import Design
from camg_bayes.physiology.variation import stack

#: Name of the integrated log-likelihood group of a fit.
INTEGRATED = "log_likelihood_marginal"
#: Name of the group of each subject's density under the literature-prior population.
PRIOR_DENSITY = "log_likelihood_prior"
#: Per-subject quantities stored in a fit's posterior group.
SUBJECT_QUANTITIES = ("serum_mg_true", "mg_status")


def pointwise_dataset(draws: Draws, design: Design, *, chunk: int = 250) -> xr.Dataset:
    """The ``log_likelihood`` group: every observed variable at every posterior draw.

    Parameters
    ----------
    draws : Draws
        All draws of a fit's posterior, in (chain, draw) order.
    design : Design
        The fit's design.
    chunk : int
        Samples evaluated together.

    Returns
    -------
    xarray.Dataset
        ``<column>_mean`` (chain, draw, ``<column>_subject``) and ``<column>_ss`` (chain,
        draw, ``<column>_repeat``) for each measurement.
    """
    posterior = draws.posterior
    n_chain, n_draw = posterior.sizes["chain"], posterior.sizes["draw"]
    pieces: dict[str, list] = {}
    for part in draws.chunks(chunk):
        _, state = part.fitted_states(design)
        for name, values in part.loglik(design, state).items():
            pieces.setdefault(name, []).append(values)
    coords = {"chain": posterior["chain"].values, "draw": posterior["draw"].values}
    data = {}
    for name, parts in pieces.items():
        column, _, kind = name.rpartition("_")
        summary = design.summaries[column]
        index = summary.subject if kind == "mean" else summary.subject[summary.repeated]
        dim = f"{column}_subject" if kind == "mean" else f"{column}_repeat"
        coords[dim] = design.subjects[index]
        values = np.concatenate(parts, axis=0).reshape(n_chain, n_draw, -1)
        data[name] = (("chain", "draw", dim), values)
    return xr.Dataset(data, coords=coords)


def subject_quantities(draws: Draws, design: Design, *, chunk: int = 250) -> xr.Dataset:
    """True serum Mg and Mg stores of every subject at every posterior draw (float32).

    The model does not carry them as deterministics (that would compile and store the whole
    state a second time per draw); they are recomputed here with the same functions.
    """
    posterior = draws.posterior
    n_chain, n_draw = posterior.sizes["chain"], posterior.sizes["draw"]
    values = {name: [] for name in SUBJECT_QUANTITIES}
    for part in draws.chunks(chunk):
        _, state = part.fitted_states(design)
        for name in SUBJECT_QUANTITIES:
            values[name].append(state[name].astype(np.float32))
    data = {
        name: (("chain", "draw", "subject"), np.concatenate(v).reshape(n_chain, n_draw, -1))
        for name, v in values.items()
    }
    coords = {
        "chain": posterior["chain"].values,
        "draw": posterior["draw"].values,
        "subject": design.subjects,
    }
    return xr.Dataset(data, coords=coords)


def integrated_dataset(
    draws: Draws,
    design: Design,
    *,
    draws_per_chain: int = 125,
    samples: int = 64,
    chunk: int = 25,
    rng: np.random.Generator,
) -> xr.Dataset:
    """The ``log_likelihood_marginal`` group: each subject's integrated log-likelihood.

    ``draws`` and ``design`` are as in :func:`pointwise_dataset`.

    Parameters
    ----------
    draws_per_chain : int
        Posterior draws per chain kept (evenly spaced).
    samples : int
        Importance samples of the latents per draw and subject.
    chunk : int
        Subjects evaluated together.
    rng : numpy.random.Generator

    Returns
    -------
    xarray.Dataset
        ``all_measurements`` (chain, draw, subject), with ``draw`` the kept draw numbers,
        and ``is_ess`` (subject): the smallest effective sample size of the importance
        weights over draws.
    """
    posterior = draws.posterior
    n_chain, n_draw = posterior.sizes["chain"], posterior.sizes["draw"]
    keep = np.unique(np.linspace(0, n_draw - 1, min(draws_per_chain, n_draw)).astype(int))
    thinned = draws.take((np.arange(n_chain)[:, None] * n_draw + keep[None, :]).ravel())
    out = np.empty((thinned.n, design.n))
    ess = np.empty(design.n)
    for start in range(0, design.n, chunk):
        index = np.arange(start, min(start + chunk, design.n))
        part = design.subset(index)
        # the subjects' own posterior draws of their latents, over every draw of the fit
        proposal = Proposal(*_moments(stack(draws.fitted_latents(part))))
        out[:, index], ess[index] = integrated_loglik(
            thinned, part, proposal, samples=samples, rng=rng
        )
    return xr.Dataset(
        {
            "all_measurements": (
                ("chain", "draw", "subject"),
                out.reshape(n_chain, len(keep), design.n),
            ),
            "is_ess": (("subject",), ess),
        },
        coords={
            "chain": posterior["chain"].values,
            "draw": posterior["draw"].values[keep],
            "subject": design.subjects,
        },
    )


def prior_dataset(
    draws: Draws,
    design: Design,
    *,
    n_draws: int = 100,
    samples: int = 32,
    chunk: int = 25,
    rng: np.random.Generator,
) -> xr.Dataset:
    r"""Each subject's density under the literature-prior population, latents integrated.

    :math:`\log p(y_i) = \log \frac{1}{S} \sum_s p(y_i \mid \theta_s)`, with
    :math:`\theta_s` drawn from the priors and each :math:`p(y_i \mid \theta_s)` estimated
    as in :func:`integrated_dataset` (the proposal: the subject's draws in the fit).

    Parameters
    ----------
    draws : Draws
        All draws of a fit's posterior (for the proposals).
    design : Design
        The fit's design.

    Returns
    -------
    xarray.Dataset
        ``all_measurements`` (subject).
    """
    prior = Draws.from_prior(draws.config, n=n_draws, rng=rng)
    out = np.empty(design.n)
    for start in range(0, design.n, chunk):
        index = np.arange(start, min(start + chunk, design.n))
        part = design.subset(index)
        proposal = Proposal(*_moments(stack(draws.fitted_latents(part))))
        loglik, _ = integrated_loglik(prior, part, proposal, samples=samples, rng=rng)
        out[index] = special.logsumexp(loglik, axis=0) - np.log(prior.n)
    return xr.Dataset(
        {"all_measurements": (("subject",), out)}, coords={"subject": design.subjects}
    )


def _moments(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance per subject of equally weighted latents ``(n, J, d)``."""
    return weighted_moments(u, np.ones(u.shape[:2]))
