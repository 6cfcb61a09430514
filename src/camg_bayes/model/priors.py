"""One parameter's prior as data: the distributions, their validation, sampling and intervals.

Every parameter the model uses is listed in :data:`PARAMETERS`; its prior (or fixed value)
is an entry of ``models/default.toml`` with its unit and source, read by
:func:`camg_bayes.model.config.load_config`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from camg_bayes.errors import ConfigError

#: Every parameter the model uses, with its dims (None for a scalar).
PARAMETERS: dict[str, str | None] = {
    name: None
    for name in (
        "intake_mg_age_slope intake_ca_age_slope intake_corr recall_mg_total_sd "
        "recall_mg_share recall_ca_total_sd recall_ca_share site_intake_sd age_ref "
        "meals_per_day mg_abs_km mg_abs_frac_ref mg_abs_load_ref mg_abs_ca_load_ref "
        "mg_abs_f_para mg_ca_competition ca_abs_km ca_abs_f_sat0 ca_abs_f_para "
        "mg_absorbed_ref mg_balance_elasticity mg_status_age_slope renal_total_sd "
        "renal_tail_share gut_total_sd gut_tail_share renal_thiazide renal_loop "
        "renal_diabetes renal_alcohol gut_ppi "
        "site_status_sd mg_casr_slope mg_gfr_elasticity egfr_ref egfr_at_age_ref egfr_age_slope "
        "egfr_sd gross_error_share gross_error_width serum_mg_max "
        "mg_status_scale serum_mg_sd sweat_mg_loss mg_ultrafilterable urine_mg_sd "
        "ca_ion_absorption_slope ca_ion_ref "
        "ca_total_per_ionized albumin_ca_slope albumin_ref albumin_sd serum_ca_total_sd "
        "serum_ca_share ionized_ca_sd ca_mg_drop_max pth_tissue_mid pth_tissue_width "
        "pth_age_slope pth_gfr_slope pth_total_sd pth_share pth_hill pth_min_ratio "
        "pth_max_ratio pth_mg_rise pth_mg_rise_mid pth_mg_rise_width pth_mg_suppress_mid "
        "pth_mg_suppress_width urine_ca_fraction urine_ca_ca_slope urine_ca_pth_slope "
        "urine_ca_gfr_elasticity urine_ca_total_sd urine_ca_share urine_creatinine_age_slope "
        "urine_creatinine_sd urine_completeness_sd urine_completeness_mean"
    ).split()
} | {
    name: "sex"
    for name in (
        "intake_mg_median",
        "intake_ca_median",
        "mg_status_ref",
        "ca_ion_set",
        "ca_ion_age_slope",
        "pth_ref",
        "urine_creatinine_ref",
    )
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
