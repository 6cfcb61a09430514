"""Physiology functions against literature anchor points, and numpy/pytensor agreement.

Tolerances are stated next to each anchor; they are wide where the source is a
derivation or a secondary summary (see models/default.toml for the tags).
"""

import inspect

import numpy as np
import pytensor.tensor as pt
import pytest

from camg_bayes import physiology as phys
from camg_bayes.model.config import load_config
from camg_bayes.physiology.state import mg_saturable_slope

C = {k: float(np.mean(v)) for k, v in load_config().center().items()}
C["mg_abs_f_sat0"] = float(mg_saturable_slope(C))


def mg_fraction(load):
    return (
        phys.saturable_absorption(load, C["mg_abs_km"], C["mg_abs_f_sat0"], C["mg_abs_f_para"])
        / load
    )


def ca_fraction(load):
    return (
        phys.saturable_absorption(load, C["ca_abs_km"], C["ca_abs_f_sat0"], C["ca_abs_f_para"])
        / load
    )


def test_mg_absorption_fraction_falls_from_about_0_6_to_0_1_0_2():
    # Fine 1991: ~65 % at the lowest intake, 11 % at 80 mEq (972 mg).
    # Tolerance: 0.5-0.7 and 0.1-0.2.
    assert 0.5 <= mg_fraction(5.0) <= 0.7
    assert 0.1 <= mg_fraction(972.0) <= 0.2
    loads = np.array([5, 50, 100, 300, 972.0])
    assert np.all(np.diff(mg_fraction(loads)) < 0)


def test_ca_absorption_fraction_at_small_and_500_mg_loads():
    # Heaney 1990: 64 % at 15 mg, 28.6 % at 500 mg. Tolerance +-0.05.
    assert ca_fraction(15.0) == pytest.approx(0.64, abs=0.05)
    assert ca_fraction(500.0) == pytest.approx(0.29, abs=0.05)


def _femg(intake):
    absorbed = phys.mg_absorbed(
        intake,
        0.0,
        800.0,
        0.0,
        0.0,
        meals=3,
        km=C["mg_abs_km"],
        f_sat0=C["mg_abs_f_sat0"],
        f_para=C["mg_abs_f_para"],
        competition=0.0,
        ca_load_ref=300.0,
    )
    urine = phys.urine_mg_steady_state(absorbed, sweat_loss=C["sweat_mg_loss"])
    return phys.fractional_excretion_mg(urine, 0.85, 100.0, ultrafilterable=C["mg_ultrafilterable"])


def test_normal_femg_is_about_1_to_4_percent_and_falls_with_intake():
    # Elisaf 1997: normal mean 1.8 % (0.5-4 %). Typical replete adult, eGFR 100, serum 0.85.
    # Tolerance: 1-4 % for usual intakes of 150-250 mg/d.
    for intake in (150.0, 200.0, 250.0):
        assert 0.01 <= _femg(intake) <= 0.04
    assert _femg(150.0) < _femg(250.0) < _femg(400.0)  # conservation at low intake


def _pth_and_ca(serum_mg):
    ca = 1.22 + phys.ca_ion_mg_shift(
        serum_mg,
        drop_max=C["ca_mg_drop_max"],
        tissue_mid=C["pth_tissue_mid"],
        tissue_width=C["pth_tissue_width"],
        suppress_mid=C["pth_mg_suppress_mid"],
        suppress_width=C["pth_mg_suppress_width"],
    )
    secretion = phys.pth_mg_secretion(
        serum_mg,
        rise=C["pth_mg_rise"],
        rise_mid=C["pth_mg_rise_mid"],
        rise_width=C["pth_mg_rise_width"],
        suppress_mid=C["pth_mg_suppress_mid"],
        suppress_width=C["pth_mg_suppress_width"],
    )
    response = phys.pth_calcium_response(
        ca,
        ca_ion_ref=C["ca_ion_ref"],
        hill=C["pth_hill"],
        min_ratio=C["pth_min_ratio"],
        max_ratio=C["pth_max_ratio"],
    )
    return C["pth_ref"] * secretion * response, ca, response


def test_pth_is_suppressed_at_serum_mg_0_3():
    # Suh 1973: PTH unmeasurable at 0.25 mmol/L. Tolerance: below half of the replete value,
    # and below a tenth of what the accompanying hypocalcaemia alone would drive.
    pth_low, _ca_low, response_low = _pth_and_ca(0.3)
    pth_normal, _, _ = _pth_and_ca(0.85)
    assert pth_low < 0.5 * pth_normal
    assert pth_low < 0.1 * C["pth_ref"] * response_low


