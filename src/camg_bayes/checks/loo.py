"""Leave-one-subject-out PSIS-LOO of a fit, and model comparison between fits.

Both use each subject's integrated likelihood (its latents integrated out; see
:mod:`camg_bayes.draws.likelihood`), stored with the fit or computed here if it is absent.
"""

from __future__ import annotations

import warnings

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes import seeds
from camg_bayes.draws.likelihood import INTEGRATED, integrated_dataset
from camg_bayes.errors import CamgError
from camg_bayes.fitting.fitfile import Fit


def integrated_loglik(fit: Fit, *, random_seed: seeds.Seed = None) -> xr.Dataset:
    """The fit's integrated log-likelihood group, computed (from its seed) if it lacks it."""
    if INTEGRATED in fit.tree.children:
        return fit.log_likelihood("integrated")
    seed = fit.attrs["random_seed"] if random_seed is None else random_seed
    rng = seeds.generator(seed, "loo")
    kept = fit.tree["subject_draws"]
    coords = {"chain": kept["chain"].values, "draw": kept["draw"].values}
    return integrated_dataset(fit.subject_draws(), fit.design, fit.summary, coords, rng=rng)


def integrated_tree(fit: Fit) -> xr.DataTree:
    """Posterior and integrated per-subject log-likelihood at the same (thinned) draws."""
    integrated = integrated_loglik(fit)
    posterior = fit.posterior.sel(draw=integrated["draw"].values)
    return xr.DataTree.from_dict(
        {"posterior": posterior, "log_likelihood": integrated[["all_measurements"]]}
    )


def loo(fit: Fit):
    """Leave-one-subject-out PSIS-LOO of a fit (ArviZ ``ELPDData``).

    Pareto k diagnostics are in the result (``pareto_k``) and in :func:`compare`'s table.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        return az.loo(integrated_tree(fit), var_name="all_measurements", pointwise=True)


def compare(fits: dict[str, Fit]) -> pd.DataFrame:
    """Compare fits of the same cohort by PSIS-LOO.

    Parameters
    ----------
    fits : dict
        Label -> fit. All must be fits of the same cohort (same data hash).

    Returns
    -------
    pandas.DataFrame
        ArviZ's comparison (``elpd``, ``p``, ``elpd_diff``, ``dse``, ``weight``, ...), plus
        ``variant``, ``k_over_0.7`` (subjects with Pareto k > 0.7) and ``k_max``.
    """
    hashes = {label: fit.data_hash for label, fit in fits.items()}
    if len(set(hashes.values())) > 1:
        raise CamgError(
            "fits of different cohorts cannot be compared by LOO: "
            + ", ".join(f"{k} (data {v})" for k, v in hashes.items())
        )
    elpd = {label: loo(fit) for label, fit in fits.items()}
    # Keep raw numbers (ArviZ 1.x rounds elpd to the digits its SE supports); display rounds.
    table = az.compare(elpd, var_name="all_measurements", round_to="none")
    for label, result in elpd.items():
        k = np.asarray(result.pareto_k)
        table.loc[label, "variant"] = fits[label].config.variant
        table.loc[label, "k_over_0.7"] = int((k > 0.7).sum())
        table.loc[label, "k_max"] = float(np.max(k))
    return table
