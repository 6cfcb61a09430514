"""Which population a cohort is scored against, and which of its subjects the fit knows.

A fitted population can be reused for any number of new subjects without refitting, and
the literature-prior population gives a first answer with no fit at all.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr

from camg_bayes.cohort import schema, subject_hashes, units
from camg_bayes.cohort.describe import SCALE_MARGIN, medians
from camg_bayes.draws.draws import Draws
from camg_bayes.errors import CohortMismatchError
from camg_bayes.fitting.fitfile import Fit
from camg_bayes.model.config import ModelConfig
from camg_bayes.model.design import Design, build_design

#: New subjects importance-sampled together: 1,000 draws x 50 subjects is 50,000 latent
#: evaluations per sample, arrays of 0.4 MB that stay in a core's cache. Measured on
#: 2,000 new subjects in one process (2 MB L2 per core), with 2 samples per draw: 4.5 ms
#: per person at 200, 4.1 at 50, 4.0-4.2 at 25 and 100; with 1-2 (adaptive), 50 and 100
#: equal within noise, 25 11 % slower.
NEW_CHUNK = 50


def population_draws(
    fit: Fit | None, config: ModelConfig | None, *, n: int, rng: np.random.Generator
) -> Draws:
    """``n`` draws of the population: the fit's posterior, or the literature priors.

    Without a fit, the priors of ``config`` (the defaults if None).
    """
    if fit is not None:
        return fit.draws(n, rng=rng)
    return Draws.from_prior(config, n=n, rng=rng)


def fitted_subjects(ds: xr.Dataset, fit: Fit | None) -> dict[str, int]:
    """Subjects of ``ds`` that were in ``fit`` with the same readings -> their index in the fit.

    A subject whose identifier is in the fit but whose readings differ is left out: it is
    scored as a new subject.
    """
    if fit is None or not fit.has_data:
        return {}
    stored = fit.cohort
    position = {s: i for i, s in enumerate(stored["subject"].values.astype(str))}
    # only identifiers the fit knows are hashed: a cohort of new people costs no hashing
    ids = ds["subject"].values.astype(str)
    mine_at = [k for k, s in enumerate(ids) if s in position]
    if not mine_at:
        return {}
    known = subject_hashes(stored.isel(subject=[position[ids[k]] for k in mine_at]))
    mine = subject_hashes(ds.isel(subject=mine_at))
    return {s: position[s] for s, h in mine.items() if known.get(s) == h}


def check_compatible(ds: xr.Dataset, fit: Fit | None) -> None:
    """Refuse a cohort whose columns or values disagree with those of the fit's cohort.

    Units declared in a column's header are converted on load, so a cohort may give
    them otherwise than the fit's cohort did. Raises :class:`CohortMismatchError` when a
    measurement's median lies far outside the range of the fit's cohort (more than
    :data:`SCALE_MARGIN` times beyond its 0.5-99.5 % quantiles: a unit not declared), or
    when measurements the fit was made with are absent while columns the schema does not
    know are present (a renamed column). Warns when the cohort has measurements the fit's
    cohort had not (their error parameters are the priors') or sites the fit has no
    offset for (scored as an average site).
    """
    if fit is None:
        return
    source = ds.attrs.get("source", "cohort")
    ranges = json.loads(fit.attrs.get("cohort_ranges", "{}"))
    for column, median in medians(ds).items():
        if column not in ranges:
            continue
        lo, hi = ranges[column]
        if not lo / SCALE_MARGIN <= median <= hi * SCALE_MARGIN:
            unit = units.QUANTITIES[column].canonical
            raise CohortMismatchError(
                f"{source}: column {column} has median {median:.4g} {unit}, outside the fit's "
                f"cohort ({lo:.4g}-{hi:.4g} {unit}): its unit differs. Fix: name the unit in "
                f"the header, e.g. '{column} [unit]' (see camg validate)"
            )
    fitted_columns = set(json.loads(fit.attrs.get("cohort_columns", "[]")))
    present = set(ds.attrs.get("columns", []))
    missing = sorted((fitted_columns - present) & set(schema.NUMERIC))
    unknown = ds.attrs.get("unknown_columns", [])
    if missing and unknown:
        raise CohortMismatchError(
            f"{ds.attrs.get('source', 'cohort')}: columns {', '.join(unknown)} are not in the "
            f"schema and the fit's {', '.join(missing)} are absent. Fix: name the columns as "
            "in the fit's cohort (see camg validate)"
        )
    extra = sorted((present - fitted_columns) & set(schema.NUMERIC))
    if extra and fitted_columns:
        warnings.warn(
            f"{', '.join(extra)} were not in the fit's cohort: their measurement error comes "
            "from the literature priors alone",
            stacklevel=3,
        )
    sites = (
        set(fit.posterior["site"].values.astype(str)) if "site" in fit.posterior.coords else set()
    )
    new_sites = sorted({str(s) for s in np.unique(ds["site"].values)} - sites - {""})
    if sites and new_sites:
        warnings.warn(
            f"site(s) {', '.join(new_sites)} are not in the fit: their subjects are scored as "
            "from an average site",
            stacklevel=3,
        )


@dataclass(frozen=True)
class Target:
    """Subjects to score or simulate a regimen for, and what they are scored against.

    Attributes
    ----------
    draws : Draws
        Population draws: ``n`` of the fit's posterior, or of the literature priors.
    design : Design
        The subjects' design.
    threshold : float
        Deficiency threshold, mmol/L (resolved against the configuration).
    in_fit : numpy.ndarray of bool
        Which subjects the fit knows (same identifier and readings).
    fit_index : numpy.ndarray of int
        Their positions in the fit, in design order.
    """

    draws: Draws
    design: Design
    threshold: float
    in_fit: np.ndarray
    fit_index: np.ndarray

    @classmethod
    def of(cls, ds, fit, config, *, n: int, threshold, rng) -> Target:
        """Resolve the population, the threshold and the fit's subjects for a cohort."""
        check_compatible(ds, fit)
        draws = population_draws(fit, config, n=n, rng=rng)
        design = build_design(ds, draws.config)
        fitted = fitted_subjects(ds, fit)
        in_fit = np.array([s in fitted for s in design.subjects], dtype=bool)
        index = np.array([fitted[s] for s in design.subjects[in_fit]], dtype=int)
        return cls(draws, design, draws.config.threshold_or(threshold), in_fit, index)

    @property
    def method(self) -> str:
        """How subjects outside the fit are handled."""
        prior = self.draws.source == "literature prior"
        return "importance sampling (prior)" if prior else "importance sampling"
