r"""Mg balance: stores at steady state, renal conservation, serum and urine Mg, FEMg.

Every function is pure array maths for numpy arrays and pytensor tensors alike.
Units as in :mod:`camg_bayes.physiology`.

References
----------
.. [Elisaf1997] Elisaf M et al. Fractional excretion of magnesium in normal subjects and
   in patients with hypomagnesemia. Magnes Res 1997;10:315.
.. [Fatemi1991] Fatemi S et al. Effect of experimental human magnesium depletion on
   parathyroid hormone secretion and 1,25-dihydroxyvitamin D metabolism. J Clin
   Endocrinol Metab 1991;73:1067.
.. [Dutta2024] Dutta P, Layton AT. Modeling calcium and magnesium balance. iScience 2024.
"""

from __future__ import annotations

from camg_bayes.cohort.units import MOLAR_MASS
from camg_bayes.physiology.backend import namespace

#: mL/min to L/d.
ML_PER_MIN_TO_L_PER_DAY = 1.44


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
