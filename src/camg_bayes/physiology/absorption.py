r"""Intestinal absorption of Mg and Ca per meal, with Ca competing against Mg.

Saturable transcellular uptake (TRPM6/7 for Mg, TRPV6 for Ca) plus paracellular.

Every function is pure array maths for numpy arrays and pytensor tensors alike.
Units as in :mod:`camg_bayes.physiology`.

References
----------
.. [Fine1991] Fine KD, Santa Ana CA, Porter JL, Fordtran JS. Intestinal absorption of
   magnesium from food and supplements. J Clin Invest 1991;88:396-402.
.. [Heaney1990] Heaney RP, Weaver CM, Fitzsimmons ML. Influence of calcium load on
   absorption fraction. J Bone Miner Res 1990;5(11).
"""

from __future__ import annotations

from camg_bayes.physiology.backend import namespace


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
    0.117
    """
    return f_sat0 * km * load / (km + load) + f_para * load


def saturable_absorption_slope(load, km, f_sat0, f_para):
    r"""Derivative of :func:`saturable_absorption` with respect to the load, dimensionless.

    .. math:: A'(L) = \frac{f_{sat0} K_m^2}{(K_m + L)^2} + f_{para}

    Examples
    --------
    >>> args, h = (248.0, 0.5, 0.1), 1e-4
    >>> up, down = saturable_absorption(500 + h, *args), saturable_absorption(500 - h, *args)
    >>> round(float(saturable_absorption_slope(500.0, *args) - (up - down) / (2 * h)), 9)
    0.0
    """
    return f_sat0 * km**2 / (km + load) ** 2 + f_para


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


def ca_absorbed_elasticity(diet_ca, supp_ca, absorbed, *, meals, km, f_sat0, f_para):
    r"""Elasticity of :func:`ca_absorbed` to dietary Ca: d log absorbed / d log diet.

    Parameters
    ----------
    diet_ca, supp_ca : array_like
        As for :func:`ca_absorbed`, mg/d.
    absorbed : array_like
        :func:`ca_absorbed` of the same arguments, mg/d.
    meals, km, f_sat0, f_para : array_like
        As for :func:`ca_absorbed` (vitamin D replete).

    Returns
    -------
    array_like
        Dimensionless, between the paracellular share and 1.
    """
    ca_meal = diet_ca / meals
    slope = saturable_absorption_slope(ca_meal + supp_ca, km, f_sat0, f_para) + (
        meals - 1
    ) * saturable_absorption_slope(ca_meal, km, f_sat0, f_para)
    return ca_meal * slope / absorbed
