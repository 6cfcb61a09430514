"""Sampling: ``fit(cohort)`` runs NUTS (nutpie) and returns a :class:`Fit`.

Its tree has ``posterior`` (the population parameters at every draw), ``sample_stats``,
``subject_summary`` and ``subject_draws`` (each subject reduced as the draws stream: every
score column from all draws, and the latents at a thinned set of draws; see
:mod:`camg_bayes.draws.reduce`), ``log_likelihood_marginal`` (each subject's likelihood
with its latents integrated out, at the kept draws: the basis of leave-one-subject-out
PSIS-LOO, see :mod:`camg_bayes.draws.likelihood`), ``log_likelihood_prior`` and
``cohort`` (the validated cohort, subject x occasion). A fit made with
``keep_all_draws=True`` keeps every draw of the subjects' latents, true serum Mg and
stores, the sampler's coordinates and the conditional ``log_likelihood``.
Its attributes carry the model configuration, its fingerprint, the data hash, the seed,
the sampler settings, the kind of fit and the package versions.
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
import pytensor
import xarray as xr
from pymc.model.transform.optimization import freeze_dims_and_data

from camg_bayes import __version__, seeds
from camg_bayes.cohort import data_hash, load_cohort
from camg_bayes.cohort.describe import cohort_ranges
from camg_bayes.draws import (
    INTEGRATED,
    PRIOR_DENSITY,
    SUBJECT_DRAWS,
    SUMMARY,
    Draws,
    flat_positions,
    integrated_dataset,
    pointwise_dataset,
    prior_dataset,
    reduce_subjects,
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


def numerics(settings: SamplerSettings) -> dict:
    """What determines a fit's numbers besides its inputs and seed (recorded with the fit).

    The same seed, inputs and these give bit-identical draws, whether the PyTensor compile
    cache is warm or cold: the log density and its gradient are compiled by JAX (XLA), which
    keeps no persistent cache here, and nutpie is called on one code path.
    """
    import platform

    import jax

    pymc = settings.sampler == "pymc"
    return {
        "sampler": settings.sampler,
        "backend": "pytensor" if pymc else settings.backend,
        "gradient": "jax" if settings.backend == "jax" and not pymc else "pytensor",
        "jax_enable_x64": bool(jax.config.jax_enable_x64),
        "jax_compilation_cache_dir": jax.config.jax_compilation_cache_dir,
        "xla_flags": os.environ.get("XLA_FLAGS", ""),
        "floatX": pytensor.config.floatX,
        "machine": platform.machine(),
        "processor": platform.processor(),
        "jax": jax.__version__,
        "nutpie_seed_rule": "default_rng(seed).spawn(chains)[0].integers(2**30)",
    }


def fit(
    cohort,
    config: ModelConfig | None = None,
    *,
    settings: SamplerSettings | None = None,
    progressbar: bool = False,
    keep_all_draws: bool = False,
    prior_weight: float = 1.0,
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
    keep_all_draws : bool
        Keep every draw of every subject (by its layout a file ~10-15 times larger); by default a
        fit keeps the subjects' summaries from all draws and their latents at
        :data:`camg_bayes.draws.reduce.KEPT_PER_CHAIN` draws per chain.
    prior_weight : float
        The population prior raised to this power (``1 / K`` for one of K shards of a
        consensus fit, :mod:`camg_bayes.fitting.consensus`); recorded in the attributes.
        Such a fit is a shard's, not a posterior to report.

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
    start = time.perf_counter()
    # PyTensor records a stack trace for every graph node it builds, for error messages
    # only; off, the gradient graph builds in a fraction of the time
    with pytensor.config.change_flags(traceback__limit=0):
        model = build_model(design, config, prior_weight=prior_weight)
        tree = _sample(model, design, config, settings, progressbar)
    elapsed = time.perf_counter() - start
    _require_complete(tree, settings)
    tree = _reduce(tree, ds, design, config, seed, keep_all_draws)
    tree.attrs.update(_provenance(ds, config, settings, model, tree, elapsed))
    tree.attrs["fit_kind"] = "all_draws" if keep_all_draws else "compact"
    tree.attrs["prior_weight"] = float(prior_weight)
    tree.attrs["postprocessing_time_s"] = time.perf_counter() - start - elapsed
    return Fit(tree)


def _reduce(
    sampled: xr.DataTree, ds, design, config: ModelConfig, seed: int, keep_all: bool
) -> xr.DataTree:
    """The fit's tree: population draws, subjects reduced as they stream, likelihoods."""
    posterior = sampled["posterior"].to_dataset()
    coords = {"chain": posterior["chain"].values, "draw": posterior["draw"].values}
    draws = Draws.from_posterior(posterior, config, source="fit")
    reduction = reduce_subjects(
        draws,
        design,
        posterior["latent_z"].values,
        threshold=config.threshold,
        keep_all=keep_all,
        coords=coords,
    )
    kept = reduction.subject_draws
    n_draw = posterior.sizes["draw"]
    positions = np.searchsorted(coords["draw"], kept["draw"].values)
    flat = flat_positions(len(coords["chain"]), n_draw, positions)
    latents = kept["latents"].values.reshape(len(flat), design.n, -1)
    kept_draws = draws.take(flat).with_latents(latents, design.subjects)
    kept_coords = {"chain": coords["chain"], "draw": kept["draw"].values}
    rng = seeds.generator(seed, "loo")
    groups = {
        "posterior": posterior if keep_all else posterior.drop_vars("latent_z"),
        "sample_stats": sampled["sample_stats"].to_dataset(),
        SUMMARY: reduction.summary,
        SUBJECT_DRAWS: kept,
        INTEGRATED: integrated_dataset(kept_draws, design, reduction.summary, kept_coords, rng=rng),
        PRIOR_DENSITY: prior_dataset(config, design, reduction.summary, rng=rng),
        "cohort": ds.drop_attrs(),
    }
    if keep_all:
        groups["log_likelihood"] = pointwise_dataset(kept_draws, design, kept_coords)
    used = {dim for var in groups["posterior"].data_vars.values() for dim in var.dims}
    groups["posterior"] = groups["posterior"].drop_dims(
        [dim for dim in groups["posterior"].dims if dim not in used]
    )
    tree = xr.DataTree.from_dict(groups)
    tree["posterior"].attrs.update(sampled["posterior"].attrs)
    return tree


