"""An independent Ca-Mg world: a generative model written from the published figures alone.

Nothing here calls camg_bayes. The functional forms are deliberately unlike the model's:

* **Intake**: usual intakes log-normal by sex (or a two-component mixture); each 24-h recall
  is usual intake times a gamma-distributed day factor (mean 1), not log-normal.
* **Absorption**: the fraction of the *daily* Mg load absorbed falls as a Hill curve from
  65 % to 11 % (Fine 1991's end points), not a per-meal hyperbola; Ca taken with Mg lowers
  it through a logistic factor of the day's co-ingested Ca; each person has an absorption
  efficiency, and a gut-loss subgroup absorbs a fraction of it.
* **Serum Mg**: set by the kidney's reabsorption threshold, not by stores: urine Mg (=
  absorbed Mg at balance) leaves through ``U = 1.44 GFR 0.7 S FE0 exp((S - T)/w)``, solved
  for S; a renal-wasting subgroup has a lower threshold. A chronic store deficit (from a
  long-run shortfall of absorption against a requirement) lowers S further, linearly.
* **Ca and PTH**: the ionized Ca set point is normal; Mg below 0.45 mmol/L lowers it
  linearly; PTH is log-linear in ionized Ca with a linear suppression below serum Mg 0.5.
* **Readings**: serum values normal (or Student-t with outliers), PTH and urine log-normal;
  24-h urines are collected incompletely, and creatinine shows by how much.

:func:`optimal_probability` computes each person's Bayes-optimal P(true serum Mg < 0.75)
given the world's true parameters, by enumerating the phenotype classes and importance
sampling the continuous latents within each class (a prior pilot, then a Student-t
proposal fitted to it), with enough samples that the Monte Carlo error is negligible.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import special, stats

MG, CA = 24.305, 40.078  # mg per mmol
THRESHOLD = 0.75


@dataclass(frozen=True)
class World:
    """Parameters of one world; defaults follow the published figures (physiology.md)."""

    name: str
    description: str
    # intake: median usual intake (F, M), log SD, Ca-Mg correlation, recall day-factor CV
    mg_median: tuple = (250.0, 330.0)
    ca_median: tuple = (800.0, 1000.0)
    intake_sd: tuple = (0.30, 0.38)
    intake_corr: float = 0.5
    recall_cv: tuple = (0.33, 0.38)
    second_component: float = 0.0  # share of people in a second intake component
    second_shift: float = 0.0  # its log shift of both intakes
    supplement_users: tuple = (0.18, 0.25)  # share taking Mg, Ca supplements
    mg_supplement_doses: tuple = (100.0, 200.0, 250.0, 300.0, 400.0)
    ca_supplement_doses: tuple = (300.0, 500.0, 600.0, 1000.0, 1200.0)
    # absorption: Hill decline over the daily load, competition, efficiency
    fa_max: float = 0.65
    fa_min: float = 0.11
    fa_half_load: float = 250.0  # mg/d at which FA is halfway
    fa_hill: float = 1.3
    competition: float = 0.0  # logit drop of Mg absorption per g/d of co-ingested Ca
    efficiency_sd: float = 0.15
    gut_loss_share: float = 0.0
    gut_loss_factor: float = 0.35
    # kidney: threshold (mmol/L), its spread, steepness, basal FE, wasting subgroup
    threshold_mean: float = 0.785
    threshold_sd: float = 0.045
    steepness: float = 0.09
    fe0: float = 0.035
    wasting_share: float = 0.0
    wasting_shift: float = -0.22
    # chronic store deficit: mmol/L per (requirement - absorbed)/requirement
    requirement: float = 95.0  # mg/d absorbed
    deficit_slope: float = 0.15
    # Ca and PTH
    ca_set: tuple = (1.22, 1.23)
    ca_sd: float = 0.035
    pth_ref: float = 4.0
    pth_ca_slope: float = -7.0  # log PTH per mmol/L ionized Ca
    pth_gland_sd: float = 0.25
    # readings
    serum_mg_sd: float = 0.028
    serum_ca_sd: float = 0.05
    ionized_sd: float = 0.025
    pth_sd: float = 0.16
    urine_sd: float = 0.30
    heavy_tails: bool = False  # Student-t (3 df) serum errors and 2 % gross outliers
    completeness_sd: float = 0.2
    incomplete_share: float = 0.0  # collections that miss a large part of the day
    # schedule
    serum_mg_share: float = 0.9
    urine_share: float = 0.6
    pth_share: float = 0.6
    second_recall: float = 0.8
    extras: dict = field(default_factory=dict)


def _people(world: World, n: int, rng) -> dict:
    """Covariates and latents of ``n`` people."""
    male = rng.random(n) < 0.5
    age = np.clip(np.round(rng.normal(48.0, 16.0, n)), 18, 85)
    egfr = np.clip(125.0 - 0.9 * (age - 20.0) + rng.normal(0.0, 13.0, n), 20.0, 140.0)
    takes_mg = rng.random(n) < world.supplement_users[0]
    takes_ca = rng.random(n) < world.supplement_users[1]
    supp_mg = np.where(takes_mg, rng.choice(world.mg_supplement_doses, n), 0.0)
    supp_ca = np.where(takes_ca, rng.choice(world.ca_supplement_doses, n), 0.0)
    apart = (takes_mg & takes_ca) & (rng.random(n) < 0.5)
    cov = {
        "male": male.astype(float),
        "age": age,
        "egfr": egfr,
        "supp_mg": supp_mg,
        "supp_ca": supp_ca,
        "apart": apart.astype(float),
    }
    classes = rng.choice(3, n, p=_class_probabilities(world))
    return cov, prior_latents(world, cov, classes, rng, (n,)), classes


def _class_probabilities(world: World) -> np.ndarray:
    """Phenotype classes: 0 ordinary, 1 renal wasting, 2 gut loss."""
    return np.array(
        [
            1.0 - world.wasting_share - world.gut_loss_share,
            world.wasting_share,
            world.gut_loss_share,
        ]
    )


def prior_latents(world: World, cov: dict, classes, rng, shape) -> dict:
    """Continuous latents given the class: usual intakes, efficiency, threshold, Ca, gland."""
    male = cov["male"]
    mu_mg = np.log(np.where(male > 0, world.mg_median[1], world.mg_median[0]))
    mu_ca = np.log(np.where(male > 0, world.ca_median[1], world.ca_median[0]))
    z = rng.standard_normal((5, *shape))
    second = rng.random(shape) < world.second_component
    shift = np.where(second, world.second_shift, 0.0)
    log_mg = mu_mg + shift + world.intake_sd[0] * z[0]
    rho = world.intake_corr
    log_ca = mu_ca + shift + world.intake_sd[1] * (rho * z[0] + np.sqrt(1 - rho**2) * z[1])
    return {
        "log_mg": log_mg,
        "log_ca": log_ca,
        "efficiency": world.efficiency_sd * z[2],
        "threshold": world.threshold_mean
        + world.threshold_sd * z[3]
        + np.where(classes == 1, world.wasting_shift, 0.0),
        "ca_dev": world.ca_sd * z[4],
        "gland": world.pth_gland_sd * rng.standard_normal(shape),
        "gut_class": (classes == 2).astype(float) * np.ones(shape),
    }


def truth(world: World, cov: dict, latent: dict) -> dict:
    """The true steady state: absorbed Mg, true serum Mg, urine Mg, FEMg, ionized Ca, PTH."""
    diet_mg, diet_ca = np.exp(latent["log_mg"]), np.exp(latent["log_ca"])
    load = diet_mg + cov["supp_mg"]
    fraction = world.fa_min + (world.fa_max - world.fa_min) / (
        1.0 + (load / world.fa_half_load) ** world.fa_hill
    )
    co_ca = diet_ca + cov["supp_ca"] * np.where(cov["apart"] > 0, 0.3, 1.0)
    # logistic in the day's co-ingested Ca, 1 at a typical 800 mg/d
    fraction = fraction * 2.0 * special.expit(-world.competition * (co_ca - 800.0) / 1000.0)
    efficiency = np.exp(latent["efficiency"]) * np.where(
        latent["gut_class"] > 0, world.gut_loss_factor, 1.0
    )
    absorbed = load * fraction * efficiency
    urine = np.maximum(absorbed - 4.0, 1.0) / MG  # mmol/d, sweat 4 mg/d
    serum = _renal_serum(world, urine, cov["egfr"], latent["threshold"])
    serum = serum - world.deficit_slope * np.maximum(0.0, 1.0 - absorbed / world.requirement)
    serum = np.maximum(serum, 0.15)
    ca_ion = (
        np.where(cov["male"] > 0, world.ca_set[1], world.ca_set[0])
        + latent["ca_dev"]
        - 0.3 * np.maximum(0.0, 0.45 - serum) / 0.2
    )
    log_pth = (
        np.log(world.pth_ref)
        + world.pth_ca_slope * (ca_ion - 1.22)
        + 0.05 * (cov["age"] - 50.0) / 10.0
        + latent["gland"]
        - 3.0 * np.maximum(0.0, 0.5 - serum) / 0.1
    )
    urine_ca = 0.2 * (diet_ca + cov["supp_ca"]) * 0.3 / CA * np.exp(2.0 * (ca_ion - 1.22))
    femg = urine / (1.44 * cov["egfr"] * 0.7 * serum)
    return {
        "absorbed_mg": absorbed,
        "serum_mg_true": serum,
        "urine_mg_true": urine,
        "femg": femg,
        "ca_ion": ca_ion,
        "log_pth": log_pth,
        "urine_ca": urine_ca,
    }


def _renal_serum(world: World, urine, egfr, threshold):
    """Serum Mg at which the kidney excretes ``urine``: solve U = c S exp((S - T)/w)."""
    c = 1.44 * egfr * 0.7 * world.fe0
    s = np.full(np.broadcast(urine, threshold).shape, 0.8)
    for _ in range(30):  # Newton on log U - log(c S) - (S - T)/w, monotone in S
        f = np.log(c * s) + (s - threshold) / world.steepness - np.log(urine)
        s = np.clip(s - f / (1.0 / s + 1.0 / world.steepness), 0.05, 2.0)
    return s


def _serum_error(world: World, rng, shape, sd):
    if not world.heavy_tails:
        return sd * rng.standard_normal(shape)
    error = sd / np.sqrt(3.0) * rng.standard_t(3, shape)
    outlier = rng.random(shape) < 0.02
    return np.where(outlier, error + rng.choice([-1.0, 1.0], shape) * 6 * sd, error)


def _serum_logpdf(world: World, x, sd):
    if not world.heavy_tails:
        return stats.norm.logpdf(x, scale=sd)
    core = stats.t.logpdf(x, 3, scale=sd / np.sqrt(3.0))
    # the outliers: +-6 SD shifts of the same error, 2 %
    shifted = np.logaddexp(
        stats.t.logpdf(x - 6 * sd, 3, scale=sd / np.sqrt(3.0)),
        stats.t.logpdf(x + 6 * sd, 3, scale=sd / np.sqrt(3.0)),
    ) + np.log(0.5)
    return np.logaddexp(np.log(0.98) + core, np.log(0.02) + shifted)


def simulate(world: World, n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """A cohort in the camg_bayes schema, its truth, and what the optimum needs.

    Returns
    -------
    tuple
        ``cohort`` (one row per person and occasion), ``truth`` (one row per person) and
        ``data`` (covariates and readings as arrays, for :func:`optimal_probability`).
    """
    rng = np.random.default_rng(seed)
    cov, latent, classes = _people(world, n, rng)
    state = truth(world, cov, latent)
    readings = _readings(world, cov, latent, state, rng)
    cohort = _cohort_table(cov, readings, n)
    table = pd.DataFrame(
        {
            "subject_id": [f"W{i + 1:05d}" for i in range(n)],
            "true_serum_mg": state["serum_mg_true"],
            "deficient": state["serum_mg_true"] < THRESHOLD,
            "phenotype": np.array(["ordinary", "renal_wasting", "gut_loss"])[classes],
            "usual_diet_mg": np.exp(latent["log_mg"]),
            "absorbed_mg": state["absorbed_mg"],
            "urine_mg_true": state["urine_mg_true"],
            "femg": state["femg"],
        }
    )
    return cohort, table, {"cov": cov, "readings": readings}


def _readings(world: World, cov: dict, latent: dict, state: dict, rng) -> dict:
    """Two occasions of readings, NaN where not taken."""
    n = len(cov["male"])
    occ = 2
    recall = np.ones((n, occ), bool)
    recall[:, 1] = rng.random(n) < world.second_recall
    blood = rng.random(n) < 0.9
    serum_mg_taken = blood & (rng.random(n) < world.serum_mg_share / 0.9)
    pth_taken = blood & (rng.random(n) < world.pth_share / 0.9)
    urine_taken = rng.random(n) < world.urine_share
    out = {}
    for key, log_usual, cv in (
        ("diet_mg", latent["log_mg"], world.recall_cv[0]),
        ("diet_ca", latent["log_ca"], world.recall_cv[1]),
    ):
        shape = 1.0 / cv**2
        day = rng.gamma(shape, 1.0 / shape, (n, occ))
        out[key] = np.where(recall, np.round(np.exp(log_usual)[:, None] * day), np.nan)
    out["serum_mg"] = np.where(
        serum_mg_taken,
        state["serum_mg_true"] + _serum_error(world, rng, n, world.serum_mg_sd),
        np.nan,
    )
    total_ca = 1.96 * state["ca_ion"]
    out["serum_ca"] = np.where(
        blood, total_ca + _serum_error(world, rng, n, world.serum_ca_sd), np.nan
    )
    out["pth"] = np.where(
        pth_taken, np.exp(state["log_pth"] + world.pth_sd * rng.standard_normal(n)), np.nan
    )
    completeness = world.completeness_sd * rng.standard_normal(n) - 0.05
    incomplete = rng.random(n) < world.incomplete_share
    completeness = np.where(incomplete, np.log(rng.uniform(0.3, 0.6, n)), completeness)
    creat_expected = np.where(cov["male"] > 0, 15.8, 10.3) * np.exp(-0.06 * (cov["age"] - 50) / 10)
    muscle = 0.2 * rng.standard_normal(n)
    factor = np.exp(completeness)
    out["urine_mg"] = np.where(
        urine_taken,
        state["urine_mg_true"] * factor * np.exp(world.urine_sd * rng.standard_normal(n)),
        np.nan,
    )
    out["urine_ca"] = np.where(
        urine_taken, state["urine_ca"] * factor * np.exp(0.3 * rng.standard_normal(n)), np.nan
    )
    out["urine_creatinine"] = np.where(
        urine_taken,
        creat_expected * np.exp(muscle) * factor * np.exp(0.08 * rng.standard_normal(n)),
        np.nan,
    )
    out["_completeness"] = completeness
    out["_creat_expected"] = creat_expected
    return out


def _cohort_table(cov: dict, readings: dict, n: int) -> pd.DataFrame:
    ids = np.array([f"W{i + 1:05d}" for i in range(n)])
    frames = []
    for occasion in range(2):
        frame = pd.DataFrame(
            {
                "subject_id": ids,
                "occasion": occasion,
                "sex": np.where(cov["male"] > 0, "M", "F"),
                "age_years": cov["age"],
                "egfr": np.round(cov["egfr"]),
                "diet_mg": readings["diet_mg"][:, occasion],
                "diet_ca": readings["diet_ca"][:, occasion],
                "supp_mg": cov["supp_mg"],
                "supp_ca": cov["supp_ca"],
                "supp_timing": np.where(
                    (cov["supp_mg"] > 0) & (cov["supp_ca"] > 0),
                    np.where(cov["apart"] > 0, "apart", "together"),
                    "",
                ),
            }
        )
        for key in ("serum_mg", "serum_ca", "pth", "urine_mg", "urine_ca", "urine_creatinine"):
            values = readings[key] if occasion == 0 else np.full(n, np.nan)
            frame[key] = np.round(values, 3)
        keep = frame[["diet_mg", "diet_ca", "serum_mg", "serum_ca", "pth", "urine_mg"]].notna().any(
            axis=1
        ) | (occasion == 0)
        frames.append(frame[keep])
    return (
        pd.concat(frames)
        .sort_values(["subject_id", "occasion"], kind="stable")
        .reset_index(drop=True)
    )


def loglik(world: World, cov: dict, readings: dict, latent: dict, rows) -> np.ndarray:
    """Log-likelihood of each person's readings at latents ``(samples, people)``."""
    state = truth(world, {k: v[rows] for k, v in cov.items()}, latent)
    out = np.zeros(np.shape(latent["log_mg"]))
    for key, log_usual, cv in (
        ("diet_mg", latent["log_mg"], world.recall_cv[0]),
        ("diet_ca", latent["log_ca"], world.recall_cv[1]),
    ):
        shape = 1.0 / cv**2
        for occasion in range(2):
            y = readings[key][rows, occasion]
            have = np.isfinite(y)
            ratio = np.where(have, y, 1.0) / np.exp(log_usual)
            term = stats.gamma.logpdf(np.maximum(ratio, 1e-9), shape, scale=1.0 / shape) - log_usual
            out = out + np.where(have, term, 0.0)
    y = readings["serum_mg"][rows]
    out = out + np.where(
        np.isfinite(y),
        _serum_logpdf(world, np.nan_to_num(y) - state["serum_mg_true"], world.serum_mg_sd),
        0.0,
    )
    y = readings["serum_ca"][rows]
    out = out + np.where(
        np.isfinite(y),
        _serum_logpdf(world, np.nan_to_num(y) - 1.96 * state["ca_ion"], world.serum_ca_sd),
        0.0,
    )
    y = readings["pth"][rows]
    out = out + np.where(
        np.isfinite(y),
        stats.norm.logpdf(
            np.log(np.where(np.isfinite(y), y, 1.0)) - state["log_pth"], scale=world.pth_sd
        ),
        0.0,
    )
    # urine: the completeness factor is shared by Mg, Ca and creatinine; integrate it on a grid
    y_mg, y_ca, y_cr = (readings[k][rows] for k in ("urine_mg", "urine_ca", "urine_creatinine"))
    have = np.isfinite(y_mg)
    if have.any():
        out = out + np.where(
            have,
            _urine_loglik(world, state, y_mg, y_ca, y_cr, readings["_creat_expected"][rows]),
            0.0,
        )
    return out


