r"""Calcium and magnesium physiology at steady state, written once for numpy and pytensor.

Every function here is pure array maths. Called with numpy arrays it returns numpy
arrays; called with any pytensor tensor it returns a pytensor graph. The simulator, the
PyMC model and the scoring code all call these functions, so they speak one physiology.

Units: intakes and absorbed amounts in mg/d (per meal: mg), serum concentrations in
mmol/L, urine amounts in mmol/d, PTH in pmol/L, eGFR in mL/min/1.73 m².

The mechanisms, in the order the data flow through them:

1. Intestinal absorption, saturable (TRPM6/7 for Mg, TRPV6 for Ca) plus paracellular,
   per meal, with Ca competing against Mg in the gut (:func:`mg_absorbed`,
   :func:`ca_absorbed`).
2. Mg balance: stores settle where renal losses match absorption; the kidney conserves
   Mg as stores fall (:func:`mg_status`, :func:`renal_mg_excretion_factor`).
3. Serum Mg is held nearly flat while stores are replete and falls as they run down
   (:func:`serum_mg_from_status`).
4. Urine Mg equals absorbed Mg minus sweat at steady state (:func:`urine_mg_steady_state`),
   so FEMg (:func:`fractional_excretion_mg`) is low when intake is low and high when the
   kidney wastes Mg.
5. PTH follows a reverse sigmoid in ionized Ca (:func:`pth_calcium_response`) times a
   biphasic Mg effect on secretion (:func:`pth_mg_secretion`); Mg deficiency also blunts
   the tissue response (:func:`pth_tissue_response`), which lowers Ca
   (:func:`ca_ion_mg_shift`).
6. Urine Ca follows absorbed Ca, filtered Ca, PTH and eGFR (:func:`urine_ca_steady_state`).

References
----------
.. [Fine1991] Fine KD, Santa Ana CA, Porter JL, Fordtran JS. Intestinal absorption of
   magnesium from food and supplements. J Clin Invest 1991;88:396-402.
.. [Heaney1990] Heaney RP, Weaver CM, Fitzsimmons ML. Influence of calcium load on
   absorption fraction. J Bone Miner Res 1990;5(11).
.. [Elisaf1997] Elisaf M et al. Fractional excretion of magnesium in normal subjects and
   in patients with hypomagnesemia. Magnes Res 1997;10:315.
.. [Fatemi1991] Fatemi S et al. Effect of experimental human magnesium depletion on
   parathyroid hormone secretion and 1,25-dihydroxyvitamin D metabolism. J Clin
   Endocrinol Metab 1991;73:1067.
.. [Suh1973] Suh SM et al. Pathogenesis of hypocalcemia in primary hypomagnesemia.
   J Clin Invest 1973;52:153.
.. [Peterson2010] Peterson MC, Riggs MM. A physiologically based mathematical model of
   integrated calcium homeostasis and bone remodeling. Bone 2010;46:49-63.
.. [Dutta2024] Dutta P, Layton AT. Modeling calcium and magnesium balance. iScience 2024.
.. [Payne1973] Payne RB et al. Interpretation of serum calcium in patients with abnormal
   serum proteins. BMJ 1973;4:643.
"""

from __future__ import annotations

from camg_bayes.backend import namespace
from camg_bayes.units import MOLAR_MASS

#: mL/min to L/d.
ML_PER_MIN_TO_L_PER_DAY = 1.44


# --------------------------------------------------------------------------------------
# 1. Absorption
# --------------------------------------------------------------------------------------
def saturable_absorption(load, km, f_sat0, f_para):
    r"""Amount absorbed from one oral load: saturable transcellular plus paracellular.

    Parameters
    ----------
    load : array_like
        Mineral in the gut from one meal or dose, mg.
    km : array_like
        Load at which the saturable pathway runs at half its maximum, mg.
    f_sat0 : array_like
        Fraction the saturable pathway absorbs at vanishing load (its maximum is
        ``f_sat0 * km``), dimensionless.
    f_para : array_like
        Fraction absorbed by the paracellular pathway at any load, dimensionless.

    Returns
    -------
    array_like
        Absorbed amount, mg.

    Notes
    -----
    .. math:: A(L) = \frac{f_{sat0} K_m L}{K_m + L} + f_{para} L

    The hyperbola-plus-line form is the one Fine et al. fitted to net Mg absorption
    against dose [Fine1991]_; the fraction absorbed, :math:`A(L)/L`, falls from
    :math:`f_{sat0} + f_{para}` at small loads towards :math:`f_{para}`.

    Examples
    --------
    >>> round(float(saturable_absorption(972.0, 100.0, 0.5, 0.07) / 972.0), 3)
    0.115
    """
    return f_sat0 * km * load / (km + load) + f_para * load


