"""A subject's steady state: the physiology functions composed, for any array backend.

:func:`steady_state` turns population parameters, a subject's covariates and the
subject's latent variables into every physiological quantity the observations depend on.
The simulator, the PyMC model, scoring and what-if all call it, so there is one chain of
mechanisms, from usual intake to serum, urine and PTH.

Shapes broadcast: in the model every parameter is a scalar (or a length-2 ``sex``
vector) and covariates have shape ``(subject,)``; in scoring, parameters carry a leading
draw axis, e.g. ``(draw, 1)`` and ``(draw, 1, 2)``, against latents of shape
``(draw, sample)``.
"""

from __future__ import annotations

from camg_bayes.physiology import absorption, calcium, magnesium
from camg_bayes.physiology.backend import namespace


def by_sex(value, male):
    """Select the F/M level of a ``sex`` parameter; ``male = 0.5`` averages the two.

    Parameters
    ----------
    value : array_like
        Parameter with a trailing axis of length 2 (F, M).
    male : array_like
        1 for men, 0 for women, 0.5 where sex is unknown.
    """
    return value[..., 0] + male * (value[..., 1] - value[..., 0])


def log_by_sex(value, male):
    """Like :func:`by_sex`, on the log scale (for positive parameters); returns the log."""
    xp = namespace(value)
    return by_sex(xp.log(value), male)


def intake_location(theta: dict, cov: dict):
    """Mean of the log usual intakes of Mg and Ca given sex, age and site.

    Parameters
    ----------
    theta : dict
        Population parameters (see ``models/default.toml``).
    cov : dict
        Covariates: ``male``, ``age_decades`` (age minus the reference age, in decades)
        and ``site_intake`` (the subject's site offset on log intake; 0 if absent).

    Returns
    -------
    tuple
        ``(mu_mg, mu_ca)``, log(mg/d).
    """
    mu_mg = (
        log_by_sex(theta["intake_mg_median"], cov["male"])
        + theta["intake_mg_age_slope"] * cov["age_decades"]
        + cov.get("site_intake", 0.0)
    )
    mu_ca = (
        log_by_sex(theta["intake_ca_median"], cov["male"])
        + theta["intake_ca_age_slope"] * cov["age_decades"]
        + cov.get("site_intake", 0.0)
    )
    return mu_mg, mu_ca


def mg_saturable_slope(theta: dict):
    """Fraction the saturable Mg pathway absorbs at vanishing load, ``f_sat0``.

    The prior is on the saturable fraction at a reference meal load (``mg_abs_frac_ref`` at
    ``mg_abs_load_ref``), the direction the data pin down; since
    :math:`A_{sat}(L_0)/L_0 = f_{sat0} K_m / (K_m + L_0)`, the initial slope follows.
    """
    return (
        theta["mg_abs_frac_ref"]
        * (theta["mg_abs_km"] + theta["mg_abs_load_ref"])
        / theta["mg_abs_km"]
    )


def site_effect(offsets, index):
    """Each subject's site offset, 0 for a subject without a site.

    Parameters
    ----------
    offsets : array_like
        Offsets per site on the last axis, ``(..., site)``.
    index : numpy.ndarray of int
        Each subject's site position in ``offsets``, -1 for none.

    Returns
    -------
    array_like
        ``(..., subject)``. A zero is appended to the sites, so index -1 picks it.
    """
    xp = namespace(offsets)
    padded = xp.concatenate([offsets, 0.0 * offsets[..., :1]], axis=-1)
    return xp.take(padded, index, axis=-1)


def deficient(serum_mg_true, threshold: float):
    """True where true serum Mg (mmol/L) is below the deficiency threshold (mmol/L)."""
    return serum_mg_true < threshold


