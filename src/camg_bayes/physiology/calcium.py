r"""PTH and Ca: Ca-sensing PTH secretion, Mg-dependent PTH secretion and action, total Ca, urine Ca.

Every function is pure array maths for numpy arrays and pytensor tensors alike.
Units as in :mod:`camg_bayes.physiology`.

References
----------
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

from camg_bayes.cohort.units import MOLAR_MASS
from camg_bayes.physiology.backend import namespace


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
