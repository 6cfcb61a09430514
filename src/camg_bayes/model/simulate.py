"""Synthetic cohorts with their ground truth, from the same physiology as the model.

:func:`simulate` draws subjects (sex, age, site, eGFR, supplements), their latent usual
intakes and Mg/Ca deviations, computes each subject's steady state with
:func:`camg_bayes.physiology.state.steady_state`, and draws readings with the error model of
:mod:`camg_bayes.physiology.observation` on a realistic schedule: two 24-h recalls (the second
missing for some), blood and 24-h urine at the first visit for most, repeats for a few.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from camg_bayes import __version__
from camg_bayes.cohort.units import QUANTITIES
from camg_bayes.files import ensure_writable, write_csv, write_text
from camg_bayes.model.config import ModelConfig, load_config
from camg_bayes.model.design import expected_egfr
from camg_bayes.physiology import variation
from camg_bayes.physiology.observation import (
    BY_COLUMN,
    draw,
    gross_error,
    location,
    sds,
)
from camg_bayes.physiology.parameters import expand
from camg_bayes.physiology.state import deficient, steady_state


@dataclass(frozen=True)
class Schedule:
    """Which readings a simulated cohort has (probabilities per subject).

    Attributes
    ----------
    second_recall : float
        Share with a second 24-h recall (occasion 1).
    serum : float
        Share with a blood draw (serum Ca, and albumin) at occasion 0.
    serum_mg : float
        Share of blood draws that include serum Mg.
    albumin : float
        Share of serum draws with albumin.
    ionized_ca : float
        Share of serum draws with ionized Ca.
    pth : float
        Share with PTH.
    urine : float
        Share with a 24-h urine collection (Mg, Ca, creatinine).
    repeat_blood, repeat_urine : float
        Shares with a second blood draw / urine collection at occasion 1.
    egfr : float
        Share with eGFR.
    mg_supplement, ca_supplement : tuple of float
        Share of (women, men) taking each supplement.
    thiazide, loop_diuretic, ppi, diabetes : float
        Share exposed (thiazide and loop diuretics independently; both gives "both").
    drinkers : float
        Share who drink alcohol (g/d log-normal, median 10 g/d).
    exposures_recorded : bool
        Whether the cohort has the diuretic, ppi, diabetes and alcohol_g columns.
    """

    second_recall: float = 0.8
    serum: float = 0.9
    serum_mg: float = 1.0
    albumin: float = 0.9
    ionized_ca: float = 0.2
    pth: float = 0.7
    urine: float = 0.6
    repeat_blood: float = 0.15
    repeat_urine: float = 0.1
    egfr: float = 0.85
    mg_supplement: tuple = (0.2, 0.15)
    ca_supplement: tuple = (0.3, 0.15)
    thiazide: float = 0.08
    loop_diuretic: float = 0.04
    ppi: float = 0.10
    diabetes: float = 0.10
    drinkers: float = 0.5
    exposures_recorded: bool = True


@dataclass
class SimulatedCohort:
    """A simulated cohort, its truth and the population parameters used.

    Attributes
    ----------
    cohort : pandas.DataFrame
        Canonical schema, one row per subject per occasion.
    truth : pandas.DataFrame
        One row per subject: ``subject_id``, ``true_serum_mg`` (mmol/L), ``deficient``,
        ``mg_status`` (latent stores, fraction of replete) and the other true quantities.
    params : dict
        Population parameters (JSON-ready), with the seed and site offsets.
    """

    cohort: pd.DataFrame
    truth: pd.DataFrame
    params: dict = field(default_factory=dict)

    def save(self, cohort_path, truth_path) -> Path:
        """Write the cohort CSV, the truth CSV and the parameters JSON beside the truth.

        Returns
        -------
        pathlib.Path
            Path of the JSON file (the truth path with suffix ``.json``).
        """
        json_path = Path(truth_path).with_suffix(".json")
        ensure_writable(cohort_path, truth_path, json_path)
        write_csv(self.cohort, cohort_path)
        write_csv(self.truth, truth_path, float_format="%.6g")
        write_text(json_path, json.dumps(self.params, indent=2, sort_keys=True) + "\n")
        return json_path


def _jsonable(value):
    value = np.asarray(value)
    return value.item() if value.ndim == 0 else value.tolist()


def simulate(
    n_subjects: int,
    *,
    random_seed: int,
    config: ModelConfig | None = None,
    params: dict | None = None,
    n_sites: int = 3,
    schedule: Schedule | None = None,
) -> SimulatedCohort:
    """Simulate a cohort from known population parameters.

    Parameters
    ----------
    n_subjects : int
        Number of subjects.
    random_seed : int
        Seed; the same seed gives the same cohort.
    config : ModelConfig, optional
        Model configuration; the default priors if None. Its central values are the
        population parameters unless ``params`` overrides them.
    params : dict, optional
        ``{name: value}`` overriding parameters, e.g. ``{"mg_ca_competition": 1.0}``.
    n_sites : int
        Number of study sites (0 for no site column).
    schedule : Schedule, optional
        Which readings exist.

    Returns
    -------
    SimulatedCohort

    Examples
    --------
    >>> sim = simulate(50, random_seed=1)
    >>> sim.truth.columns[:4].tolist()
    ['subject_id', 'true_serum_mg', 'deficient', 'mg_status']
    """
    config = config or load_config()
    schedule = schedule or Schedule()
    rng = np.random.default_rng(random_seed)
    theta = _population(config, params)
    people = _people(n_subjects, theta, n_sites, schedule, rng)
    latent = variation.sample(theta, people["cov"], rng, (n_subjects,))
    switch = config.switches["mg_dependent_pth"]
    state = steady_state(theta, people["cov"], latent, mg_dependent_pth=switch)
    readings = _draw_readings(theta, state, schedule, rng, people["cov"])
    ids = np.array([f"S{i + 1:05d}" for i in range(n_subjects)])
    cohort = _assemble(ids, readings, people, n_sites, schedule, rng)
    truth = _truth(ids, state, latent, people, config.threshold)
    record = {name: _jsonable(value) for name, value in theta.items()}
    record["_simulation"] = {
        "n_subjects": n_subjects,
        "random_seed": random_seed,
        "n_sites": n_sites,
        "site_intake_offset": people["site_intake"].tolist() if n_sites else [],
        "site_status_offset": people["site_status"].tolist() if n_sites else [],
        "deficiency_threshold": config.threshold,
        "variant": config.variant,
        "config_fingerprint": config.fingerprint(),
        "camg_bayes_version": __version__,
    }
    return SimulatedCohort(cohort, truth, record)


def _population(config: ModelConfig, params: dict | None) -> dict:
    """The population parameters: the configuration's central values, with overrides."""
    theta = config.center()
    for name, value in (params or {}).items():
        if name not in theta:
            raise KeyError(f"unknown parameter {name!r}")
        theta[name] = np.broadcast_to(np.asarray(value, dtype=float), theta[name].shape).copy()
    return expand(theta)