def competition_factor(ca_load, competition, ca_load_ref):
    r"""Mg absorption relative to a meal with the reference Ca load, given the Ca present.

    Parameters
    ----------
    ca_load : array_like
        Ca present with the Mg load (same meal or dose), mg.
    competition : array_like
        Loss of log Mg absorption per gram of co-present Ca, 1/g. Zero means no
        competition; human evidence at normal intakes is weak or null, so its prior is
        centred at zero.
    ca_load_ref : array_like
        Ca load of the reference meal at which the absorption parameters are defined, mg.

    Returns
    -------
    array_like
        Multiplier on the Mg absorbed from that load, dimensionless (1 at the reference).

    Notes
    -----
    .. math:: c = \exp\{-\kappa \, (L_{Ca} - L_{Ca,ref}) / 1000\}

    Fine's test meals carried Ca too, so absorption is defined at a typical meal Ca load;
    centring also keeps the competition coefficient from trading off against the level
    of absorption.
    """
    xp = namespace(ca_load, competition)
    return xp.exp(-competition * (ca_load - ca_load_ref) / 1000.0)


def mg_absorbed(
    diet_mg,
    supp_mg,
    diet_ca,
    supp_ca,
    apart,
    *,
    meals,
    km,
    f_sat0,
    f_para,
    competition,
    ca_load_ref,
):
    r"""Net Mg absorbed per day from meals and a supplement, with Ca competition.

    Parameters
    ----------
    diet_mg, diet_ca : array_like
        Usual dietary intakes, mg/d, spread evenly over ``meals`` meals.
    supp_mg, supp_ca : array_like
        Elemental supplement doses, mg/d, each taken once a day with a meal.
    apart : array_like
        1 if the Ca and Mg supplements are taken at different meals, 0 if together.
    meals : int
        Meals per day (at least 2).
    km, f_sat0, f_para : array_like
        Parameters of :func:`saturable_absorption` for Mg, per meal.
    competition : array_like
        See :func:`competition_factor`, 1/g.
    ca_load_ref : array_like
        Reference meal Ca load, mg (see :func:`competition_factor`).

    Returns
    -------
    array_like
        Net absorbed Mg, mg/d.

    Notes
    -----
    The Mg supplement joins meal 1, so it shares the saturable pathway with that meal's
    Mg. The Ca supplement joins meal 1 when taken together and meal 2 when apart. Each
    meal's Mg absorption is multiplied by :func:`competition_factor` of the Ca present:

    .. math::
        A = A(m + S_{Mg}) c(q + t S_{Ca}) + A(m) c(q + (1 - t) S_{Ca})
            + (n - 2) A(m) c(q)

    with :math:`m = D_{Mg}/n`, :math:`q = D_{Ca}/n` and :math:`t = 1` when together.
    Because meal 1 carries more Mg than meal 2, moving the Ca dose apart never lowers
    absorption, and with no Mg supplement the timing makes no difference.
    """
    mg_meal = diet_mg / meals
    ca_meal = diet_ca / meals
    together = 1.0 - apart

    def absorbed(load):
        return saturable_absorption(load, km, f_sat0, f_para)

    def competing(ca_load):
        return competition_factor(ca_load, competition, ca_load_ref)

    first = absorbed(mg_meal + supp_mg) * competing(ca_meal + together * supp_ca)
    second = absorbed(mg_meal) * competing(ca_meal + apart * supp_ca)
    rest = (meals - 2) * absorbed(mg_meal) * competing(ca_meal)
    return first + second + rest


