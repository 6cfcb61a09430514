r"""Posterior of one new subject's latents, per population draw, by importance sampling.

Given population draws :math:`\theta_s` and a subject's readings :math:`y`, the subject's
four latents are, on the standardised scale, :math:`u \sim N(0, I_4)` a priori (usual
Mg and Ca intake deviates, Mg status deviation, Ca set-point deviation). The joint
posterior of :math:`(\theta, u)` given :math:`y` is approximated by self-normalised
importance sampling over pairs :math:`(\theta_s, u_{sk})`:

1. *Pilot:* :math:`u \sim N(0, I)`; weights :math:`p(y \mid u, \theta_s)`.
2. *Adapted:* a defensive mixture :math:`q = 0.9\,N(m, 2C) + 0.1\,N(0, I)`, with
   :math:`m, C` the pilot's weighted mean and covariance (Hesterberg 1995);
   weights :math:`p(y \mid u, \theta_s) N(u; 0, I) / q(u)`.

Normalising the weights jointly over all pairs also conditions :math:`\theta` on the new
subject's data (a negligible update for one subject in a large cohort). The effective
sample size of the weights is reported; the likelihood is the model's own
(:mod:`camg_bayes.observation`), and the states come from :mod:`camg_bayes.state`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from camg_bayes.design import Design
from camg_bayes.observation import MEASUREMENTS, Summary, location, loglik_mean, loglik_ss
from camg_bayes.population import Population
from camg_bayes.posterior import for_subjects
from camg_bayes.state import latents_from_standard, steady_state

N_LATENT = 4


@dataclass
class WeightedSubject:
    """Weighted joint samples of one subject's latents and the population parameters.

    Attributes
    ----------
    state : dict
        Steady-state quantities, each ``(draw, sample)``.
    weights : numpy.ndarray
        Normalised importance weights ``(draw, sample)``.
    loglik : dict
        Log-likelihood of each measurement the subject has, ``(draw, sample)``.
    u : numpy.ndarray
        Standardised latents ``(draw, sample, 4)``.
    prior_state : dict
        States of the pilot's prior samples (the population without this subject's data).
    ess : float
        Effective sample size of the weights.
    """

    state: dict
    weights: np.ndarray
    loglik: dict
    u: np.ndarray
    prior_state: dict
    ess: float


def subject_summaries(design: Design, j: int) -> dict[str, Summary]:
    """The sufficient statistics of subject ``j`` alone, per measurement it has."""
    out = {}
    for column, summary in design.summaries.items():
        position = np.flatnonzero(summary.subject == j)
        if position.size:
            p = position[0]
            out[column] = Summary(
                np.array([0]),
                summary.count[p : p + 1],
                summary.mean[p : p + 1],
                summary.ss[p : p + 1],
                summary.extra_sd[p : p + 1],
            )
    return out


def subject_covariates(design: Design, j: int, population: Population, draws: np.ndarray) -> dict:
    """Covariates of subject ``j`` with its site offsets per population draw ``(draw, 1)``."""
    cov = {k: np.asarray(v[j], dtype=float) for k, v in design.cov.items() if k != "site"}
    site = design.sites[design.cov["site"][j]] if design.cov["site"][j] >= 0 else None
    for level, offsets in (("intake", population.site_intake), ("status", population.site_status)):
        if site is not None and offsets is not None and site in population.sites:
            cov[f"site_{level}"] = offsets[draws, population.sites.index(site)][:, None]
        else:  # an unknown site counts as the average site
            cov[f"site_{level}"] = np.zeros((len(draws), 1))
    return cov


def evaluate(theta_b: dict, cov: dict, u: np.ndarray, summaries: dict, mg_dependent_pth: bool):
    """States and per-measurement log-likelihoods at latents ``u`` ``(draw, sample, 4)``."""
    latent = latents_from_standard(theta_b, cov, u)
    state = steady_state(theta_b, cov, latent, mg_dependent_pth=mg_dependent_pth)
    loglik = {}
    for m in MEASUREMENTS:
        if m.column not in summaries:
            continue
        summary = summaries[m.column]
        within = theta_b[m.within]
        between = theta_b[m.between] if m.between else 0.0
        mu = location(m, state[m.state], within, np)
        term = loglik_mean(summary, mu, within, between)
        if summary.count[0] > 1:
            term = term + loglik_ss(summary, within)
        loglik[m.column] = term
    return state, loglik


def _normalise(log_w: np.ndarray) -> tuple[np.ndarray, float]:
    log_w = np.where(np.isfinite(log_w), log_w, -np.inf)
    w = np.exp(log_w - special.logsumexp(log_w))
    return w, float(1.0 / np.sum(w**2))


def _log_normal_density(u: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    chol = np.linalg.cholesky(cov)
    z = np.linalg.solve(chol, (u - mean).reshape(-1, N_LATENT).T).T.reshape(u.shape)
    return -0.5 * (z**2).sum(-1) - np.log(np.diag(chol)).sum() - 0.5 * N_LATENT * np.log(2 * np.pi)


def weigh_subject(
    population: Population,
    design: Design,
    j: int,
    *,
    pilot: int = 16,
    samples: int = 48,
    rng: np.random.Generator,
) -> WeightedSubject:
    """Importance-sample subject ``j``'s latents against every population draw.

    Parameters
    ----------
    population : Population
    design : Design
        Design of the cohort holding the subject.
    j : int
        Subject index in ``design``.
    pilot, samples : int
        Latent samples per population draw in the pilot and the adapted stage.
    rng : numpy.random.Generator
    """
    draws = np.arange(population.n_draws)
    theta_b = for_subjects(population.theta)
    cov = subject_covariates(design, j, population, draws)
    summaries = subject_summaries(design, j)
    pth_switch = population.config.switches["mg_dependent_pth"]

    u0 = rng.standard_normal((len(draws), pilot, N_LATENT))
    prior_state, ll0 = evaluate(theta_b, cov, u0, summaries, pth_switch)
    log_w0 = sum(ll0.values()) if ll0 else np.zeros(u0.shape[:2])
    w0, ess0 = _normalise(log_w0)
    if not summaries:
        return WeightedSubject(prior_state, w0, ll0, u0, prior_state, ess0)

    flat_u, flat_w = u0.reshape(-1, N_LATENT), w0.ravel()
    mean = flat_w @ flat_u
    centred = flat_u - mean
    cov_u = (centred * flat_w[:, None]).T @ centred + 1e-3 * np.eye(N_LATENT)
    cov_q = 2.0 * cov_u
    chol = np.linalg.cholesky(cov_q)
    shape = (len(draws), samples)
    from_adapted = rng.random(shape) < 0.9
    u1 = np.where(
        from_adapted[..., None],
        mean + rng.standard_normal((*shape, N_LATENT)) @ chol.T,
        rng.standard_normal((*shape, N_LATENT)),
    )
    log_prior = _log_normal_density(u1, np.zeros(N_LATENT), np.eye(N_LATENT))
    log_q = np.logaddexp(
        np.log(0.9) + _log_normal_density(u1, mean, cov_q), np.log(0.1) + log_prior
    )
    state, ll1 = evaluate(theta_b, cov, u1, summaries, pth_switch)
    w1, ess1 = _normalise(sum(ll1.values()) + log_prior - log_q)
    return WeightedSubject(state, w1, ll1, u1, prior_state, ess1)
