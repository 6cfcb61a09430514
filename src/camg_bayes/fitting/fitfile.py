"""A fit and its file: :class:`Fit` owns the tree and what every later stage needs from it.

A :class:`Fit` holds the DataTree of a fit and computes its model configuration, stored
cohort, design and posterior once, on first use; every later stage (draws, checks, scores,
report) takes a ``Fit``. It is saved as NetCDF (or Zarr) and checked on the way back in.

A saved fit carries its model configuration (JSON) and that configuration's
fingerprint, the data hash of the cohort it was fitted to (the cohort itself is stored
in the ``cohort`` group), the seed, the sampler settings and the software versions.
:func:`load_fit` refuses a file that is not a fit, is corrupted (its stored cohort or
configuration no longer matches its recorded hash or fingerprint), or was made with a
different model configuration than the one the caller expects.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import numpy as np
import xarray as xr

from camg_bayes import __version__
from camg_bayes.cohort import data_hash, schema, units
from camg_bayes.draws.draws import Draws
from camg_bayes.draws.likelihood import INTEGRATED
from camg_bayes.draws.reduce import SUBJECT_DRAWS, SUMMARY, flat_positions
from camg_bayes.errors import FitFileError
from camg_bayes.files import atomic_path
from camg_bayes.model.config import ModelConfig
from camg_bayes.model.design import Design, build_design

REQUIRED_GROUPS = ("posterior", "sample_stats", SUMMARY)
#: Per-subject summaries a ``--no-data`` fit keeps (under an anonymous index).
SHAREABLE_SUMMARY = ("serum_mg_true_rhat", "serum_mg_true_ess_bulk", "serum_mg_true_ess_tail")
#: Kinds of fit file and the groups each must hold besides :data:`REQUIRED_GROUPS`.
KINDS = {
    "compact": ("cohort", SUBJECT_DRAWS),
    "all_draws": ("cohort", SUBJECT_DRAWS, "log_likelihood"),
    "no_data": (),
}
REQUIRED_ATTRS = (
    "camg_bayes_version",
    "model_config",
    "config_fingerprint",
    "data_hash",
    "random_seed",
)


class Fit:
    """A fit of the model to a cohort: its tree and what is derived from it, computed once.

    Parameters
    ----------
    tree : xarray.DataTree
        A tree made by :func:`camg_bayes.fitting.sample.fit` (or read by :meth:`load`).

    Attributes
    ----------
    tree : xarray.DataTree
        Groups ``posterior``, ``sample_stats``, ``subject_summary``, ``subject_draws``,
        ``log_likelihood_marginal``, ``log_likelihood_prior``, ``cohort`` (see
        :mod:`camg_bayes.fitting.sample` and :data:`KINDS`); attributes as in
        :data:`REQUIRED_ATTRS` and more.

    Examples
    --------
    >>> fit = Fit.load("out/fit.nc")  # doctest: +SKIP
    >>> fit.config.variant, fit.design.n, fit.n_samples  # doctest: +SKIP
    ('full', 1000, 8000)
    """

    def __init__(self, tree: xr.DataTree):
        self.tree = tree

    @classmethod
    def load(cls, path, config: ModelConfig | None = None) -> Fit:
        """Read and check a saved fit (see :func:`load_fit`)."""
        return cls(load_fit(path, config))

    def save(self, path) -> Path:
        """Write the fit (see :func:`save_fit`)."""
        return save_fit(self.tree, path)

    def __repr__(self) -> str:
        return (
            f"Fit(variant={self.config.variant!r}, subjects={self.summary.sizes['subject']}, "
            f"chains={self.posterior.sizes['chain']}, draws={self.posterior.sizes['draw']}, "
            f"data_hash={self.data_hash!r}, seed={self.attrs['random_seed']})"
        )

    def _repr_html_(self) -> str:  # notebooks show the tree
        return self.tree._repr_html_()

    @property
    def attrs(self) -> dict:
        """The tree's attributes (provenance)."""
        return self.tree.attrs

    @cached_property
    def config(self) -> ModelConfig:
        """The model configuration the fit was made with."""
        return ModelConfig.from_json(self.attrs["model_config"])

    @property
    def kind(self) -> str:
        """``"compact"``, ``"all_draws"`` (``--keep-all-draws``) or ``"no_data"``."""
        return str(self.attrs.get("fit_kind", "compact"))

    def without_data(self) -> Fit:
        """A copy of the fit with nothing of its cohort: a file to share outside the study.

        Keeps the population draws, the sampler statistics and, per subject under an
        anonymous index, only the convergence of true serum Mg (R-hat and ESS). Drops
        the cohort, subject identifiers, the subjects' draws, scores and likelihoods, the
        loader's warnings (they quote rows and values) and the cohort's value ranges.
        Scoring with it treats every subject as new.
        """
        summary = self.summary[list(SHAREABLE_SUMMARY)]
        summary = summary.assign_coords(subject=np.arange(summary.sizes["subject"]))
        tree = xr.DataTree.from_dict(
            {
                "posterior": self.posterior,
                "sample_stats": self.tree["sample_stats"].to_dataset(),
                SUMMARY: summary.drop_attrs(),
            }
        )
        tree["posterior"].attrs.update(self.tree["posterior"].attrs)
        private = ("cohort_source", "cohort_warnings", "cohort_ranges")
        tree.attrs.update({k: v for k, v in self.attrs.items() if k not in private})
        tree.attrs["fit_kind"] = "no_data"
        return Fit(tree)

    @property
    def has_data(self) -> bool:
        """Whether the fit holds its cohort (not a ``--no-data`` fit)."""
        return "cohort" in self.tree.children

    def require_data(self, what: str) -> None:
        """Raise :class:`FitFileError` for ``what`` if the fit holds no cohort."""
        if not self.has_data:
            raise FitFileError(
                f"this fit was written with --no-data (no subjects or readings), so {what} "
                "needs the cohort, which it does not hold. Fix: use the fit written without "
                "--no-data, or score the cohort against this one (as new subjects)"
            )

    @cached_property
    def cohort(self) -> xr.Dataset:
        """The validated cohort stored with the fit (subject x occasion)."""
        self.require_data("this step")
        cohort = self.tree["cohort"].to_dataset()
        cohort.attrs.update(
            source=self.attrs.get("cohort_source", ""),
            data_hash=self.attrs["data_hash"],
            warnings=json.loads(self.attrs.get("cohort_warnings", "[]")),
            units={c: units.QUANTITIES[c].canonical for c in schema.NUMERIC},
            columns=json.loads(self.attrs.get("cohort_columns", "[]")),
            declared_units=json.loads(self.attrs.get("cohort_units", "{}")),
        )
        return cohort

    @cached_property
    def design(self) -> Design:
        """The model inputs of the stored cohort."""
        return build_design(self.cohort, self.config)

    @cached_property
    def posterior(self) -> xr.Dataset:
        """The posterior group as a Dataset."""
        return self.tree["posterior"].to_dataset()

    @cached_property
    def summary(self) -> xr.Dataset:
        """Per-subject summaries from all draws (:mod:`camg_bayes.draws.reduce`)."""
        return self.tree[SUMMARY].to_dataset()

    @cached_property
    def kept_samples(self) -> np.ndarray:
        """Flat (chain x draw) positions of the draws at which subjects' latents are kept."""
        self.require_data("this step")
        kept = self.tree[SUBJECT_DRAWS]["draw"].values
        n_draw = self.posterior.sizes["draw"]
        positions = np.searchsorted(self.posterior["draw"].values, kept)
        return flat_positions(self.posterior.sizes["chain"], n_draw, positions)

    def subject_draws(self) -> Draws:
        """The population draws at :attr:`kept_samples`, carrying the subjects' latents."""
        latent = self.tree[SUBJECT_DRAWS]["latents"].values
        latent = latent.reshape(-1, *latent.shape[2:])
        return self.draws().take(self.kept_samples).with_latents(latent, self.design.subjects)

    @cached_property
    def subject_states(self) -> tuple[dict, dict]:
        """Latents and steady states of the fit's subjects at the kept draws."""
        return self.subject_draws().fitted_states(self.design)

    @property
    def data_hash(self) -> str:
        """Hash of the cohort the fit was made from."""
        return self.attrs["data_hash"]

    @property
    def n_samples(self) -> int:
        """Chains times draws per chain."""
        return self.posterior.sizes["chain"] * self.posterior.sizes["draw"]

    @property
    def population_names(self) -> list[str]:
        """Names of the population parameters (recorded when the fit was made)."""
        return json.loads(self.attrs["population_parameters"])

    @property
    def source(self) -> str:
        """How scores and reports name this fit's population."""
        return f"fitted (data hash {self.data_hash}, variant {self.config.variant})"

    def draws(self, n: int | None = None, *, rng: np.random.Generator | None = None) -> Draws:
        """Posterior draws: all of them, or a random subset of ``n`` (in order)."""
        draws = Draws.from_posterior(self.posterior, self.config, source=self.source)
        return draws if n is None else draws.thin(n, rng)

    def log_likelihood(self, kind: str = "conditional") -> xr.Dataset:
        """A log-likelihood group: conditional on, or integrated over, the subjects' latents.

        ``kind`` is ``"conditional"`` (every draw; only in fits with all draws) or
        ``"integrated"`` (the kept draws).
        """
        if kind == "conditional" and "log_likelihood" not in self.tree.children:
            raise FitFileError(
                "the conditional log-likelihood is kept only by camg fit --keep-all-draws"
            )
        group = "log_likelihood" if kind == "conditional" else INTEGRATED
        return self.tree[group].to_dataset()

    def threshold(self, threshold: float | None = None) -> float:
        """The deficiency threshold: ``threshold``, or the fit configuration's."""
        return self.config.threshold_or(threshold)


