"""Priors as data: read ``models/*.toml``, validate, merge overrides.

A :class:`ModelConfig` holds one :class:`~camg_bayes.model.priors.Prior` per model
parameter, the mechanism switches and the deficiency threshold. It is loaded fresh for each
model; user overrides merge over the defaults (``defaults | overrides``); it serialises to
JSON for the attributes of a saved fit, and its fingerprint tells whether two fits share a
model.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from camg_bayes.errors import ConfigError
from camg_bayes.model.priors import PARAMETERS, Prior

SWITCHES = ("competition", "mg_dependent_pth", "renal_conservation")


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

    def threshold_or(self, threshold: float | None) -> float:
        """The deficiency threshold to use, mmol/L true serum Mg.

        ``threshold`` if given, else the configuration's (``[scoring]
        deficiency_threshold``, 0.75 by default).

        Every stage resolves an optional threshold here, and only here.
        """
        return self.threshold if threshold is None else float(threshold)

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