def steady_state(theta: dict, cov: dict, latent: dict, *, mg_dependent_pth: bool = True) -> dict:
    """Every physiological quantity of a subject at steady state.

    Parameters
    ----------
    theta : dict
        Population parameters.
    cov : dict
        ``male``, ``age_decades``, ``egfr`` (mL/min/1.73 m²), ``supp_mg``, ``supp_ca``
        (mg/d), ``apart`` (0/1), ``site_intake``, ``site_status`` (site offsets), and the
        exposures ``thiazide``, ``loop_diuretic``, ``ppi``, ``diabetes`` (0/1) and
        ``alcohol_g`` (g/d).
    latent : dict
        The subject's latents (:data:`camg_bayes.physiology.variation.LATENTS`):
        ``log_intake_mg``, ``log_intake_ca`` (log usual dietary intake, mg/d), ``gut``
        (deviation of log net Mg absorption), ``renal`` (loss of log Mg stores from renal
        handling) and ``ca_dev`` (deviation of the ionized Ca set point, mmol/L).
    mg_dependent_pth : bool
        False for the model variant in which PTH ignores Mg.

    Returns
    -------
    dict
        ``intake_mg``, ``intake_ca`` (mg/d); ``absorbed_mg``, ``absorbed_ca`` (mg/d);
        ``absorbed_mg_diet`` (what absorption would be with an average gut, mg/d);
        ``gut_total``, ``renal_total`` (the deviations with the exposures' effects);
        ``ca_ion_base`` (ionized Ca without the Mg effect, mmol/L); ``renal_factor``;
        ``mg_status`` (fraction of replete stores); ``serum_mg_true`` (mmol/L);
        ``urine_mg_true`` (mmol/d); ``femg`` (fraction); ``ca_ion_true`` (mmol/L);
        ``serum_ca_corrected`` (total Ca at reference albumin, mmol/L); ``pth_expected``
        (pmol/L, before the subject's own gland deviation); ``urine_ca_expected``
        (mmol/d, before the subject's own deviation).

    Notes
    -----
    The steps, in the order the data flow: absorption (:func:`_absorption`), the Ca set
    point (:func:`_calcium_set_point`), Mg balance (:func:`_magnesium_balance`), PTH and
    ionized Ca (:func:`_pth_and_calcium`), urine and total Ca (:func:`_calcium_outputs`).
    """
    xp = namespace(*theta.values(), *latent.values(), *cov.values())
    state = absorption_step(theta, cov, latent, xp)
    state["renal_total"] = renal_loss(theta, cov, latent["renal"])
    state["ca_ion_base"] = calcium_set_point(theta, cov, latent, state["absorbed_ca"], xp)
    state |= _magnesium_balance(theta, cov, latent, state, xp)
    state |= _pth_and_calcium(theta, cov, state, mg_dependent_pth, xp)
    state |= _calcium_outputs(theta, cov, state, xp)
    return state


def absorption_step(t: dict, cov: dict, latent: dict, xp) -> dict:
    """Usual intakes and the Mg and Ca absorbed from them and the supplements, mg/d."""
    intake_mg = xp.exp(latent["log_intake_mg"])
    intake_ca = xp.exp(latent["log_intake_ca"])
    meals = t["meals_per_day"]
    absorbed_mg = absorption.mg_absorbed(
        intake_mg,
        cov["supp_mg"],
        intake_ca,
        cov["supp_ca"],
        cov["apart"],
        meals=meals,
        km=t["mg_abs_km"],
        f_sat0=mg_saturable_slope(t),
        f_para=t["mg_abs_f_para"],
        competition=t["mg_ca_competition"],
        ca_load_ref=t["mg_abs_ca_load_ref"],
    )
    gut_total = latent["gut"] + t["gut_ppi"] * cov["ppi"]
    absorbed_ca = ca_absorbed(t, intake_ca, cov["supp_ca"])
    return {
        "intake_mg": intake_mg,
        "intake_ca": intake_ca,
        "absorbed_mg_diet": absorbed_mg,
        "gut_total": gut_total,
        "absorbed_mg": absorbed_mg * xp.exp(gut_total),
        "absorbed_ca": absorbed_ca,
    }


def _ca_absorption(t: dict) -> dict:
    """The parameters of Ca absorption (:func:`absorption.ca_absorbed`), by keyword."""
    return {
        "meals": t["meals_per_day"],
        "km": t["ca_abs_km"],
        "f_sat0": t["ca_abs_f_sat0"],
        "f_para": t["ca_abs_f_para"],
    }


def ca_absorbed(t: dict, intake_ca, supp_ca):
    """Ca absorbed (mg/d) from usual dietary intake and a supplement (mg/d)."""
    return absorption.ca_absorbed(intake_ca, supp_ca, **_ca_absorption(t))