def _urine_loglik(world: World, state, y_mg, y_ca, y_cr, expected):
    """Urine Mg, Ca and creatinine, the shared completeness and muscle integrated out."""
    grid = np.linspace(-3.0, 0.8, 77)
    mix = (1.0 - world.incomplete_share) * stats.norm.pdf(grid, -0.05, world.completeness_sd)
    if world.incomplete_share:  # log of a uniform(0.3, 0.6) fraction: density e^c / 0.3
        inside = (grid > np.log(0.3)) & (grid < np.log(0.6))
        mix = mix + world.incomplete_share * inside * np.exp(grid) / 0.3
    weights = mix / mix.sum()
    log_y = [np.log(np.where(np.isfinite(y), y, 1.0)) for y in (y_mg, y_ca, y_cr)]
    total = -np.inf
    for c, w in zip(grid, weights, strict=True):
        if w <= 0:
            continue
        term = (
            stats.norm.logpdf(log_y[0] - np.log(state["urine_mg_true"]) - c, scale=world.urine_sd)
            + stats.norm.logpdf(log_y[1] - np.log(state["urine_ca"]) - c, scale=0.3)
            + stats.norm.logpdf(log_y[2] - np.log(expected) - c, scale=np.hypot(0.2, 0.08))
        )
        total = np.logaddexp(total, np.log(w) + term)
    return total