def for_jax(model: pm.Model) -> pm.Model:
    """The model as the JAX backend compiles it: double precision on, dims and data frozen.

    The model is double precision and JAX defaults to single; JAX needs static shapes.
    """
    import jax

    jax.config.update("jax_enable_x64", True)
    return freeze_dims_and_data(model)


def _sample(model, design, config: ModelConfig, settings: SamplerSettings, progressbar: bool):
    """Run NUTS (nutpie) from data-informed starting points; the posterior DataTree.

    nutpie is called directly: ``pm.sample`` would first assign PyMC's own step methods,
    which builds the model's gradient graph once more only to discard it (measured: 38 of
    76 s of a 200-person fit). The seed reaches nutpie as ``pm.sample`` would pass it.
    """
    if settings.sampler == "pymc":
        return _sample_pymc(model, design, config, settings, progressbar)
    import nutpie

    compile_kwargs = {"backend": settings.backend}
    if settings.backend == "jax":
        # frozen here so that the jittered variables are this model's own (nutpie would
        # otherwise freeze a copy)
        model = for_jax(model)
        compile_kwargs |= {"gradient_backend": "jax", "freeze_model": False}
    compiled = nutpie.compile_pymc_model(
        model,
        jitter_rvs=jitter_variables(model),
        initial_points=initial_values(design, config, random_seed=settings.random_seed),
        **compile_kwargs,
    )
    chain_seed = np.random.default_rng(settings.random_seed).spawn(settings.chains)[0]
    start = time.perf_counter()
    tree = nutpie.sample(
        compiled,
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        cores=_cores(settings),
        seed=int(chain_seed.integers(2**30)),
        save_warmup=False,
        progress_bar=progressbar,
        target_accept=settings.target_accept,
        maxdepth=settings.max_treedepth,
        adaptation=settings.adaptation,
    )
    tree["posterior"].attrs.update(
        sampling_time=time.perf_counter() - start, tuning_steps=settings.tune
    )
    return tree


def _sample_pymc(model, design, config: ModelConfig, settings: SamplerSettings, progressbar):
    """PyMC's own NUTS on the same model, starting values and settings (for benchmarks).

    As with nutpie, only the subjects' coordinates are jittered between chains (by
    U(-1, 1), :func:`camg_bayes.model.start.jitter_variables`); PyMC's own jitter of every
    variable starts chains where the density is not finite. A diagonal mass matrix is
    adapted and warm-up draws are discarded. PyMC forks a process per chain; where JAX
    has already started its threads (a nutpie fit earlier in the same process), JAX
    warns that a fork may deadlock, so run the two in separate processes
    (``benchmarks/fit_scaling.py`` does) or with ``cores=1``. ``forkserver`` would
    avoid the fork but re-imports the caller's main script in every chain.
    """
    rng = np.random.default_rng(settings.random_seed)
    base = initial_values(design, config, random_seed=settings.random_seed)
    shape = (design.n, len(model.coords["latent"]))
    initvals = [base | {"latent_z": rng.uniform(-1.0, 1.0, shape)} for _ in range(settings.chains)]
    start = time.perf_counter()
    tree = pm.sample(
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        cores=_cores(settings),
        random_seed=settings.random_seed,
        initvals=initvals,
        init="adapt_diag",
        nuts_sampler="pymc",
        target_accept=settings.target_accept,
        max_treedepth=settings.max_treedepth,
        progressbar=progressbar,
        compute_convergence_checks=False,
        model=model,
    )
    tree["posterior"].attrs.update(
        sampling_time=time.perf_counter() - start, tuning_steps=settings.tune
    )
    return tree


def _cores(settings: SamplerSettings) -> int:
    """Chains run in parallel: as set, else one per chain up to the number of CPUs."""
    return settings.cores or min(settings.chains, os.cpu_count() or 1)


def _require_complete(tree: xr.DataTree, settings: SamplerSettings) -> None:
    """Raise ``KeyboardInterrupt`` if the sampler stopped early.

    On Ctrl-C nutpie stops the chains and returns the draws made so far; a fit of fewer
    draws than asked is not a fit to keep, so the interruption is passed on (nothing is
    saved).
    """
    sizes = tree["posterior"].sizes if "posterior" in tree.children else {}
    if sizes.get("chain", 0) < settings.chains or sizes.get("draw", 0) < settings.draws:
        raise KeyboardInterrupt(
            f"sampling stopped after {sizes.get('draw', 0)} of {settings.draws} draws"
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
        "cohort_units": json.dumps(dict(ds.attrs.get("declared_units", {}))),
        "cohort_ranges": json.dumps(cohort_ranges(ds)),
        "random_seed": settings.random_seed,
        "sampler_settings": json.dumps(asdict(settings)),
        "population_parameters": json.dumps(population_parameters(model)),
        "numerics": json.dumps(numerics(settings)),
        "wall_time_s": elapsed,
        "sampling_time_s": sampling_time,
        "compile_time_s": elapsed - sampling_time,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
