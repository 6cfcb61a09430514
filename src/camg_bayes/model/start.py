"""Where the sampler starts: chain jitter and data-informed starting values.

The model is not changed by either; they only place the chains where the posterior is,
so that warm-up does not start from gradients of order 1e5 or from a point where a
parameter no data inform has an exactly zero gradient.
"""

from __future__ import annotations

import numpy as np
import pymc as pm

from camg_bayes.model.build import SITE_PARAMETERS
from camg_bayes.model.config import ModelConfig
from camg_bayes.model.design import Design
from camg_bayes.physiology.magnesium import status_from_serum_mg
from camg_bayes.physiology.observation import BY_COLUMN, from_model_scale


def jitter_variables(model: pm.Model) -> set:
    """Variables whose starting values are jittered between chains.

    Only the subjects' whitened coordinates (scale about 1) are jittered, by U(-1, 1).
    Population parameters start at their prior centres: a U(-1, 1) jitter on the
    transformed scale of a parameter whose prior SD is 0.03 starts a chain 30 SDs out,
    where one chain of four was seen to stall at N = 5000.
    """
    names = [rv.name for rv in model.free_RVs]
    return {model[n] for n in names if n == "latent_z"}


def initial_values(
    design: Design, config: ModelConfig, *, random_seed=None
) -> dict[str, np.ndarray]:
    """Starting values of the population parameters (the model is unchanged).

    * Location parameters start at the cohort's own averages (by sex, clipped to the
      prior's central 98 %): with thousands of subjects, a cohort mean a few tenths of a
      prior SD from the prior centre gives gradients of order 1e5 there.
    * Every other free parameter starts near its prior centre, displaced by a tenth of its
      prior SD: a parameter no data inform has an exactly zero gradient at its prior
      centre, which nutpie's mass-matrix initialisation cannot use ("All initialization
      points failed", seen with NHANES 2017-18, which has no Mg, PTH or urine data).
    """
    male = design.cov["male"]
    centre = config.center()
    out: dict[str, np.ndarray] = {}

    def by_sex(column: str, transform) -> np.ndarray | None:
        if column not in design.summaries:
            return None
        s = design.summaries[column]
        values = from_model_scale(BY_COLUMN[column], s.mean)
        levels = []
        for sex_value in (0.0, 1.0):
            pick = values[male[s.subject] == sex_value]
            levels.append(transform(pick) if pick.size >= 5 else np.nan)
        return np.asarray(levels)

    def geometric(x):
        return float(np.exp(np.mean(np.log(x))))

    guesses = {
        "intake_mg_median": by_sex("diet_mg", geometric),
        "intake_ca_median": by_sex("diet_ca", geometric),
        "pth_ref": by_sex("pth", geometric),
        "ca_ion_set": by_sex(
            "serum_ca", lambda x: float(np.mean(x)) / float(centre["ca_total_per_ionized"])
        ),
    }
    if guesses["ca_ion_set"] is None:
        guesses["ca_ion_set"] = by_sex("ionized_ca", lambda x: float(np.mean(x)))
    guesses["mg_status_ref"] = by_sex(
        "serum_mg",
        lambda x: float(
            status_from_serum_mg(
                min(float(np.mean(x)), 0.97 * float(centre["serum_mg_max"])),
                serum_mg_max=float(centre["serum_mg_max"]),
                status_scale=float(centre["mg_status_scale"]),
            )
        ),
    )
    rng = np.random.default_rng(random_seed)
    for name, prior in config.priors.items():
        if prior.is_fixed or (name in SITE_PARAMETERS and not design.sites):
            continue
        lo, hi = prior.interval(0.98)
        guess = guesses.get(name)
        if guess is None:
            z = 0.1 * rng.standard_normal(prior.shape)
            a, b = prior.interval(0.6827)  # +-1 SD for a normal prior
            guess = prior.center() + z * (np.asarray(b) - np.asarray(a)) / 2
        guess = np.where(np.isfinite(guess), guess, centre[name])
        out[name] = np.clip(guess, np.maximum(lo, 1e-6 if prior.dist != "Normal" else -np.inf), hi)
    return out