def test_mg_deficiency_causes_hypocalcaemia_and_mild_deficiency_raises_pth():
    # Severe deficiency: functional hypoparathyroidism, ionized Ca < 1.0 mmol/L (Suh 1973).
    _, ca_severe, _ = _pth_and_ca(0.3)
    assert ca_severe < 1.0
    # Mild depletion barely moves Ca (Fatemi 1991: total Ca 2.36 -> 2.31 at 0.61 mmol/L).
    _, ca_mild, _ = _pth_and_ca(0.61)
    assert 1.22 - ca_mild < 0.03
    # Biphasic secretion: mild rise (+10-30 %) in moderate deficiency.
    pth_moderate, _, _ = _pth_and_ca(0.62)
    pth_normal, _, _ = _pth_and_ca(0.85)
    assert 1.05 < pth_moderate / pth_normal < 1.5


def test_serum_mg_is_flat_when_replete_and_falls_as_stores_run_down():
    kw = {"serum_mg_max": C["serum_mg_max"], "status_scale": C["mg_status_scale"]}
    s = lambda m: phys.serum_mg_from_status(m, **kw)  # noqa: E731
    drop_replete = s(1.2) - s(0.9)  # a quarter of stores lost from replete
    drop_depleted = s(0.6) - s(0.3)
    assert drop_replete < 0.07  # about two within-subject SDs of serum Mg
    assert drop_depleted > 3 * drop_replete
    m = np.linspace(0.1, 2.0, 20)
    np.testing.assert_allclose(phys.status_from_serum_mg(s(m), **kw), m, rtol=1e-10)


def test_competition_and_timing():
    kw = {
        "meals": 3,
        "km": C["mg_abs_km"],
        "f_sat0": C["mg_abs_f_sat0"],
        "f_para": C["mg_abs_f_para"],
        "ca_load_ref": C["mg_abs_ca_load_ref"],
    }
    together = phys.mg_absorbed(300.0, 400.0, 900.0, 1200.0, 0.0, competition=0.5, **kw)
    apart = phys.mg_absorbed(300.0, 400.0, 900.0, 1200.0, 1.0, competition=0.5, **kw)
    assert apart > together
    # no competition, or no Mg supplement: timing makes no difference
    assert phys.mg_absorbed(
        300.0, 400.0, 900.0, 1200.0, 0.0, competition=0.0, **kw
    ) == pytest.approx(phys.mg_absorbed(300.0, 400.0, 900.0, 1200.0, 1.0, competition=0.0, **kw))
    assert phys.mg_absorbed(300.0, 0.0, 900.0, 1200.0, 0.0, competition=0.5, **kw) == pytest.approx(
        phys.mg_absorbed(300.0, 0.0, 900.0, 1200.0, 1.0, competition=0.5, **kw)
    )
    # more Mg in, more Mg absorbed; more Ca in, less Mg absorbed when competition > 0
    assert phys.mg_absorbed(
        300.0, 300.0, 900.0, 0.0, 0.0, competition=0.5, **kw
    ) > phys.mg_absorbed(300.0, 0.0, 900.0, 0.0, 0.0, competition=0.5, **kw)
    assert phys.mg_absorbed(300.0, 0.0, 1500.0, 0.0, 0.0, competition=0.5, **kw) < phys.mg_absorbed(
        300.0, 0.0, 600.0, 0.0, 0.0, competition=0.5, **kw
    )


def test_renal_conservation_elasticity():
    # beta = 1: stores proportional to absorption; beta < 1: conserved
    base = phys.mg_status(100.0, status_ref=1.0, absorbed_ref=100.0, elasticity=0.33)
    half = phys.mg_status(50.0, status_ref=1.0, absorbed_ref=100.0, elasticity=0.33)
    assert base == pytest.approx(1.0)
    assert half == pytest.approx(0.5**0.33)
    assert phys.mg_status(
        50.0, status_ref=1.0, absorbed_ref=100.0, elasticity=1.0
    ) == pytest.approx(0.5)
    # high Ca raises excretion (CaSR), low GFR lowers it
    assert (
        phys.renal_mg_excretion_factor(
            1.35, 90.0, casr_slope=2.0, gfr_elasticity=1.0, ca_ion_ref=1.2, egfr_ref=90.0
        )
        > 1
    )
    assert (
        phys.renal_mg_excretion_factor(
            1.2, 30.0, casr_slope=2.0, gfr_elasticity=1.0, ca_ion_ref=1.2, egfr_ref=90.0
        )
        < 1
    )