def optimal_probability(
    world: World, data: dict, *, samples: int = 4000, seed: int = 0, chunk: int = 50
):
    """Each person's Bayes-optimal P(true serum Mg < 0.75 | readings, the world's parameters).

    Returns
    -------
    tuple of numpy.ndarray
        The probability and the smallest effective sample size behind it, per person.
    """
    rng = np.random.default_rng(seed)
    cov, readings = data["cov"], data["readings"]
    n = len(cov["male"])
    p, ess = np.empty(n), np.empty(n)
    prior_class = _class_probabilities(world)
    for start in range(0, n, chunk):
        rows = np.arange(start, min(start + chunk, n))
        log_z, p_class, ess_class = [], [], []
        for c in range(3):
            if prior_class[c] == 0:
                continue
            lz, pc, ec = _within_class(world, cov, readings, rows, c, samples, rng)
            log_z.append(lz + np.log(prior_class[c]))
            p_class.append(pc)
            ess_class.append(ec)
        log_z = np.array(log_z)
        w = np.exp(log_z - special.logsumexp(log_z, axis=0))
        p[rows] = np.sum(w * np.array(p_class), axis=0)
        # the ESS behind the class that carries each person's posterior
        ess[rows] = np.array(ess_class)[np.argmax(w, axis=0), np.arange(len(rows))]
    return p, ess