def ca_absorbed_elasticity(t: dict, intake_ca, supp_ca, absorbed_ca):
    """D log(Ca absorbed) / d log(dietary Ca) at ``intake_ca`` (``absorbed_ca`` its absorption)."""
    return absorption.ca_absorbed_elasticity(intake_ca, supp_ca, absorbed_ca, **_ca_absorption(t))


def calcium_set_point(t: dict, cov: dict, latent: dict, absorbed_ca, xp):
    """Ionized Ca before any Mg effect, mmol/L.

    ``ca_ion_set`` is the set point of a person of the subject's sex and age who eats the
    usual diet of that sex and age (:func:`intake_location`) without supplements; the
    absorption slope acts on the log ratio of the Ca the subject absorbs to what that
    person absorbs. Centred this way, the level and age trend of serum Ca belong to
    ``ca_ion_set`` and ``ca_ion_age_slope`` alone, not to products of the absorption
    slope with the intake parameters: in a cohort without recalls those products were
    ridges the sampler crossed slowly (NHANES 2017-18, ``benchmarks/results/robustness.md``).

    The CaSR term of Mg excretion uses it: a one-pass approximation of the joint Ca-Mg fixed
    point (the Mg-driven Ca fall matters only in severe deficiency, where it would lower Mg
    excretion a little further).
    """
    usual_ca = xp.exp(intake_location(t, cov)[1])
    usual_absorbed = ca_absorbed(t, usual_ca, 0.0)
    return (
        by_sex(t["ca_ion_set"], cov["male"])
        + t["ca_ion_absorption_slope"] * xp.log(absorbed_ca / usual_absorbed)
        + by_sex(t["ca_ion_age_slope"], cov["male"]) * cov["age_decades"]
        + latent["ca_dev"]
    )


def renal_loss(t: dict, cov: dict, renal):
    """The renal deviation with the effects of diuretics, diabetes and alcohol (log stores).

    Thiazides and diabetes raise renal Mg loss; loop diuretics too, though cross-sectional
    serum Mg is not lower; alcohol per 10 g/d (Kieboom 2018, Kurstjens 2017, Elisaf 1995;
    see ``models/default.toml``).
    """
    return (
        renal
        + t["renal_thiazide"] * cov["thiazide"]
        + t["renal_loop"] * cov["loop_diuretic"]
        + t["renal_diabetes"] * cov["diabetes"]
        + t["renal_alcohol"] * cov["alcohol_g"] / 10.0
    )


def _magnesium_balance(t: dict, cov: dict, latent: dict, state: dict, xp) -> dict:
    """Renal factor, Mg stores, true serum and urine Mg, and FEMg at balance."""
    renal_factor = magnesium.renal_mg_excretion_factor(
        state["ca_ion_base"],
        cov["egfr"],
        casr_slope=t["mg_casr_slope"],
        gfr_elasticity=t["mg_gfr_elasticity"],
        ca_ion_ref=t["ca_ion_ref"],
        egfr_ref=t["egfr_ref"],
    )
    status_ref = xp.exp(
        log_by_sex(t["mg_status_ref"], cov["male"])
        + t["mg_status_age_slope"] * cov["age_decades"]
        + cov["site_status"]
        - state["renal_total"]
    )
    mg_status = magnesium.mg_status(
        state["absorbed_mg"],
        status_ref=status_ref,
        absorbed_ref=t["mg_absorbed_ref"],
        elasticity=t["mg_balance_elasticity"],
        renal_factor=renal_factor,
    )
    serum_mg_true = magnesium.serum_mg_from_status(
        mg_status, serum_mg_max=t["serum_mg_max"], status_scale=t["mg_status_scale"]
    )
    urine_mg_true = magnesium.urine_mg_steady_state(
        state["absorbed_mg"], sweat_loss=t["sweat_mg_loss"]
    )
    femg = magnesium.fractional_excretion_mg(
        urine_mg_true, serum_mg_true, cov["egfr"], ultrafilterable=t["mg_ultrafilterable"]
    )
    return {
        "renal_factor": renal_factor,
        "mg_status": mg_status,
        "serum_mg_true": serum_mg_true,
        "urine_mg_true": urine_mg_true,
        "femg": femg,
    }