def ca_absorbed(diet_ca, supp_ca, *, meals, km, f_sat0, f_para, vitamin_d_factor=1.0):
    r"""Ca absorbed per day: fractional absorption falls with the load per meal.

    Parameters
    ----------
    diet_ca : array_like
        Usual dietary Ca, mg/d, spread evenly over ``meals`` meals.
    supp_ca : array_like
        Elemental Ca supplement, mg/d, taken with one meal.
    meals : int
        Meals per day.
    km, f_sat0, f_para : array_like
        Parameters of :func:`saturable_absorption` for Ca (TRPV6 and paracellular).
    vitamin_d_factor : array_like, optional
        Multiplier on the saturable, calcitriol-dependent pathway (1 = vitamin D
        replete). Absorption rises with 1,25(OH)2D (%abs = 10 + 0.17 x 1,25D pmol/L).

    Returns
    -------
    array_like
        Ca absorbed, mg/d.

    Notes
    -----
    With the default Ca parameters the fraction absorbed is about 0.64 at a 15 mg load
    and 0.29 at 500 mg, Heaney's endpoints [Heaney1990]_.

    Examples
    --------
    >>> round(float(ca_absorbed(1500.0, 0.0, meals=3, km=248.0, f_sat0=0.573, f_para=0.10)), 1)
    435.0
    """
    ca_meal = diet_ca / meals
    f_sat = f_sat0 * vitamin_d_factor
    return saturable_absorption(ca_meal + supp_ca, km, f_sat, f_para) + (meals - 1) * (
        saturable_absorption(ca_meal, km, f_sat, f_para)
    )


# --------------------------------------------------------------------------------------
# 2-4. Mg balance, serum Mg and urine Mg
# --------------------------------------------------------------------------------------
def renal_mg_excretion_factor(ca_ion, egfr, *, casr_slope, gfr_elasticity, ca_ion_ref, egfr_ref):
    r"""Relative renal Mg clearance capacity from serum Ca (CaSR) and eGFR.

    Parameters
    ----------
    ca_ion : array_like
        Ionized Ca acting on the CaSR of the thick ascending limb, mmol/L.
    egfr : array_like
        eGFR, mL/min/1.73 m².
    casr_slope : array_like
        Rise of log Mg excretion per mmol/L ionized Ca, L/mmol.
    gfr_elasticity : array_like
        Elasticity of Mg excretion to eGFR, dimensionless.
    ca_ion_ref, egfr_ref : float
        Reference ionized Ca (mmol/L) and eGFR.

    Returns
    -------
    array_like
        Multiplier on Mg excretion at a given store level (1 at the references).

    Notes
    -----
    .. math:: r = \exp\{\eta (Ca_{ion} - Ca_{ref})\} (GFR / GFR_{ref})^{\phi}

    High Ca inhibits paracellular Mg reabsorption in the thick ascending limb through the
    CaSR [Dutta2024]_, so excretion rises; a lower GFR filters less Mg.
    """
    xp = namespace(ca_ion, egfr, casr_slope, gfr_elasticity)
    return xp.exp(casr_slope * (ca_ion - ca_ion_ref) + gfr_elasticity * xp.log(egfr / egfr_ref))


def mg_status(absorbed_mg, *, status_ref, absorbed_ref, elasticity, renal_factor=1.0):
    r"""Mg stores at steady state, as a fraction of replete stores.

    Parameters
    ----------
    absorbed_mg : array_like
        Net absorbed Mg, mg/d.
    status_ref : array_like
        The subject's store level at the reference absorption and renal factor
        (population value times the subject's deviation), fraction of replete.
    absorbed_ref : float
        Reference net absorbed Mg, mg/d.
    elasticity : array_like
        :math:`\beta = 1/\gamma`, the response of stores to absorption, in (0, 1].
    renal_factor : array_like, optional
        Relative renal excretion capacity, from :func:`renal_mg_excretion_factor`.

    Returns
    -------
    array_like
        Mg status, fraction of replete exchangeable stores (1 = replete).

    Notes
    -----
    Losses scale with stores as :math:`k r M^{\gamma}`: the kidney conserves Mg more and
    more as stores fall (:math:`\gamma > 1`; Nielsen 2016: urine Mg adapts within days).
    Balance with absorption :math:`A` gives

    .. math:: M = M_{ref} \left(\frac{A}{A_{ref} r}\right)^{\beta}, \quad \beta = 1/\gamma.

    :math:`\beta = 1` is a kidney without conservation (first-order loss): stores
    proportional to intake. A subject whose kidney wastes Mg has a low :math:`M_{ref}`.
    """
    xp = namespace(absorbed_mg, status_ref, elasticity, renal_factor)
    return status_ref * xp.exp(
        elasticity * (xp.log(absorbed_mg / absorbed_ref) - xp.log(renal_factor))
    )