def _within_class(world, cov, readings, rows, c, samples, rng, rounds: int = 3):
    """Importance sampling within one class: a prior pilot, then Student-t proposals fitted
    to the previous round's weighted draws (adaptive importance sampling)."""
    names = ("log_mg", "log_ca", "efficiency", "threshold", "ca_dev", "gland")
    sub = {k: v[rows] for k, v in cov.items()}
    pilot = prior_latents(world, sub, np.full(len(rows), c), rng, (samples // 2, len(rows)))
    lw = loglik(world, cov, readings, pilot, rows)
    x = np.stack([pilot[k] for k in names], -1)
    for round_ in range(rounds):
        w = np.exp(lw - special.logsumexp(lw, axis=0))
        mean = np.einsum("sj,sjd->jd", w, x)
        centred = x - mean
        scale = 2.0 if round_ == 0 else 1.3
        cov_x = scale * np.einsum("sj,sji,sjk->jik", w, centred, centred)
        cov_x = (
            cov_x
            + 1e-8 * np.eye(len(names))
            + 1e-3 * np.einsum("jii->ji", cov_x)[:, :, None] * np.eye(len(names))
        )
        chol = np.linalg.cholesky(cov_x)
        t = rng.standard_t(5, (samples, len(rows), len(names)))
        proposal = mean + np.einsum("jik,sjk->sji", chol, t)
        prior_draw = prior_latents(world, sub, np.full(len(rows), c), rng, (samples, len(rows)))
        defensive = rng.random((samples, len(rows))) < 0.1
        x = np.where(defensive[..., None], np.stack([prior_draw[k] for k in names], -1), proposal)
        latent = {k: x[..., i] for i, k in enumerate(names)} | {
            "gut_class": np.full(x.shape[:2], float(c == 2))
        }
        log_prior = _prior_logpdf(world, sub, latent, c)
        log_q = np.logaddexp(np.log(0.9) + _t_logpdf(x, mean, chol), np.log(0.1) + log_prior)
        lw = loglik(world, cov, readings, latent, rows) + log_prior - log_q
    log_z = special.logsumexp(lw, axis=0) - np.log(samples)
    w = np.exp(lw - special.logsumexp(lw, axis=0))
    serum = truth(world, sub, latent)["serum_mg_true"]
    return log_z, np.sum(w * (serum < THRESHOLD), axis=0), 1.0 / np.sum(w**2, axis=0)


def _prior_logpdf(world, cov, latent, c):
    male = cov["male"]
    mu_mg = np.log(np.where(male > 0, world.mg_median[1], world.mg_median[0]))
    mu_ca = np.log(np.where(male > 0, world.ca_median[1], world.ca_median[0]))
    s1, s2, rho = world.intake_sd[0], world.intake_sd[1], world.intake_corr
    out = -np.inf
    for share, shift in (
        (1.0 - world.second_component, 0.0),
        (world.second_component, world.second_shift),
    ):
        if share <= 0:
            continue
        z1 = (latent["log_mg"] - mu_mg - shift) / s1
        z2 = (latent["log_ca"] - mu_ca - shift - rho * s2 * z1) / (s2 * np.sqrt(1 - rho**2))
        term = -0.5 * (z1**2 + z2**2) - np.log(2 * np.pi * s1 * s2 * np.sqrt(1 - rho**2))
        out = np.logaddexp(out, np.log(share) + term)
    thr_mean = world.threshold_mean + (world.wasting_shift if c == 1 else 0.0)
    return (
        out
        + stats.norm.logpdf(latent["efficiency"], scale=world.efficiency_sd)
        + stats.norm.logpdf(latent["threshold"], thr_mean, world.threshold_sd)
        + stats.norm.logpdf(latent["ca_dev"], scale=world.ca_sd)
        + stats.norm.logpdf(latent["gland"], scale=world.pth_gland_sd)
    )


def _t_logpdf(x, mean, chol, df=5):
    d = x.shape[-1]
    inverse = np.linalg.inv(chol)
    z = np.einsum("jik,sjk->sji", inverse, x - mean)
    quad = (z**2).sum(-1)
    log_det = np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(-1)
    return (
        special.gammaln((df + d) / 2)
        - special.gammaln(df / 2)
        - 0.5 * d * np.log(df * np.pi)
        - log_det
        - 0.5 * (df + d) * np.log1p(quad / df)
    )


def variant(world: World, **changes) -> World:
    """A world with some parameters changed."""
    return replace(world, **changes)