def _people(n: int, theta: dict, n_sites: int, schedule: Schedule, rng) -> dict:
    """Sex, age, eGFR, site and supplements of each subject, and their model covariates."""
    male = (rng.random(n) < 0.5).astype(float)
    age = np.clip(np.round(rng.normal(48.0, 16.0, n)), 18, 85)
    line = expected_egfr(
        (age - float(theta["age_ref"])) / 10.0,
        float(theta["egfr_at_age_ref"]),
        float(theta["egfr_age_slope"]),
    )
    egfr = np.clip(line + rng.normal(0.0, float(theta["egfr_sd"]), n), *QUANTITIES["egfr"].rare)
    site = rng.integers(0, n_sites, n) if n_sites > 0 else np.full(n, -1)
    site_intake = rng.normal(0.0, float(theta["site_intake_sd"]), max(n_sites, 1))
    site_status = rng.normal(0.0, float(theta["site_status_sd"]), max(n_sites, 1))
    if n_sites == 0:
        site_intake[:] = site_status[:] = 0.0
    sex_index = male.astype(int)
    takes_mg = rng.random(n) < np.take(schedule.mg_supplement, sex_index)
    takes_ca = rng.random(n) < np.take(schedule.ca_supplement, sex_index)
    supp_mg = np.where(takes_mg, rng.choice([100.0, 200.0, 250.0, 300.0, 400.0], n), 0.0)
    supp_ca = np.where(takes_ca, rng.choice([300.0, 500.0, 600.0, 1000.0, 1200.0], n), 0.0)
    both = takes_mg & takes_ca
    apart = np.where(both, rng.random(n) < 0.5, False).astype(float)
    exposed = {
        name: (rng.random(n) < getattr(schedule, name)).astype(float)
        for name in ("thiazide", "loop_diuretic", "ppi", "diabetes")
    }
    drinks = rng.random(n) < schedule.drinkers
    alcohol = np.where(drinks, np.round(np.exp(rng.normal(np.log(10.0), 0.8, n)), 0), 0.0)
    cov = {
        "male": male,
        "age_decades": (age - float(theta["age_ref"])) / 10.0,
        "egfr": egfr,
        "supp_mg": supp_mg,
        "supp_ca": supp_ca,
        "apart": apart,
        **exposed,
        "alcohol_g": alcohol,
        "site_intake": site_intake[site] if n_sites else np.zeros(n),
        "site_status": site_status[site] if n_sites else np.zeros(n),
    }
    return {
        "male": male,
        "age": age,
        "egfr": egfr,
        "site": site,
        "site_intake": site_intake,
        "site_status": site_status,
        "supp_mg": supp_mg,
        "supp_ca": supp_ca,
        "timing": np.where(both, np.where(apart > 0, "apart", "together"), ""),
        "cov": cov,
    }


