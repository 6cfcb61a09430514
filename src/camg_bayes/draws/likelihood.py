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

from camg_bayes.draws.draws import Draws
from camg_bayes.draws.importance import Proposal, integrated_loglik
from camg_bayes.model.design import Design
from camg_bayes.physiology.backend import logsumexp
from camg_bayes.physiology.observation import ss_subjects

#: Name of the integrated log-likelihood group of a fit.
INTEGRATED = "log_likelihood_marginal"
#: Name of the group of each subject's density under the literature-prior population.
PRIOR_DENSITY = "log_likelihood_prior"


def pointwise_dataset(
    draws: Draws, design: Design, coords: dict, *, chunk: int = 250
) -> xr.Dataset:
    """Every observed variable's log-likelihood at the draws, conditional on the latents.

    Parameters
    ----------
    draws : Draws
        Draws that carry the fit's subject latents, in (chain, draw) order.
    design : Design
        The fit's design.
    coords : dict
        ``chain`` and ``draw`` coordinate values of the draws.
    chunk : int
        Samples evaluated together.

    Returns
    -------
    xarray.Dataset
        ``<column>_mean`` (chain, draw, ``<column>_subject``) and ``<column>_ss`` (chain,
        draw, ``<column>_repeat``) for each measurement.
    """
    n_chain, n_draw = len(coords["chain"]), len(coords["draw"])
    pieces: dict[str, list] = {}
    for part in draws.chunks(chunk):
        _, state = part.fitted_states(design)
        for name, values in part.loglik(design, state).items():
            pieces.setdefault(name, []).append(values)
    coords = {"chain": coords["chain"], "draw": coords["draw"]}
    data = {}
    for name, parts in pieces.items():
        column, _, kind = name.rpartition("_")
        summary = design.summaries[column]
        values = np.concatenate(parts, axis=0).reshape(n_chain, n_draw, -1)
        index = summary.subject if kind == "mean" else ss_subjects(summary, values.shape[-1])
        dim = f"{column}_subject" if kind == "mean" else f"{column}_repeat"
        coords[dim] = design.subjects[index]
        data[name] = (("chain", "draw", dim), values)
    return xr.Dataset(data, coords=coords)


def proposal_of(summary: xr.Dataset, design: Design) -> Proposal:
    """Each subject's posterior mean and covariance of its latents (from a fit's summary)."""
    rows = summary.indexes["subject"].get_indexer(design.subjects)
    return Proposal(summary["latent_mean"].values[rows], summary["latent_cov"].values[rows])


def integrated_dataset(
    draws: Draws,
    design: Design,
    summary: xr.Dataset,
    coords: dict,
    *,
    samples: int = 32,
    chunk: int = 25,
    rng: np.random.Generator,
) -> xr.Dataset:
    """The ``log_likelihood_marginal`` group: each subject's integrated log-likelihood.

    Parameters
    ----------
    draws : Draws
        Population draws (a fit's kept draws), in (chain, draw) order.
    design : Design
        The fit's design.
    summary : xarray.Dataset
        The fit's subject summary: the moments of each subject's latents over all draws
        shape its importance proposal.
    coords : dict
        ``chain`` and ``draw`` coordinate values of ``draws``.
    samples : int
        Importance samples of the latents per draw and subject.
    chunk : int
        Subjects evaluated together.
    rng : numpy.random.Generator

    Returns
    -------
    xarray.Dataset
        ``all_measurements`` (chain, draw, subject) and ``is_ess`` (subject): the smallest
        effective sample size of the importance weights over draws.
    """
    out = np.empty((draws.n, design.n))
    ess = np.empty(design.n)
    for start in range(0, design.n, chunk):
        index = np.arange(start, min(start + chunk, design.n))
        part = design.subset(index)
        out[:, index], ess[index] = integrated_loglik(
            draws, part, proposal_of(summary, part), samples=samples, rng=rng
        )
    n_chain, n_draw = len(coords["chain"]), len(coords["draw"])
    return xr.Dataset(
        {
            "all_measurements": (
                ("chain", "draw", "subject"),
                out.reshape(n_chain, n_draw, design.n),
            ),
            "is_ess": (("subject",), ess),
        },
        coords={"chain": coords["chain"], "draw": coords["draw"], "subject": design.subjects},
    )


def prior_dataset(
    config,
    design: Design,
    summary: xr.Dataset,
    *,
    n_draws: int = 100,
    samples: int = 32,
    chunk: int = 25,
    rng: np.random.Generator,
) -> xr.Dataset:
    r"""Each subject's density under the literature-prior population, latents integrated.

    :math:`\log p(y_i) = \log \frac{1}{S} \sum_s p(y_i \mid \theta_s)`, with
    :math:`\theta_s` drawn from the priors of ``config`` and each
    :math:`p(y_i \mid \theta_s)` estimated as in :func:`integrated_dataset` (the
    proposal: the subject's latents in the fit, from ``summary``).

    Returns
    -------
    xarray.Dataset
        ``all_measurements`` (subject).
    """
    prior = Draws.from_prior(config, n=n_draws, rng=rng)
    out = np.empty(design.n)
    for start in range(0, design.n, chunk):
        index = np.arange(start, min(start + chunk, design.n))
        part = design.subset(index)
        loglik, _ = integrated_loglik(
            prior, part, proposal_of(summary, part), samples=samples, rng=rng
        )
        out[index] = logsumexp(loglik, axis=0) - np.log(prior.n)
    return xr.Dataset(
        {"all_measurements": (("subject",), out)}, coords={"subject": design.subjects}
    )