def save_fit(tree: xr.DataTree, path) -> Path:
    """Write a fit to ``path`` (``.zarr`` suffix: Zarr store; otherwise NetCDF via h5netcdf).

    Per-draw, per-subject arrays are stored in single precision (see
    :func:`_single_precision_draws`).

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = Path(path)
    missing = [a for a in REQUIRED_ATTRS if a not in tree.attrs]
    if missing:
        raise FitFileError(f"not a camg_bayes fit (attributes missing: {', '.join(missing)})")
    encoding = _single_precision_draws(tree)
    with atomic_path(path) as tmp:
        if path.suffix == ".zarr":
            tree.to_zarr(tmp, mode="w", encoding=encoding, consolidated=False)
        else:
            tree.to_netcdf(tmp, engine="h5netcdf", encoding=encoding)
    return path


_PER_SUBJECT, _PER_READING = "subject", "repeat"  # substrings of per-subject dim names


def _single_precision_draws(tree: xr.DataTree) -> dict:
    """Encoding that stores per-draw, per-subject float arrays as float32.

    These arrays (subject latents and log-likelihoods, ``(chain, draw, subject[, ...])``)
    are nearly all of a fit's size; float32 keeps 7 significant digits, far below Monte
    Carlo error, and halves the file. Population parameters stay float64.
    """
    encoding = {}
    for name, node in tree.children.items():
        chosen = {
            var: {"dtype": "float32"}
            for var, values in node.to_dataset().data_vars.items()
            if values.dtype == np.float64
            and {"chain", "draw"} <= set(values.dims)
            and any(_PER_SUBJECT in dim or _PER_READING in dim for dim in values.dims)
        }
        if chosen:
            encoding[f"/{name}"] = chosen
    return encoding


def load_fit(path, config: ModelConfig | None = None) -> xr.DataTree:
    """Read a fit and check it.

    Parameters
    ----------
    path : str or pathlib.Path
        A file written by :func:`save_fit`.
    config : ModelConfig, optional
        The configuration the caller expects; if given, the fit must have been made with
        the same priors and switches.

    Returns
    -------
    xarray.DataTree
        Loaded into memory.

    Raises
    ------
    FitFileError
        If the file is missing, unreadable or corrupted, is not a camg_bayes fit, or was
        made with a different model configuration.
    """
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise FitFileError(f"{name}: file not found. Fix: check the path (camg fit writes it)")
    try:
        if path.suffix == ".zarr" or path.is_dir():
            tree = xr.open_datatree(path, engine="zarr", consolidated=False).load()
        else:
            with xr.open_datatree(path, engine="h5netcdf") as handle:
                tree = handle.load()
    except Exception as exc:  # corrupted files raise many types (OSError, ValueError, ...)
        raise FitFileError(
            f"{name}: cannot be read as a fit ({type(exc).__name__}); the file may be truncated "
            "or corrupted. Fix: run camg fit again"
        ) from None
    _check_identity(tree, name)
    try:
        stored = ModelConfig.from_json(tree.attrs["model_config"])
    except Exception as exc:
        raise FitFileError(
            f"{name}: its model configuration cannot be read ({exc}). Fix: run camg fit again"
        ) from None
    if stored.fingerprint() != tree.attrs["config_fingerprint"]:
        raise FitFileError(
            f"{name}: corrupted: the stored model configuration does not match its fingerprint. "
            "Fix: run camg fit again"
        )
    if (
        "cohort" in tree.children
        and data_hash(tree["cohort"].to_dataset()) != tree.attrs["data_hash"]
    ):
        raise FitFileError(
            f"{name}: corrupted: the stored cohort does not match its data hash. "
            "Fix: run camg fit again"
        )
    if config is not None and config.fingerprint() != stored.fingerprint():
        raise FitFileError(
            f"{name}: made with a different model configuration (variant '{stored.variant}', "
            f"fingerprint {stored.fingerprint()}; expected variant '{config.variant}', "
            f"{config.fingerprint()}). "
            "Fix: refit with the current configuration or load it with its own"
        )
    return tree


def _check_identity(tree: xr.DataTree, name: str) -> None:
    """Raise unless ``tree`` is a fit of this package version with its kind's groups."""
    missing_attrs = [a for a in REQUIRED_ATTRS if a not in tree.attrs]
    if missing_attrs:
        raise FitFileError(
            f"{name}: not a camg_bayes fit (missing {', '.join(missing_attrs)}). "
            "Fix: use a file from camg fit"
        )
    made_with = str(tree.attrs["camg_bayes_version"])
    if made_with != __version__:
        raise FitFileError(
            f"{name}: made with camg_bayes {made_with}, but this is {__version__}; the model "
            f"may differ. Fix: refit with this version (or install camg_bayes=={made_with})"
        )
    weight = float(tree.attrs.get("prior_weight", 1.0))
    if weight != 1.0:
        raise FitFileError(
            f"{name}: one shard of a consensus fit (its prior raised to {weight:g}), not a "
            "posterior. Fix: combine the shards (camg_bayes.fitting.consensus) or fit the cohort"
        )
    kind = str(tree.attrs.get("fit_kind", ""))
    if kind not in KINDS:
        raise FitFileError(f"{name}: unknown kind of fit '{kind}'. Fix: run camg fit again")
    missing = [g for g in (*REQUIRED_GROUPS, *KINDS[kind]) if g not in tree.children]
    if missing:
        raise FitFileError(
            f"{name}: a {kind} fit missing {', '.join(missing)}; the file is damaged. "
            "Fix: run camg fit again"
        )