def serum_mg_from_status(status, *, serum_mg_max, status_scale):
    r"""True serum Mg (the subject's long-run mean) from Mg stores.

    Parameters
    ----------
    status : array_like
        Mg status, fraction of replete stores.
    serum_mg_max : float
        Serum Mg approached when stores are full, mmol/L.
    status_scale : float
        Store level over which serum Mg falls, fraction of replete.

    Returns
    -------
    array_like
        True serum Mg, mmol/L.

    Notes
    -----
    .. math:: S = S_{max} \{1 - \exp(-M / M_c)\}

    Flat while stores are replete (the elasticity :math:`dlnS/dlnM` is about 0.27 at
    :math:`M = 1` with the default :math:`M_c = 0.45`) and falling steeply as they run
    down, so serum Mg is a weak marker of mild deficiency and a strong one of severe
    deficiency. Experimental depletion lowered serum Mg from 0.80 to 0.61 mmol/L
    [Fatemi1991]_.

    Examples
    --------
    >>> round(float(serum_mg_from_status(1.0, serum_mg_max=1.0, status_scale=0.45)), 3)
    0.892
    """
    xp = namespace(status)
    return -serum_mg_max * xp.expm1(-status / status_scale)


def status_from_serum_mg(serum_mg, *, serum_mg_max, status_scale):
    """Inverse of :func:`serum_mg_from_status` (for thresholds: 0.75 mmol/L -> status).

    Examples
    --------
    >>> round(float(status_from_serum_mg(0.75, serum_mg_max=1.0, status_scale=0.45)), 3)
    0.624
    """
    xp = namespace(serum_mg)
    return -status_scale * xp.log1p(-serum_mg / serum_mg_max)


def urine_mg_steady_state(absorbed_mg, *, sweat_loss):
    r"""24-h urine Mg at steady state: absorbed Mg minus sweat losses.

    Parameters
    ----------
    absorbed_mg : array_like
        Net absorbed Mg, mg/d.
    sweat_loss : float
        Dermal (sweat) Mg loss, mg/d.

    Returns
    -------
    array_like
        Urine Mg, mmol/d.

    Notes
    -----
    Mass balance: :math:`U = A - s(1 - e^{-A/s})`, which is :math:`A - s` for ordinary
    intakes and stays positive as :math:`A \to 0`.
    """
    xp = namespace(absorbed_mg)
    net = absorbed_mg + sweat_loss * xp.expm1(-absorbed_mg / sweat_loss)
    return net / MOLAR_MASS["mg"]


def fractional_excretion_mg(urine_mg, serum_mg, egfr, *, ultrafilterable):
    r"""Fractional excretion of Mg (FEMg), as a fraction.

    Parameters
    ----------
    urine_mg : array_like
        24-h urine Mg, mmol/d.
    serum_mg : array_like
        Serum Mg, mmol/L.
    egfr : array_like
        GFR, mL/min/1.73 m².
    ultrafilterable : float
        Ultrafilterable fraction of serum Mg (0.7 in the clinical formula).

    Returns
    -------
    array_like
        FEMg (0.02 = 2 %).

    Notes
    -----
    .. math:: FE_{Mg} = \frac{U_{Mg}}{1.44 \, GFR \cdot 0.7 \, S_{Mg}}

    the 24-h form of the clinical formula. Normal is about 1-4 %; above 4 % with low serum
    Mg suggests renal wasting, below 2 % extrarenal loss [Elisaf1997]_.

    Examples
    --------
    >>> round(float(fractional_excretion_mg(3.4, 0.85, 100.0, ultrafilterable=0.7)), 4)
    0.0397
    """
    return urine_mg / (ML_PER_MIN_TO_L_PER_DAY * egfr * ultrafilterable * serum_mg)