def _truth(ids, state: dict, latent: dict, people: dict, threshold: float) -> pd.DataFrame:
    """One row per subject with the true quantities behind the readings."""
    return pd.DataFrame(
        {
            "subject_id": ids,
            "true_serum_mg": state["serum_mg_true"],
            "deficient": deficient(state["serum_mg_true"], threshold),
            "mg_status": state["mg_status"],
            "sex": np.where(people["male"] > 0, "M", "F"),
            "usual_diet_mg": state["intake_mg"],
            "usual_diet_ca": state["intake_ca"],
            "supp_mg": people["supp_mg"],
            "supp_ca": people["supp_ca"],
            "absorbed_mg": state["absorbed_mg"],
            "absorbed_ca": state["absorbed_ca"],
            "urine_mg_true": state["urine_mg_true"],
            "femg": state["femg"],
            "ca_ion_true": state["ca_ion_true"],
            "pth_expected": state["pth_expected"],
            "urine_ca_expected": state["urine_ca_expected"],
            "gut": latent["gut"],
            "renal": latent["renal"],
            "ca_dev": latent["ca_dev"],
        }
    )


def _draw_readings(theta, state, schedule: Schedule, rng, cov: dict):
    """Readings of every measurement on the two-occasion schedule, natural units."""
    n = len(cov["male"])
    occasions = 2
    recall = np.ones((n, occasions), bool)
    recall[:, 1] = rng.random(n) < schedule.second_recall
    blood = np.zeros((n, occasions), bool)
    blood[:, 0] = rng.random(n) < schedule.serum
    blood[:, 1] = blood[:, 0] & (rng.random(n) < schedule.repeat_blood)
    pth = blood & (rng.random(n) < schedule.pth)[:, None]
    urine = np.zeros((n, occasions), bool)
    urine[:, 0] = rng.random(n) < schedule.urine
    urine[:, 1] = urine[:, 0] & (rng.random(n) < schedule.repeat_urine)
    ionized = blood & (rng.random(n) < schedule.ionized_ca)[:, None]
    serum_mg = blood & (rng.random(n) < schedule.serum_mg)[:, None]
    albumin_subject = rng.random(n) < schedule.albumin
    masks = {
        "diet_mg": recall,
        "diet_ca": recall,
        "serum_mg": serum_mg,
        "serum_ca": blood,
        "ionized_ca": ionized,
        "pth": pth,
        "urine_mg": urine,
        "urine_ca": urine,
    }
    out = {}
    for column, mask in masks.items():
        m = BY_COLUMN[column]
        within, between = sds(m, theta)
        mu = location(m, state[m.state], within)
        extra = 0.0
        if column == "serum_ca":
            slope = float(theta["albumin_ca_slope"])
            extra = np.where(albumin_subject, 0.0, slope * float(theta["albumin_sd"]))
        out[column] = draw(
            m, mu, within, between, mask, rng, extra_sd=extra, gross=gross_error(m, theta)
        )
    # Albumin: a persistent subject level plus small visit-to-visit variation. Measured albumin
    # converts the corrected Ca reading back to total Ca; without it, the subject's own albumin
    # (unknown to the model) does, which the model's extra serum Ca SD accounts for.
    slope, ref = float(theta["albumin_ca_slope"]), float(theta["albumin_ref"])
    albumin_level = ref + rng.normal(0.0, float(theta["albumin_sd"]), n)
    albumin = albumin_level[:, None] + rng.normal(0.0, 1.0, (n, occasions))
    measured_albumin = blood & albumin_subject[:, None]
    used = np.where(measured_albumin, albumin, albumin_level[:, None])
    out["serum_ca"] = out["serum_ca"] - slope * (ref - used)
    out["albumin"] = np.where(measured_albumin, albumin, np.nan)
    out |= _collections(theta, cov, out, urine, rng)
    return out


