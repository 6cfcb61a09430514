"""Joint draws of the model's parameters, and the model evaluated at them, in numpy.

A :class:`Draws` holds draws of every population parameter (fixed ones broadcast) and of
the site offsets, from a fit's posterior (:meth:`Draws.from_posterior`, usually through
:meth:`camg_bayes.fitting.fitfile.Fit.draws`) or from the literature priors
(:meth:`Draws.from_prior`). It is the only numpy code that:

* gives each subject its covariates with its site's offsets (:meth:`Draws.covariates`);
* draws subjects' latents from the population (:meth:`Draws.prior_latents`), reads the
  fit's own (:meth:`Draws.fitted_latents`, from draws that carry them: see
  :meth:`camg_bayes.fitting.fitfile.Fit.subject_draws`), and turns latents into steady states
  (:meth:`Draws.states`);
* evaluates the log-likelihood of a cohort's readings (:meth:`Draws.loglik`).

It calls the same functions the PyMC model is built from (:mod:`camg_bayes.physiology`),
so the numpy paths and the model speak one model. Arrays carry a flat leading ``sample``
axis and the subjects on the last axis.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import xarray as xr

from camg_bayes.model.config import ModelConfig, load_config
from camg_bayes.model.design import Design
from camg_bayes.physiology import variation
from camg_bayes.physiology.observation import (
    expectations,
    gross_error,
    loglik_mean,
    loglik_ss,
    ss_positions,
    ss_subjects,
)
from camg_bayes.physiology.parameters import expand
from camg_bayes.physiology.state import site_effect, steady_state

#: Site levels with offsets, and the covariate each one shifts.
SITE_LEVELS = {"intake": "site_intake", "status": "site_status"}


def flat(values: np.ndarray) -> np.ndarray:
    """Merge the leading (chain, draw) axes into one sample axis."""
    return values.reshape(-1, *values.shape[2:])


@dataclass(frozen=True)
class Draws:
    """Draws of the population parameters, and of a fit's subject latents.

    Attributes
    ----------
    theta : dict
        ``name -> (sample,)`` or ``(sample, 2)`` arrays, every parameter of ``config`` and
        the derived SDs (:func:`camg_bayes.physiology.parameters.expand`).
    site_offsets : dict
        ``"intake"``/``"status"`` -> ``(sample, site)`` offsets (empty without sites).
    sites : tuple of str
        Site labels the offsets belong to.
    config : ModelConfig
    source : str
        ``"literature prior"`` or ``"fitted (data hash ..., variant ...)"``.
    latents : numpy.ndarray or None
        The fit's subject latents at these samples, natural units, ``(sample, subject,
        latent)`` in the order of :data:`camg_bayes.physiology.variation.LATENTS`
        (:meth:`fitted_latents` reads them); None for draws of the population alone.
    subjects : numpy.ndarray or None
        Identifiers of the subjects on the second axis of ``latents``.
    """

    theta: dict
    site_offsets: dict
    sites: tuple
    config: ModelConfig
    source: str
    latents: np.ndarray | None = None
    subjects: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of samples."""
        return len(next(iter(self.theta.values())))

    @classmethod
    def from_posterior(
        cls, posterior: xr.Dataset, config: ModelConfig, *, source: str, samples=None
    ) -> Draws:
        """Draws of a fit's population parameters: all samples, or the flat positions ``samples``.

        Parameters
        ----------
        posterior : xarray.Dataset
            A fit's ``posterior`` group.
        config : ModelConfig
            Its configuration (fixed parameters are broadcast from it).
        source : str
            Description of the population, for tables and reports.
        samples : array_like of int, optional
            Flat (chain x draw) positions to keep, in that order.
        """
        n_total = posterior.sizes["chain"] * posterior.sizes["draw"]
        index = np.arange(n_total) if samples is None else np.asarray(samples, dtype=int)
        theta = {}
        for name, prior in config.priors.items():
            if name in posterior:
                theta[name] = flat(posterior[name].values)[index]
            else:
                theta[name] = np.broadcast_to(prior.center(), (len(index), *prior.shape)).copy()
        offsets = {
            level: flat(posterior[name].values)[index]
            for level, name in SITE_LEVELS.items()
            if name in posterior
        }
        sites = tuple(posterior["site"].values.astype(str)) if "site" in posterior.coords else ()
        return cls(expand(theta), offsets, sites, config, source)

    def with_latents(self, latents: np.ndarray, subjects) -> Draws:
        """These draws with the fit's subject latents at the same samples attached."""
        if len(latents) != self.n:
            raise ValueError(f"{len(latents)} samples of latents for {self.n} draws")
        return replace(self, latents=latents, subjects=np.asarray(subjects).astype(str))

    @classmethod
    def from_prior(
        cls, config: ModelConfig | None = None, *, n: int, rng: np.random.Generator
    ) -> Draws:
        """Draws of the literature priors (``models/default.toml``, or ``config``).

        Site offsets are not drawn: every subject counts as from an average site.
        """
        config = config or load_config()
        return cls(expand(config.sample(rng, n)), {}, (), config, "literature prior")

    def take(self, index) -> Draws:
        """The samples at positions ``index``."""
        index = np.asarray(index, dtype=int) if not isinstance(index, slice) else index
        return replace(
            self,
            theta={k: v[index] for k, v in self.theta.items()},
            site_offsets={k: v[index] for k, v in self.site_offsets.items()},
            latents=None if self.latents is None else self.latents[index],
        )

    def thin(self, n: int, rng: np.random.Generator) -> Draws:
        """A random subset of ``n`` samples (all of them if there are no more), in order."""
        if n >= self.n:
            return self
        return self.take(np.sort(rng.choice(self.n, n, replace=False)))

    def chunks(self, size: int) -> Iterator[Draws]:
        """The samples in consecutive chunks of at most ``size``."""
        for start in range(0, self.n, size):
            yield self.take(slice(start, min(start + size, self.n)))

    def broadcast(self, k: int = 1) -> dict:
        """Parameters with ``k`` axes after the sample axis, to broadcast against subjects."""
        return {
            name: value.reshape(value.shape[:1] + (1,) * k + value.shape[1:])
            for name, value in self.theta.items()
        }

    def site_index(self, design: Design) -> np.ndarray:
        """Each subject's site position among :attr:`sites`, -1 if unknown or none."""
        position = {site: i for i, site in enumerate(self.sites)}
        return np.array([position.get(s, -1) for s in design.site_labels()], dtype=int)

    def covariates(self, design: Design) -> dict:
        """Each subject's covariates, with its site's offsets per sample.

        Returns
        -------
        dict
            The design's covariates (``(subject,)``) and ``site_intake``,
            ``site_status``: ``(sample, subject)``, or zeros ``(subject,)`` without sites.
            A site the draws do not know counts as the average site.
        """
        cov = {key: value for key, value in design.cov.items() if key != "site"}
        index = self.site_index(design) if self.site_offsets and design.sites else None
        for level, key in SITE_LEVELS.items():
            if index is None or level not in self.site_offsets:
                cov[key] = np.zeros(design.n)
            else:
                cov[key] = site_effect(self.site_offsets[level], index)
        return cov

    def states(self, design: Design, latent: dict) -> dict:
        """Steady states ``(sample, subject)`` at the latents (each ``(sample, subject)``)."""
        switch = self.config.switches["mg_dependent_pth"]
        return steady_state(
            self.broadcast(), self.covariates(design), latent, mg_dependent_pth=switch
        )

    def prior_latents(self, design: Design, rng: np.random.Generator) -> dict:
        """One draw of every subject's latents from the population, per sample."""
        return variation.sample(self.broadcast(), self.covariates(design), rng, (self.n, design.n))

    def prior_logpdf(self, design: Design, latent: dict) -> np.ndarray:
        """Log prior density of the latents ``(sample, subject)`` under each sample."""
        return variation.prior_logpdf(self.broadcast(), self.covariates(design), latent)

    def fitted_latents(self, design: Design) -> dict:
        """The latents of the fit's own subjects at these samples, each ``(sample, subject)``.

        ``design`` holds subjects of the fit (its design, or a subset of it).
        """
        if self.latents is None:
            raise ValueError("these draws carry no subject latents (population draws only)")
        position = {s: i for i, s in enumerate(self.subjects)}
        rows = np.array([position[s] for s in design.subjects], dtype=int)
        return variation.unstack(self.latents[:, rows].astype(float))

    def fitted_states(self, design: Design) -> tuple[dict, dict]:
        """Latents and steady states of the fit's own subjects (``design``: the fit's)."""
        latent = self.fitted_latents(design)
        return latent, self.states(design, latent)

    def loglik(self, design: Design, state: dict) -> dict:
        """Log-likelihood of the design's readings at the states, term by term.

        Returns
        -------
        dict
            ``<column>_mean`` ``(sample, subjects with readings)`` and ``<column>_ss``
            ``(sample, subjects with repeats)``: the terms of the PyMC model's observed
            variables, up to constants.
        """
        out = {}
        theta = self.broadcast()
        for m, summary, mu, within, between in expectations(theta, state, design.summaries):
            gross = gross_error(m, theta)
            out[f"{m.column}_mean"] = loglik_mean(summary, mu, within, between, gross)
            positions = ss_positions(summary, gross)
            if len(positions):
                out[f"{m.column}_ss"] = loglik_ss(summary, within, positions)
        return out


def by_subject(design: Design, terms: dict) -> dict:
    """Each measurement's log-likelihood per subject ``(sample, subject)``, 0 without readings.

    Parameters
    ----------
    design : Design
    terms : dict
        From :meth:`Draws.loglik`.
    """
    out = {}
    for column, summary in design.summaries.items():
        mean = terms[f"{column}_mean"]
        total = np.zeros((*mean.shape[:-1], design.n))
        total[..., summary.subject] = mean
        if f"{column}_ss" in terms:
            ss = terms[f"{column}_ss"]
            total[..., ss_subjects(summary, ss.shape[-1])] += ss
        out[column] = total
    return out
