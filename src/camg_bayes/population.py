"""Population draws: from a fit's posterior, or from the literature priors.

A :class:`Population` is a set of joint draws of every population parameter (and the
site offsets of the sites it knows). New subjects are scored against it by integrating
their own latent variables (:mod:`camg_bayes.importance`), so a fitted population can be
reused for any number of new subjects without refitting, and the literature-prior
population gives a first answer with no fit at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from camg_bayes.cohort import subject_hashes
from camg_bayes.io import fit_cohort, fit_config
from camg_bayes.posterior import theta_samples
from camg_bayes.priors import ModelConfig, load_config


@dataclass(frozen=True)
class Population:
    """Joint draws of the population parameters.

    Attributes
    ----------
    theta : dict
        ``name -> (draw,)`` or ``(draw, 2)`` arrays, every parameter of the configuration.
    site_intake, site_status : numpy.ndarray or None
        Site offsets ``(draw, site)`` (None without sites).
    sites : tuple of str
        Site labels the offsets belong to.
    config : ModelConfig
    source : str
        ``"literature prior"`` or ``"fitted (data hash ...)"``.
    """

    theta: dict
    site_intake: np.ndarray | None
    site_status: np.ndarray | None
    sites: tuple
    config: ModelConfig
    source: str

    @property
    def n_draws(self) -> int:
        """Number of draws."""
        return len(next(iter(self.theta.values())))

    @property
    def is_prior(self) -> bool:
        """True for the literature-prior population."""
        return self.source == "literature prior"


def _thin(n_total: int, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    if n_draws >= n_total:
        return np.arange(n_total)
    return np.sort(rng.choice(n_total, n_draws, replace=False))


def population_from_fit(tree: xr.DataTree, *, n_draws: int = 1000, random_seed=None) -> Population:
    """Population draws from a fit's posterior (a random subset of ``n_draws`` draws)."""
    config = fit_config(tree)
    posterior = tree["posterior"].to_dataset()
    theta = theta_samples(posterior, config)
    keep = _thin(len(theta["age_ref"]), n_draws, np.random.default_rng(random_seed))
    theta = {k: v[keep] for k, v in theta.items()}
    offsets = {}
    for level in ("intake", "status"):
        name = f"site_{level}"
        if name in posterior:
            values = posterior[name].values
            offsets[level] = values.reshape(-1, values.shape[-1])[keep]
    sites = tuple(posterior["site"].values.astype(str)) if "site" in posterior.coords else ()
    return Population(
        theta,
        offsets.get("intake"),
        offsets.get("status"),
        sites,
        config,
        f"fitted (data hash {tree.attrs['data_hash']}, variant {config.variant})",
    )


def population_from_prior(
    config: ModelConfig | None = None, *, n_draws: int = 1000, random_seed=None
) -> Population:
    """Population draws from the literature priors of ``models/default.toml``.

    Site offsets are not drawn: a subject's site is treated as an average site.
    """
    config = config or load_config()
    theta = config.sample(np.random.default_rng(random_seed), n_draws)
    return Population(theta, None, None, (), config, "literature prior")


def population_for(
    fit: xr.DataTree | None, config: ModelConfig | None, *, n_draws: int, rng: np.random.Generator
) -> Population:
    """The fit's population if there is a fit, else the literature-prior one of ``config``."""
    if fit is not None:
        return population_from_fit(fit, n_draws=n_draws, random_seed=rng)
    return population_from_prior(config, n_draws=n_draws, random_seed=rng)


def fitted_subjects(ds: xr.Dataset, fit: xr.DataTree | None) -> dict[str, int]:
    """Subjects of ``ds`` that were in ``fit`` with the same readings -> their index in the fit.

    A subject whose identifier is in the fit but whose readings differ is left out: it is
    scored as a new subject.
    """
    if fit is None:
        return {}
    stored = fit_cohort(fit)
    fitted, mine = subject_hashes(stored), subject_hashes(ds)
    position = {s: i for i, s in enumerate(stored["subject"].values.astype(str))}
    return {s: position[s] for s, h in mine.items() if fitted.get(s) == h}