def _collections(theta, cov: dict, out: dict, urine: np.ndarray, rng) -> dict:
    """24-h urines as collected: a fraction of the day's urine, and its creatinine.

    The log fraction collected is normal (``urine_completeness_mean``, ``_sd``); the
    subject's creatinine excretion deviates from its expectation for sex and age by the
    muscle-mass SD; urine Mg, Ca and creatinine of a collection share its fraction.
    """
    shape = urine.shape
    fraction = rng.normal(
        float(theta["urine_completeness_mean"]), float(theta["urine_completeness_sd"]), shape
    )
    ref = np.log(theta["urine_creatinine_ref"])
    expected = (
        ref[0]
        + cov["male"] * (ref[1] - ref[0])
        + float(theta["urine_creatinine_age_slope"]) * cov["age_decades"]
        + rng.normal(0.0, float(theta["urine_creatinine_sd"]), shape[0])
    )
    creatinine = np.exp(expected[:, None] + fraction)
    return {
        "urine_mg": out["urine_mg"] * np.exp(fraction),
        "urine_ca": out["urine_ca"] * np.exp(fraction),
        "urine_creatinine": np.where(urine, creatinine, np.nan),
    }


_ROUNDING = {
    "diet_mg": 0,
    "diet_ca": 0,
    "serum_mg": 3,
    "serum_ca": 3,
    "albumin": 1,
    "ionized_ca": 3,
    "pth": 2,
    "urine_mg": 2,
    "urine_ca": 2,
    "urine_creatinine": 2,
}


def _exposure_columns(cov: dict) -> dict:
    """The cohort columns of the exposures that shift renal and gut handling."""
    thiazide, loop = cov["thiazide"] > 0, cov["loop_diuretic"] > 0
    diuretic = np.where(thiazide & loop, "both", np.where(thiazide, "thiazide", "none"))
    return {
        "diuretic": np.where(loop & ~thiazide, "loop", diuretic),
        "ppi": np.where(cov["ppi"] > 0, "yes", "no"),
        "diabetes": np.where(cov["diabetes"] > 0, "yes", "no"),
        "alcohol_g": cov["alcohol_g"],
    }


def _reportable(column: str, values: np.ndarray) -> np.ndarray:
    """Readings outside the reader's physiological limits left missing, as unreported.

    A gross reading error far out, or an extreme prior draw, can give a value no
    laboratory would report (a 24-h urine Ca of 1,100 mmol/d); the reader would refuse the
    whole cohort. With t4 errors it happened to 9 of 200 SBC cohorts, one reading each,
    which SBC then lost.
    """
    return np.where(QUANTITIES[column].is_impossible(values), np.nan, values)


def _assemble(ids, readings: dict, people: dict, n_sites: int, schedule: Schedule, rng):
    """One row per subject per occasion that has any reading, in the canonical schema."""
    n = len(ids)
    male, site = people["male"], people["site"]
    has_egfr = rng.random(n) < schedule.egfr
    frames = []
    for occasion in range(2):
        frame = pd.DataFrame({"subject_id": ids, "occasion": occasion})
        if n_sites:
            frame["site"] = np.array([f"site_{chr(65 + s)}" for s in site])
        frame["sex"] = np.where(male > 0, "M", "F")
        frame["age_years"] = people["age"]
        frame["egfr"] = np.where(has_egfr, np.round(people["egfr"], 0), np.nan)
        for column, digits in _ROUNDING.items():
            frame[column] = _reportable(column, np.round(readings[column][:, occasion], digits))
        frame["supp_ca"] = people["supp_ca"]
        frame["supp_mg"] = people["supp_mg"]
        frame["supp_timing"] = people["timing"]
        if schedule.exposures_recorded:
            for column, values in _exposure_columns(people["cov"]).items():
                frame[column] = values
        keep = np.isfinite(np.column_stack([readings[c][:, occasion] for c in _ROUNDING])).any(
            axis=1
        )
        frames.append(frame[keep])
    cohort = pd.concat(frames, ignore_index=True)
    return cohort.sort_values(["subject_id", "occasion"], kind="stable").reset_index(drop=True)
