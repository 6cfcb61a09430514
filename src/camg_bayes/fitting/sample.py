"""Sampling: ``fit(cohort)`` runs NUTS (nutpie) and returns a :class:`Fit`.

Its tree has ``posterior`` (population parameters, subject latents, and the
deterministics ``serum_mg_true`` and ``mg_status``), ``sample_stats``, ``observed_data``,
``constant_data``, ``log_likelihood`` (each observed variable, conditional on the subject's
latents), ``log_likelihood_marginal`` (each subject's likelihood with its latents
integrated out, at thinned draws: the basis of leave-one-subject-out PSIS-LOO, see
:mod:`camg_bayes.draws.likelihood`) and ``cohort`` (the validated cohort, subject x occasion).
Its attributes carry the model configuration, its fingerprint, the data hash, the seed,
the sampler settings and the package versions.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict

# Chains already run in parallel, one per core: XLA's own CPU threads would only compete with
# them (measured: 3.3 -> 2.0 ms per gradient at 1,000 subjects). Set before JAX starts.
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import numpy as np
import pymc as pm
import xarray as xr
from pymc.model.transform.optimization import freeze_dims_and_data

from camg_bayes import __version__, seeds
from camg_bayes.cohort import data_hash, load_cohort
from camg_bayes.draws import (
    INTEGRATED,
    PRIOR_DENSITY,
    Draws,
    integrated_dataset,
    pointwise_dataset,
    prior_dataset,
    subject_quantities,
)
from camg_bayes.fitting.fitfile import Fit
from camg_bayes.fitting.settings import SamplerSettings
from camg_bayes.model.build import build_model, population_parameters
from camg_bayes.model.config import ModelConfig, load_config
from camg_bayes.model.design import build_design
from camg_bayes.model.start import initial_values, jitter_variables


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
) -> Fit:
    """Fit the model to a cohort.

    Parameters
    ----------
    cohort : xarray.Dataset, pandas.DataFrame or path
        A validated cohort or anything :func:`camg_bayes.cohort.load_cohort` reads.
    config : ModelConfig, optional
        Priors and switches; the defaults if None.
    settings : SamplerSettings, optional
        Sampler settings; keyword ``overrides`` (``draws=``, ``chains=``, ...) replace
        single fields. The seed (``random_seed``) drives the sampler and the chains'
        starting jitter; the integrated likelihood draws from its own stream of it.
    progressbar : bool
        Show nutpie's progress bar.

    Returns
    -------
    Fit
        Its tree is described in the module docstring.

    Examples
    --------
    >>> from camg_bayes.model.simulate import simulate
    >>> cohort = simulate(30, random_seed=1).cohort
    >>> result = fit(cohort, draws=50, tune=50, chains=1)  # doctest: +SKIP
    """
    config = config or load_config()
    settings = settings or SamplerSettings()
    if overrides:
        settings = SamplerSettings(**(asdict(settings) | overrides))
    seed = seeds.sampler_seed(settings.random_seed)
    settings = SamplerSettings(**(asdict(settings) | {"random_seed": seed}))
    ds = cohort if isinstance(cohort, xr.Dataset) else load_cohort(cohort)
    design = build_design(ds, config)
    model = build_model(design, config)

    start = time.perf_counter()
    tree = _sample(model, design, config, settings, progressbar)
    elapsed = time.perf_counter() - start
    draws = Draws.from_posterior(tree["posterior"].to_dataset(), config, source="fit")
    tree["posterior"] = xr.DataTree(
        tree["posterior"].to_dataset().merge(subject_quantities(draws, design))
    )
    tree["log_likelihood"] = xr.DataTree(pointwise_dataset(draws, design))
    rng = seeds.generator(seed, "loo")
    tree[INTEGRATED] = xr.DataTree(integrated_dataset(draws, design, rng=rng))
    tree[PRIOR_DENSITY] = xr.DataTree(prior_dataset(draws, design, rng=rng))
    tree["cohort"] = xr.DataTree(ds.drop_attrs())
    tree.attrs.update(_provenance(ds, config, settings, model, tree, elapsed))
    return Fit(tree)


def _sample(model, design, config: ModelConfig, settings: SamplerSettings, progressbar: bool):
    """Run NUTS (nutpie) from data-informed starting points; the posterior DataTree."""
    compile_kwargs = {}
    if settings.backend == "jax":
        import jax

        # the model is double precision; JAX defaults to single
        jax.config.update("jax_enable_x64", True)
        # JAX needs static shapes; freeze here so that the jittered variables are this
        # model's own (nutpie would otherwise freeze a copy)
        model = freeze_dims_and_data(model)
        compile_kwargs = {"gradient_backend": "jax", "freeze_model": False}
    compile_kwargs |= {
        "jitter_rvs": jitter_variables(model),
        "initial_points": initial_values(design, config, random_seed=settings.random_seed),
    }
    return pm.sample(
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        cores=settings.cores or min(settings.chains, os.cpu_count() or 1),
        random_seed=settings.random_seed,
        model=model,
        progressbar=progressbar,
        quiet=True,
        compute_convergence_checks=False,
        nuts={"target_accept": settings.target_accept, "maxdepth": settings.max_treedepth},
        backend=settings.backend,
        compile_kwargs=compile_kwargs,
    )


def _provenance(ds, config: ModelConfig, settings: SamplerSettings, model, tree, elapsed) -> dict:
    """The attributes a fit carries: configuration, data hash, seed, settings, versions."""
    sampling_time = float(tree["posterior"].attrs.get("sampling_time", np.nan))
    return {
        "camg_bayes_version": __version__,
        "software_versions": json.dumps(software_versions()),
        "model_config": config.to_json(),
        "config_fingerprint": config.fingerprint(),
        "variant": config.variant,
        "data_hash": ds.attrs.get("data_hash") or data_hash(ds),
        "cohort_source": str(ds.attrs.get("source", "")),
        "cohort_warnings": json.dumps(list(ds.attrs.get("warnings", []))),
        "cohort_columns": json.dumps(list(ds.attrs.get("columns", []))),
        "random_seed": settings.random_seed,
        "sampler_settings": json.dumps(asdict(settings)),
        "population_parameters": json.dumps(population_parameters(model)),
        "wall_time_s": elapsed,
        "sampling_time_s": sampling_time,
        "compile_time_s": elapsed - sampling_time,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