def _pth_and_calcium(t: dict, cov: dict, state: dict, mg_dependent_pth: bool, xp) -> dict:
    """Ionized Ca after the Mg-dependent PTH failure, and the expected PTH, pmol/L."""
    serum_mg_true = state["serum_mg_true"]
    if mg_dependent_pth:
        ca_ion_true = state["ca_ion_base"] + calcium.ca_ion_mg_shift(
            serum_mg_true,
            drop_max=t["ca_mg_drop_max"],
            tissue_mid=t["pth_tissue_mid"],
            tissue_width=t["pth_tissue_width"],
            suppress_mid=t["pth_mg_suppress_mid"],
            suppress_width=t["pth_mg_suppress_width"],
        )
        secretion = calcium.pth_mg_secretion(
            serum_mg_true,
            rise=t["pth_mg_rise"],
            rise_mid=t["pth_mg_rise_mid"],
            rise_width=t["pth_mg_rise_width"],
            suppress_mid=t["pth_mg_suppress_mid"],
            suppress_width=t["pth_mg_suppress_width"],
        )
    else:
        ca_ion_true = state["ca_ion_base"]
        secretion = 1.0
    pth_expected = (
        xp.exp(
            log_by_sex(t["pth_ref"], cov["male"])
            + t["pth_age_slope"] * cov["age_decades"]
            + t["pth_gfr_slope"] * xp.log(cov["egfr"] / t["egfr_ref"])
        )
        * secretion
        * calcium.pth_calcium_response(
            ca_ion_true,
            ca_ion_ref=t["ca_ion_ref"],
            hill=t["pth_hill"],
            min_ratio=t["pth_min_ratio"],
            max_ratio=t["pth_max_ratio"],
        )
    )
    return {"ca_ion_true": ca_ion_true, "pth_expected": pth_expected}


def _calcium_outputs(t: dict, cov: dict, state: dict, xp) -> dict:
    """Expected 24-h urine Ca (mmol/d) and total serum Ca at reference albumin (mmol/L)."""
    urine_ca_expected = calcium.urine_ca_steady_state(
        state["absorbed_ca"],
        state["ca_ion_true"],
        state["pth_expected"],
        cov["egfr"],
        fraction=t["urine_ca_fraction"],
        ca_slope=t["urine_ca_ca_slope"],
        pth_slope=t["urine_ca_pth_slope"],
        gfr_elasticity=t["urine_ca_gfr_elasticity"],
        ca_ion_ref=t["ca_ion_ref"],
        # relative to the population PTH of the subject's sex: the PTH level and the urine Ca
        # intercept are then not a product ridge when a cohort has no PTH readings
        pth_level_ref=xp.exp(log_by_sex(t["pth_ref"], cov["male"])),
        egfr_ref=t["egfr_ref"],
    )
    serum_ca_corrected = calcium.total_calcium(
        state["ca_ion_true"],
        t["albumin_ref"],
        total_per_ionized=t["ca_total_per_ionized"],
        albumin_slope=t["albumin_ca_slope"],
        albumin_ref=t["albumin_ref"],
    )
    return {"urine_ca_expected": urine_ca_expected, "serum_ca_corrected": serum_ca_corrected}


#: The routes by which stores fall short of the average person's: low intake, gut, kidney.
ROUTES = ("intake", "gut", "renal")


def route_contributions(theta: dict, cov: dict, latent: dict, state: dict) -> dict:
    r"""How far each route moves log Mg stores from those of the average person alike.

    The average person has the same sex, age, site, eGFR, supplements and exposures, usual
    intakes at the population means, and no gut or renal deviation. At balance, log stores
    move by :math:`\beta \Delta \log A` through absorption and by the renal deviation
    directly, so

    * ``intake``: :math:`\beta` times the log ratio of Mg absorbed from this person's
      intake to that from the mean intakes (negative when intake is low);
    * ``gut``: :math:`\beta` times the gut deviation, exposures included (negative for
      gut loss);
    * ``renal``: minus the renal deviation, exposures included (negative for renal loss).

    Returns
    -------
    dict
        Route -> change of log stores, broadcast like the state.
    """
    xp = namespace(*latent.values())
    mu_mg, mu_ca = intake_location(theta, cov)
    average = absorption_step(
        theta, cov, latent | {"log_intake_mg": mu_mg, "log_intake_ca": mu_ca}, xp
    )
    beta = theta["mg_balance_elasticity"]
    return {
        "intake": beta * xp.log(state["absorbed_mg_diet"] / average["absorbed_mg_diet"]),
        "gut": beta * state["gut_total"],
        "renal": -state["renal_total"],
    }