# --------------------------------------------------------------------------------------
# 5. PTH and Ca
# --------------------------------------------------------------------------------------
def pth_calcium_response(ca_ion, *, ca_ion_ref, hill, min_ratio, max_ratio):
    r"""Reverse-sigmoid PTH secretion against ionized Ca, relative to basal.

    Parameters
    ----------
    ca_ion : array_like
        Ionized Ca, mmol/L.
    ca_ion_ref : float
        Ionized Ca at which secretion is basal (the response equals 1), mmol/L.
    hill : float
        Hill coefficient of the Ca-sensing curve.
    min_ratio, max_ratio : float
        Secretion at very high and very low Ca, relative to basal.

    Returns
    -------
    array_like
        Relative PTH secretion, dimensionless (1 at ``ca_ion_ref``).

    Notes
    -----
    .. math:: R = r_{min} + \frac{r_{max} - r_{min}}{1 + u}, \quad
              u = \left(\frac{Ca}{Ca_{ref}}\right)^{n} \frac{r_{max} - 1}{1 - r_{min}}

    The constants come from the Peterson-Riggs model (Hill 11.7; 96 and 6249 pmol/h
    around a basal 385 pmol/h) [Peterson2010]_.
    """
    xp = namespace(ca_ion)
    u = xp.exp(hill * xp.log(ca_ion / ca_ion_ref)) * (max_ratio - 1.0) / (1.0 - min_ratio)
    return min_ratio + (max_ratio - min_ratio) / (1.0 + u)


def pth_mg_secretion(serum_mg, *, rise, rise_mid, rise_width, suppress_mid, suppress_width):
    r"""Biphasic effect of serum Mg on PTH secretory capacity.

    Parameters
    ----------
    serum_mg : array_like
        True serum Mg, mmol/L.
    rise : float
        Relative rise of secretion in moderate deficiency (0.25 = +25 %).
    rise_mid, rise_width : float
        Serum Mg at the midpoint of the rise and its width, mmol/L.
    suppress_mid, suppress_width : float
        Serum Mg below which secretion is suppressed, and the width, mmol/L.

    Returns
    -------
    array_like
        Multiplier on PTH secretion: about 1 when replete, up to ``1 + rise`` in
        moderate deficiency, near 0 in severe deficiency.

    Notes
    -----
    .. math:: g(S) = \{1 + a\,\sigma((S_r - S)/w_r)\}\,\sigma((S - S_s)/w_s)

    IV Mg lowered PTH in replete subjects and raised it after depletion [Fatemi1991]_;
    PTH was unmeasurable at 0.25 mmol/L [Suh1973]_; secretion switches off near
    0.4 mmol/L in the Dutta-Layton model [Dutta2024]_.
    """
    xp = namespace(serum_mg)
    return (1.0 + rise * xp.sigmoid((rise_mid - serum_mg) / rise_width)) * xp.sigmoid(
        (serum_mg - suppress_mid) / suppress_width
    )


def pth_tissue_response(serum_mg, *, mid, width):
    r"""Mg-dependent response of bone and kidney to PTH, as a fraction of normal.

    Parameters
    ----------
    serum_mg : array_like
        True serum Mg, mmol/L.
    mid, width : float
        Serum Mg at half response and the width of the transition, mmol/L.

    Returns
    -------
    array_like
        :math:`s(S) = \sigma((S - S_{50})/w)`, near 1 when replete.

    Notes
    -----
    PTH resistance appears below about 0.4 mmol/L (1 mg/dL); depletion blunted the
    1,25(OH)2D response to PTH [Fatemi1991]_.
    """
    xp = namespace(serum_mg)
    return xp.sigmoid((serum_mg - mid) / width)


