"""Sampling: ``fit(cohort)`` runs NUTS (nutpie) and returns a labelled DataTree.

The returned tree has ``posterior`` (population parameters, subject latents, and the
deterministics ``serum_mg_true`` and ``mg_status``), ``sample_stats``, ``observed_data``,
``constant_data``, ``log_likelihood`` (each observed variable, conditional on the subject's
latents), ``log_likelihood_marginal`` (each subject's likelihood with its latents
integrated out, at thinned draws: the basis of leave-one-subject-out PSIS-LOO, see
:mod:`camg_bayes.marginal`) and ``cohort`` (the validated cohort, subject x occasion).
Its attributes carry the model configuration, its fingerprint, the data hash, the seed,
the sampler settings and the package versions.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict

import numpy as np
import pymc as pm
import xarray as xr

from camg_bayes import __version__
from camg_bayes.cohort import data_hash
from camg_bayes.design import build_design
from camg_bayes.loading import load_cohort
from camg_bayes.marginal import GROUP as MARGINAL
from camg_bayes.marginal import marginal_loglik
from camg_bayes.model import (
    build_model,
    initial_values,
    jitter_variables,
    population_parameters,
)
from camg_bayes.posterior import log_likelihood_dataset
from camg_bayes.priors import ModelConfig, load_config
from camg_bayes.settings import SamplerSettings


def software_versions() -> dict[str, str]:
    """Versions of the packages that produced a fit."""
    import arviz
    import nutpie
    import pytensor

    return {
        "camg_bayes": __version__,
        "pymc": pm.__version__,
        "pytensor": pytensor.__version__,
        "arviz": arviz.__version__,
        "nutpie": nutpie.__version__,
        "numpy": np.__version__,
        "xarray": xr.__version__,
    }


def fit(
    cohort,
    config: ModelConfig | None = None,
    *,
    settings: SamplerSettings | None = None,
    progressbar: bool = False,
    **overrides,
) -> xr.DataTree:
    """Fit the model to a cohort.

    Parameters
    ----------
    cohort : xarray.Dataset, pandas.DataFrame or path
        A validated cohort or anything :func:`camg_bayes.loading.load_cohort` reads.
    config : ModelConfig, optional
        Priors and switches; the defaults if None.
    settings : SamplerSettings, optional
        Sampler settings; keyword ``overrides`` (``draws=``, ``chains=``, ...) replace
        single fields.
    progressbar : bool
        Show nutpie's progress bar.

    Returns
    -------
    xarray.DataTree
        See the module docstring.

    Examples
    --------
    >>> from camg_bayes.simulate import simulate
    >>> cohort = simulate(30, random_seed=1).cohort
    >>> tree = fit(cohort, draws=50, tune=50, chains=1)  # doctest: +SKIP
    """
    config = config or load_config()
    settings = settings or SamplerSettings()
    if overrides:
        settings = SamplerSettings(**(asdict(settings) | overrides))
    seed = settings.random_seed
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31 - 1))
        settings = SamplerSettings(**(asdict(settings) | {"random_seed": seed}))
    ds = cohort if isinstance(cohort, xr.Dataset) else load_cohort(cohort)
    design = build_design(ds, config)
    model = build_model(design, config)

    start = time.perf_counter()
    tree = pm.sample(
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        cores=settings.cores or min(settings.chains, os.cpu_count() or 1),
        random_seed=seed,
        model=model,
        progressbar=progressbar,
        quiet=True,
        compute_convergence_checks=False,
        nuts={"target_accept": settings.target_accept, "maxdepth": settings.max_treedepth},
        compile_kwargs={
            "jitter_rvs": jitter_variables(model),
            "initial_points": initial_values(design, config, random_seed=seed),
        },
    )
    elapsed = time.perf_counter() - start
    sampling_time = float(tree["posterior"].attrs.get("sampling_time", np.nan))
    tree["log_likelihood"] = xr.DataTree(log_likelihood_dataset(tree, config, design))
    tree[MARGINAL] = xr.DataTree(marginal_loglik(tree, config, design, random_seed=seed))
    tree["cohort"] = xr.DataTree(ds.drop_attrs())
    tree.attrs.update(
        {
            "camg_bayes_version": __version__,
            "software_versions": json.dumps(software_versions()),
            "model_config": config.to_json(),
            "config_fingerprint": config.fingerprint(),
            "variant": config.variant,
            "data_hash": ds.attrs.get("data_hash") or data_hash(ds),
            "cohort_source": str(ds.attrs.get("source", "")),
            "cohort_warnings": json.dumps(list(ds.attrs.get("warnings", []))),
            "cohort_columns": json.dumps(list(ds.attrs.get("columns", []))),
            "random_seed": seed,
            "sampler_settings": json.dumps(asdict(settings)),
            "population_parameters": json.dumps(population_parameters(model)),
            "wall_time_s": elapsed,
            "sampling_time_s": sampling_time,
            "compile_time_s": elapsed - sampling_time,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
    )
    return tree
