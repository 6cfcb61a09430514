"""Scoring and fitting past one process, on a Dask cluster (:mod:`camg_bayes.parallel`).

* :func:`score_on_cluster`: the cohort is cut into chunks of subjects; each worker loads
  the fit file once (from a path every worker can read) and scores its chunks with
  :func:`camg_bayes.scores.scoring.score`. Chunk ``k`` draws from the ``k``-th child of
  the run's seed, so a result depends on the seed and the chunk size, not on which worker
  ran what.
* :func:`stratified_subsample` and :func:`fit_on_cluster`: for cohorts past what one
  machine fits in reasonable time, the population is fitted on a subsample stratified by
  sex and site (run as one task on the cluster); everyone is then scored against it.

Limits: the subsample's fit estimates the population; subjects outside it are scored as
new subjects (importance sampling against that population), so their probabilities are
those of a person scored against a fitted population, not of a joint fit of everyone.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import pandas as pd
import xarray as xr

from camg_bayes import seeds
from camg_bayes.cohort.subsets import sex_site_strata, subjects_of

#: Subjects scored per task.
CHUNK = 2000


@functools.lru_cache(maxsize=2)
def _fit_of(path: str, modified: float):
    """The fit at ``path`` (cached per worker process; ``modified`` keys a rewritten file)."""
    from camg_bayes.fitting.fitfile import Fit

    return Fit.load(path)


def _score_chunk(ds: xr.Dataset, fit_path, seed, kwargs: dict) -> pd.DataFrame:
    import warnings

    from camg_bayes.scores.scoring import score

    fit = None if fit_path is None else _fit_of(fit_path, os.path.getmtime(fit_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the caller has shown the cohort's warnings
        return score(ds, fit, random_seed=seed, **kwargs)


def score_on_cluster(
    ds: xr.Dataset, fit_path, client, *, chunk: int = CHUNK, random_seed=None, **kwargs
) -> pd.DataFrame:
    """Score every subject of ``ds`` in chunks on the Dask ``client``.

    Parameters
    ----------
    ds : xarray.Dataset
        A validated cohort.
    fit_path : path or None
        A fit file every worker can read; None for the literature-prior population.
    client : distributed.Client
    chunk : int
        Subjects per task.
    random_seed : int, optional
        The run's seed; chunk ``k`` uses its ``k``-th child.
    **kwargs
        Passed to :func:`camg_bayes.scores.scoring.score` (``threshold``, ``n_draws``,
        ``config``).

    Returns
    -------
    pandas.DataFrame
        As :func:`~camg_bayes.scores.scoring.score`, subjects in the cohort's order.
    """
    subjects = ds["subject"].values
    parts = [subjects[i : i + chunk] for i in range(0, len(subjects), chunk)]
    children = seeds.sequence(random_seed).spawn(len(parts))
    path = None if fit_path is None else os.path.abspath(fit_path)
    futures = [
        client.submit(_score_chunk, ds.sel(subject=part), path, child, kwargs, pure=False)
        for part, child in zip(parts, children, strict=True)
    ]
    tables = client.gather(futures)
    table = pd.concat(tables, ignore_index=True)
    table.attrs.update(tables[0].attrs)
    table.attrs["n_in_fit"] = int(sum(t.attrs.get("n_in_fit", 0) for t in tables))
    table.attrs["chunks"] = len(parts)
    return table


def stratified_subsample(ds: xr.Dataset, n: int, rng: np.random.Generator) -> xr.Dataset:
    """``n`` subjects drawn without replacement, proportionally from each sex x site stratum.

    Every stratum keeps at least one subject; the cohort itself if it has ``n`` or fewer.
    """
    total = ds.sizes["subject"]
    if n >= total:
        return ds
    chosen = []
    for members in sex_site_strata(ds):
        k = max(1, round(n * len(members) / total))
        chosen.extend(rng.choice(members, min(k, len(members)), replace=False))
    chosen = np.sort(np.asarray(chosen))
    return subjects_of(ds, chosen, subsample=f"{len(chosen)} of {total}, by sex and site")


def _fit_task(ds, config, settings, keep_all_draws):
    from camg_bayes.fitting.sample import fit

    return fit(ds, config, settings=settings, keep_all_draws=keep_all_draws)


def fit_on_cluster(ds, config, settings, client, keep_all_draws: bool = False):
    """Fit ``ds`` (for example a :func:`stratified_subsample`) as one task on the cluster.

    Returns the :class:`~camg_bayes.fitting.fitfile.Fit`.
    """
    future = client.submit(_fit_task, ds, config, settings, keep_all_draws, pure=False)
    return future.result()