def ca_ion_mg_shift(serum_mg, *, drop_max, tissue_mid, tissue_width, suppress_mid, suppress_width):
    r"""Change of ionized Ca caused by Mg-dependent PTH failure, mmol/L.

    Parameters
    ----------
    serum_mg : array_like
        True serum Mg, mmol/L.
    drop_max : float
        Fall of ionized Ca when PTH action is lost entirely, mmol/L.
    tissue_mid, tissue_width : float
        See :func:`pth_tissue_response`.
    suppress_mid, suppress_width : float
        The suppression part of :func:`pth_mg_secretion`.

    Returns
    -------
    array_like
        :math:`\Delta Ca = -\Delta_{max}\{1 - s(S)\,\sigma((S - S_s)/w_s)\}` (negative or 0).

    Notes
    -----
    Functional hypoparathyroidism: with secretion and tissue response both failing,
    Ca falls despite adequate intake (serum Mg 0.25 mmol/L, total Ca 1.7 mmol/L
    [Suh1973]_). Mild depletion barely moves Ca (2.36 to 2.31 mmol/L total
    [Fatemi1991]_).
    """
    xp = namespace(serum_mg)
    action = pth_tissue_response(serum_mg, mid=tissue_mid, width=tissue_width) * xp.sigmoid(
        (serum_mg - suppress_mid) / suppress_width
    )
    return -drop_max * (1.0 - action)


def total_calcium(ca_ion, albumin, *, total_per_ionized, albumin_slope, albumin_ref):
    r"""Total serum Ca from ionized Ca and albumin (Payne's correction, inverted).

    Parameters
    ----------
    ca_ion : array_like
        Ionized Ca, mmol/L.
    albumin : array_like
        Serum albumin, g/L.
    total_per_ionized : float
        Albumin-corrected total Ca per ionized Ca (about 1.96).
    albumin_slope : float
        Change of total Ca per g/L albumin, mmol/L per g/L (0.02).
    albumin_ref : float
        Albumin at which no correction is made, g/L (40).

    Returns
    -------
    array_like
        Total serum Ca, mmol/L.

    Notes
    -----
    :math:`Ca_{corr} = Ca + 0.02 (40 - Alb)` [Payne1973]_, so
    :math:`Ca = k \, Ca_{ion} - 0.02 (40 - Alb)`.
    """
    return total_per_ionized * ca_ion - albumin_slope * (albumin_ref - albumin)


def urine_ca_steady_state(
    ca_absorbed_mg,
    ca_ion,
    pth,
    egfr,
    *,
    fraction,
    ca_slope,
    pth_slope,
    gfr_elasticity,
    ca_ion_ref,
    pth_level_ref,
    egfr_ref,
):
    r"""24-h urine Ca from absorbed Ca, filtered Ca, PTH and eGFR.

    Parameters
    ----------
    ca_absorbed_mg : array_like
        Ca absorbed, mg/d.
    ca_ion : array_like
        Ionized Ca, mmol/L.
    pth : array_like
        PTH, pmol/L.
    egfr : array_like
        eGFR, mL/min/1.73 m².
    fraction : array_like
        Share of absorbed Ca excreted in urine at the references (the rest returns to
        the gut in endogenous secretions or goes to bone).
    ca_slope : array_like
        Rise of log urine Ca per mmol/L ionized Ca (filtered load), L/mmol.
    pth_slope : array_like
        Fall of log urine Ca per unit log PTH (PTH raises distal Ca reabsorption).
    gfr_elasticity : array_like
        Elasticity of urine Ca to eGFR.
    ca_ion_ref, egfr_ref : float
        References: ionized Ca (mmol/L) and eGFR.
    pth_level_ref : array_like
        Reference PTH (pmol/L); the model uses the population value for the subject's sex.

    Returns
    -------
    array_like
        Urine Ca, mmol/d.

    Notes
    -----
    .. math::
        \ln U_{Ca} = \ln(f A_{Ca}/40.078) + \xi (Ca_{ion} - Ca_{ref})
                     - \zeta \ln(PTH / PTH_{ref}) + \phi \ln(GFR/GFR_{ref})
    """
    xp = namespace(ca_absorbed_mg, ca_ion, pth, egfr, fraction)
    log_u = (
        xp.log(fraction * ca_absorbed_mg / MOLAR_MASS["ca"])
        + ca_slope * (ca_ion - ca_ion_ref)
        - pth_slope * xp.log(pth / pth_level_ref)
        + gfr_elasticity * xp.log(egfr / egfr_ref)
    )
    return xp.exp(log_u)