def test_payne_correction_round_trip():
    total = phys.total_calcium(
        1.2, 30.0, total_per_ionized=1.96, albumin_slope=0.02, albumin_ref=40.0
    )
    assert total + 0.02 * (40.0 - 30.0) == pytest.approx(1.96 * 1.2)


# ----------------------------------------------------------------------------------------
# numpy and pytensor give the same numbers, for every public function of physiology.py
# ----------------------------------------------------------------------------------------
RNG = np.random.default_rng(0)
VALUES = {
    "load": RNG.uniform(5, 1200, 7),
    "km": 80.0,
    "f_sat0": 0.5,
    "f_para": 0.07,
    "ca_load": RNG.uniform(0, 2000, 7),
    "competition": 0.4,
    "ca_load_ref": 300.0,
    "diet_mg": RNG.uniform(100, 600, 7),
    "supp_mg": RNG.uniform(0, 400, 7),
    "diet_ca": RNG.uniform(300, 2000, 7),
    "supp_ca": RNG.uniform(0, 1200, 7),
    "apart": RNG.integers(0, 2, 7).astype(float),
    "meals": 3,
    "vitamin_d_factor": 1.1,
    "ca_ion": RNG.uniform(0.9, 1.45, 7),
    "egfr": RNG.uniform(20, 130, 7),
    "casr_slope": 2.0,
    "gfr_elasticity": 1.0,
    "ca_ion_ref": 1.2,
    "egfr_ref": 90.0,
    "absorbed_mg": RNG.uniform(10, 300, 7),
    "status_ref": RNG.uniform(0.5, 1.2, 7),
    "absorbed_ref": 100.0,
    "elasticity": 0.33,
    "renal_factor": RNG.uniform(0.6, 1.5, 7),
    "status": RNG.uniform(0.1, 2.0, 7),
    "serum_mg_max": 1.0,
    "status_scale": 0.45,
    "serum_mg": RNG.uniform(0.25, 0.99, 7),
    "sweat_loss": 4.0,
    "urine_mg": RNG.uniform(0.5, 8, 7),
    "ultrafilterable": 0.7,
    "hill": 11.7,
    "min_ratio": 0.25,
    "max_ratio": 16.2,
    "rise": 0.25,
    "rise_mid": 0.65,
    "rise_width": 0.05,
    "suppress_mid": 0.45,
    "suppress_width": 0.04,
    "mid": 0.4,
    "width": 0.05,
    "drop_max": 0.35,
    "tissue_mid": 0.4,
    "tissue_width": 0.05,
    "albumin": RNG.uniform(25, 50, 7),
    "total_per_ionized": 1.96,
    "albumin_slope": 0.02,
    "albumin_ref": 40.0,
    "ca_absorbed_mg": RNG.uniform(100, 600, 7),
    "pth": RNG.uniform(1, 20, 7),
    "fraction": 0.5,
    "ca_slope": 3.0,
    "pth_slope": 0.3,
    "pth_level_ref": 4.0,
}
FUNCTIONS = [
    f
    for name, f in inspect.getmembers(phys, inspect.isfunction)
    if f.__module__.startswith(phys.__name__ + ".") and name in phys.__all__
]


def test_every_function_is_covered():
    assert len(FUNCTIONS) >= 15


@pytest.mark.parametrize("func", FUNCTIONS, ids=lambda f: f.__name__)
def test_numpy_and_pytensor_agree(func):
    names = list(inspect.signature(func).parameters)
    args = {n: VALUES[n] for n in names}
    expected = func(**args)
    tensors = {
        n: (pt.as_tensor_variable(np.asarray(v, dtype=float)) if n != "meals" else v)
        for n, v in args.items()
    }
    got = func(**tensors)
    assert not isinstance(expected, pt.TensorVariable)
    assert isinstance(got, pt.TensorVariable)
    np.testing.assert_allclose(got.eval(), expected, rtol=1e-10, atol=1e-12)
