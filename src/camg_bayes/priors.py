"""Priors as data: read ``models/*.toml``, validate, merge overrides, build variables.

A :class:`ModelConfig` holds one :class:`Prior` per model parameter, the mechanism
switches and the deficiency threshold. It is loaded fresh for each model; user overrides
merge over the defaults (``defaults | overrides``); it serialises to JSON for the
attributes of a saved fit, and its fingerprint tells whether two fits share a model.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
from scipy import stats

from camg_bayes.errors import ConfigError

#: Every parameter the model uses, with its dims (None for a scalar).
PARAMETERS: dict[str, str | None] = {
    name: None
    for name in (
        "intake_mg_age_slope intake_ca_age_slope intake_mg_sd intake_ca_sd intake_corr "
        "recall_mg_sd recall_ca_sd site_intake_sd age_ref meals_per_day mg_abs_km "
        "mg_abs_frac_ref mg_abs_load_ref mg_abs_ca_load_ref mg_abs_f_para mg_ca_competition "
        "ca_abs_km ca_abs_f_sat0 ca_abs_f_para "
        "mg_absorbed_ref mg_balance_elasticity mg_status_sd mg_status_age_slope "
        "site_status_sd mg_casr_slope mg_gfr_elasticity egfr_ref serum_mg_max "
        "mg_status_scale serum_mg_sd sweat_mg_loss mg_ultrafilterable urine_mg_sd ca_ion_sd "
        "ca_ion_absorption_slope ca_absorbed_ref ca_ion_age_slope ca_ion_ref "
        "ca_total_per_ionized albumin_ca_slope albumin_ref albumin_sd serum_ca_sd "
        "ionized_ca_sd ca_mg_drop_max pth_tissue_mid pth_tissue_width pth_age_slope "
        "pth_gfr_slope pth_between_sd pth_within_sd pth_hill pth_min_ratio pth_max_ratio "
        "pth_mg_rise pth_mg_rise_mid pth_mg_rise_width pth_mg_suppress_mid "
        "pth_mg_suppress_width urine_ca_fraction urine_ca_ca_slope "
        "urine_ca_pth_slope urine_ca_gfr_elasticity urine_ca_between_sd urine_ca_within_sd"
    ).split()
} | {
    name: "sex"
    for name in ("intake_mg_median", "intake_ca_median", "mg_status_ref", "ca_ion_set", "pth_ref")
}

#: Distribution -> its parameters, in order.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "Normal": ("mu", "sigma"),
    "LogNormal": ("median", "sigma"),
    "HalfNormal": ("sigma",),
    "Beta": ("alpha", "beta"),
    "TruncatedNormal": ("mu", "sigma", "lower", "upper"),
    "Fixed": ("value",),
}
_POSITIVE = {"sigma", "alpha", "beta", "median"}
SWITCHES = ("competition", "mg_dependent_pth", "renal_conservation")
DIM_SIZES = {"sex": 2}
_ENTRY_KEYS = {"dist", "dims", "unit", "source"}


@dataclass(frozen=True)
class Prior:
    """One parameter's prior (or fixed value), with its unit and source.

    Parameters
    ----------
    name : str
        Parameter name, a key of :data:`PARAMETERS`.
    dist : str
        A key of :data:`DISTRIBUTIONS`.
    params : dict
        The distribution's parameters; each a float, or a list of one float per level of
        ``dims``.
    dims : str or None
        ``"sex"`` (levels F, M) or None.
    unit, source : str
        The parameter's unit and where its numbers come from.
    """

    name: str
    dist: str
    params: dict
    dims: str | None
    unit: str
    source: str

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the parameter: ``()`` or ``(levels,)``."""
        return () if self.dims is None else (DIM_SIZES[self.dims],)

    @property
    def is_fixed(self) -> bool:
        """True for a constant (``dist = "Fixed"``)."""
        return self.dist == "Fixed"

    def _arg(self, key: str) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.params[key], dtype=float), self.shape)

    def center(self) -> np.ndarray:
        """A central value: the fixed value, mean (Normal) or median (others)."""
        if self.dist in ("Normal", "TruncatedNormal"):
            return self._arg("mu").copy()
        if self.dist == "LogNormal":
            return self._arg("median").copy()
        if self.dist == "HalfNormal":
            return self._arg("sigma") * stats.halfnorm.median()
        if self.dist == "Beta":
            a, b = self._arg("alpha"), self._arg("beta")
            return a / (a + b)
        return self._arg("value").copy()

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` values, shape ``(size, *self.shape)``."""
        shape = (size, *self.shape)
        if self.dist == "Normal":
            return rng.normal(self._arg("mu"), self._arg("sigma"), shape)
        if self.dist == "LogNormal":
            return np.exp(rng.normal(np.log(self._arg("median")), self._arg("sigma"), shape))
        if self.dist == "HalfNormal":
            return np.abs(rng.normal(0.0, self._arg("sigma"), shape))
        if self.dist == "Beta":
            return rng.beta(self._arg("alpha"), self._arg("beta"), shape)
        if self.dist == "TruncatedNormal":
            mu, sigma = self._arg("mu"), self._arg("sigma")
            a = (self._arg("lower") - mu) / sigma
            b = (self._arg("upper") - mu) / sigma
            return stats.truncnorm.rvs(a, b, loc=mu, scale=sigma, size=shape, random_state=rng)
        return np.broadcast_to(self._arg("value"), shape).copy()

    def interval(self, prob: float) -> tuple[np.ndarray, np.ndarray]:
        """Central (equal-tailed) prior interval of probability ``prob``."""
        lo, hi = (1 - prob) / 2, (1 + prob) / 2
        if self.dist == "Normal":
            d = stats.norm(self._arg("mu"), self._arg("sigma"))
        elif self.dist == "LogNormal":
            d = stats.lognorm(self._arg("sigma"), scale=self._arg("median"))
        elif self.dist == "HalfNormal":
            d = stats.halfnorm(scale=self._arg("sigma"))
        elif self.dist == "Beta":
            d = stats.beta(self._arg("alpha"), self._arg("beta"))
        elif self.dist == "TruncatedNormal":
            mu, sigma = self._arg("mu"), self._arg("sigma")
            d = stats.truncnorm(
                (self._arg("lower") - mu) / sigma, (self._arg("upper") - mu) / sigma, mu, sigma
            )
        else:
            value = self._arg("value")
            return value, value
        return d.ppf(lo), d.ppf(hi)

    def describe(self) -> str:
        """Short text such as ``LogNormal(median=100, sigma=0.4)``."""
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self.params.items())
        return f"{self.dist}({args})"

    def to_dict(self) -> dict:
        """Plain dict, the TOML entry (round-trips through :meth:`from_entry`)."""
        entry = {"dist": self.dist, **self.params, "unit": self.unit, "source": self.source}
        if self.dims:
            entry["dims"] = self.dims
        return entry

    @classmethod
    def from_entry(cls, name: str, entry: dict, *, where: str = "config") -> Prior:
        """Validate a TOML entry and build the prior.

        Raises
        ------
        ConfigError
            For an unknown distribution, missing or unknown keys, wrong dims or values.
        """

        def fail(problem: str, fix: str) -> ConfigError:
            return ConfigError(f"{where}: prior '{name}': {problem}. Fix: {fix}")

        if not isinstance(entry, dict):
            raise fail("is not a table", "write it as [prior.NAME] with dist, unit and source")
        dist = entry.get("dist")
        if dist not in DISTRIBUTIONS:
            raise fail(f"unknown dist {dist!r}", f"use one of {', '.join(DISTRIBUTIONS)}")
        wanted = DISTRIBUTIONS[dist]
        unknown = set(entry) - _ENTRY_KEYS - set(wanted)
        if unknown:
            raise fail(
                f"unknown key(s) {', '.join(sorted(unknown))} for {dist}",
                f"{dist} takes {', '.join(wanted)}",
            )
        missing = [k for k in (*wanted, "unit", "source") if k not in entry]
        if missing:
            raise fail(
                f"missing {', '.join(missing)}", "give every prior its parameters, unit and source"
            )
        dims = entry.get("dims")
        expected_dims = PARAMETERS.get(name, dims)
        if dims != expected_dims:
            raise fail(
                f"dims {dims!r} but the model uses {expected_dims!r}",
                f"set dims = {expected_dims!r}",
            )
        shape = () if dims is None else (DIM_SIZES[dims],)
        params = {}
        for key in wanted:
            value = np.asarray(entry[key], dtype=float)
            if value.shape not in ((), shape):
                raise fail(
                    f"{key} has shape {value.shape}, expected a number or {shape}",
                    "give one value per level (F, M)",
                )
            if not np.all(np.isfinite(value)):
                raise fail(f"{key} is not finite", "use a finite number")
            if key in _POSITIVE and np.any(value <= 0):
                raise fail(f"{key} must be positive", f"set {key} > 0")
            params[key] = value.tolist()
        if dist == "TruncatedNormal" and np.any(
            np.asarray(params["lower"]) >= np.asarray(params["upper"])
        ):
            raise fail("lower >= upper", "set lower < upper")
        return cls(name, dist, params, dims, str(entry["unit"]), str(entry["source"]))


def _fmt(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f"{v:g}" for v in value) + "]"
    return f"{value:g}"


@dataclass(frozen=True)
class ModelConfig:
    """Priors, mechanism switches and scoring settings of one model.

    Attributes
    ----------
    priors : dict of str to Prior
    switches : dict of str to bool
        ``competition``, ``mg_dependent_pth``, ``renal_conservation``.
    threshold : float
        Default deficiency threshold on true serum Mg, mmol/L.
    variant : str
        Name of the model variant.
    meta : dict
        Name and description of the prior set.
    """

    priors: dict[str, Prior]
    switches: dict[str, bool]
    threshold: float
    variant: str = "full"
    meta: dict = field(default_factory=dict)

    def center(self) -> dict[str, np.ndarray]:
        """Central value of every parameter (the simulator's default truth)."""
        return {name: prior.center() for name, prior in self.priors.items()}

    def sample(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        """Draw ``size`` joint prior values of every parameter, shape ``(size, *shape)``."""
        return {name: prior.sample(rng, size) for name, prior in self.priors.items()}

    def free(self) -> list[str]:
        """Names of the parameters that are not fixed."""
        return [name for name, prior in self.priors.items() if not prior.is_fixed]

    def to_dict(self) -> dict:
        """Plain dict; ``json.dumps`` of it is stored with a fit."""
        return {
            "meta": self.meta,
            "variant": self.variant,
            "model": self.switches,
            "scoring": {"deficiency_threshold": self.threshold},
            "prior": {name: prior.to_dict() for name, prior in self.priors.items()},
        }

    def to_json(self) -> str:
        """Canonical JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), sort_keys=True)

    def fingerprint(self) -> str:
        """SHA-256 (16 hex digits) of the model-defining content: priors and switches."""
        content = {"model": self.switches, "prior": self.to_dict()["prior"]}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]

    @classmethod
    def from_dict(cls, data: dict, *, where: str = "config") -> ModelConfig:
        """Build and validate a configuration from its dict (as in a TOML file)."""
        known = {"meta", "model", "scoring", "prior", "variant"}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(
                f"{where}: unknown table(s) {', '.join(sorted(unknown))}. "
                f"Fix: use only {', '.join(sorted(known - {'variant'}))}"
            )
        entries = data.get("prior", {})
        unknown = set(entries) - set(PARAMETERS)
        if unknown:
            raise ConfigError(
                f"{where}: unknown prior key(s) {', '.join(sorted(unknown))}. "
                "Fix: check the spelling against models/default.toml"
            )
        missing = set(PARAMETERS) - set(entries)
        if missing:
            raise ConfigError(
                f"{where}: no prior for {', '.join(sorted(missing))}. "
                "Fix: every model parameter needs an entry (copy it from models/default.toml)"
            )
        switches = dict(data.get("model", {}))
        unknown = set(switches) - set(SWITCHES)
        if unknown:
            raise ConfigError(
                f"{where}: unknown model switch(es) {', '.join(sorted(unknown))}. "
                f"Fix: use {', '.join(SWITCHES)}"
            )
        switches = {name: bool(switches.get(name, True)) for name in SWITCHES}
        priors = {name: Prior.from_entry(name, entries[name], where=where) for name in PARAMETERS}
        threshold = float(data.get("scoring", {}).get("deficiency_threshold", 0.75))
        priors = _apply_switches(priors, switches)
        return cls(
            priors, switches, threshold, data.get("variant", "full"), dict(data.get("meta", {}))
        )

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text), where="saved configuration")


def _apply_switches(priors: dict[str, Prior], switches: dict[str, bool]) -> dict[str, Prior]:
    """Fix the parameters a switched-off mechanism no longer needs."""
    out = dict(priors)
    if not switches["competition"]:
        old = out["mg_ca_competition"]
        out["mg_ca_competition"] = Prior(
            old.name, "Fixed", {"value": 0.0}, None, old.unit, "switched off: no competition"
        )
    if not switches["renal_conservation"]:
        old = out["mg_balance_elasticity"]
        out["mg_balance_elasticity"] = Prior(
            old.name,
            "Fixed",
            {"value": 1.0},
            None,
            old.unit,
            "switched off: first-order loss, no conservation",
        )
    return out


def models_dir() -> Path:
    """Directory of the shipped TOML files."""
    return Path(str(resources.files("camg_bayes") / "models"))


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found. Fix: check the path") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}). Fix: correct the syntax") from None


def variants() -> dict[str, dict]:
    """The named model variants of ``models/variants.toml``."""
    return _read_toml(models_dir() / "variants.toml")


def load_config(path=None, *, variant: str = "full", overrides: dict | None = None) -> ModelConfig:
    """Load priors and switches, apply a variant and user overrides, and validate.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A TOML file in the format of ``models/default.toml``; the shipped default if None.
    variant : str
        A variant of ``models/variants.toml`` (``full``, ``no_competition``, ``no_mg_pth``,
        ``no_renal_conservation``).
    overrides : dict, optional
        ``{name: entry}`` merged over the priors. An entry with ``dist`` replaces the
        distribution (unit and source are kept unless given); one without updates keys,
        e.g. ``{"mg_ca_competition": {"sigma": 0.5}}``. The keys ``model`` and
        ``scoring`` update the switches and threshold.

    Returns
    -------
    ModelConfig

    Raises
    ------
    ConfigError
        For a file that is missing or invalid, an unknown key, variant or value.

    Examples
    --------
    >>> config = load_config(variant="no_competition")
    >>> config.priors["mg_ca_competition"].is_fixed
    True
    """
    path = Path(path) if path is not None else models_dir() / "default.toml"
    data = _read_toml(path)
    known = variants()
    if variant not in known:
        raise ConfigError(f"unknown variant '{variant}'. Fix: use one of {', '.join(known)}")
    data["model"] = data.get("model", {}) | known[variant].get("model", {})
    data["variant"] = variant
    for key, value in (overrides or {}).items():
        if key in ("model", "scoring"):
            data[key] = data.get(key, {}) | value
            continue
        base = data.get("prior", {}).get(key)
        if base is None:
            raise ConfigError(
                f"override: unknown prior '{key}'. "
                "Fix: check the spelling against models/default.toml"
            )
        if "dist" in value:
            merged = {
                "unit": base.get("unit"),
                "source": base.get("source"),
                "dims": base.get("dims"),
            }
            merged = {k: v for k, v in merged.items() if v is not None} | value
        else:
            merged = base | value
        data["prior"][key] = merged
    return ModelConfig.from_dict(data, where=str(path))
