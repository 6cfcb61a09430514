r"""Calcium and magnesium physiology at steady state, written once for numpy and pytensor.

Every mechanism is pure array maths, one concern per module (:mod:`.absorption`,
:mod:`.magnesium`, :mod:`.calcium`), composed per subject in :mod:`.state`. Called with
numpy arrays it returns numpy arrays; called with any pytensor tensor it returns a
pytensor graph. The simulator, the
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

Each module lists the sources of its mechanisms under References.
"""

from camg_bayes.physiology.absorption import (
    ca_absorbed,
    competition_factor,
    mg_absorbed,
    saturable_absorption,
)
from camg_bayes.physiology.calcium import (
    ca_ion_mg_shift,
    pth_calcium_response,
    pth_mg_secretion,
    pth_tissue_response,
    total_calcium,
    urine_ca_steady_state,
)
from camg_bayes.physiology.magnesium import (
    ML_PER_MIN_TO_L_PER_DAY,
    fractional_excretion_mg,
    mg_status,
    renal_mg_excretion_factor,
    serum_mg_from_status,
    status_from_serum_mg,
    urine_mg_steady_state,
)

__all__ = [
    "ML_PER_MIN_TO_L_PER_DAY",
    "ca_absorbed",
    "ca_ion_mg_shift",
    "competition_factor",
    "fractional_excretion_mg",
    "mg_absorbed",
    "mg_status",
    "pth_calcium_response",
    "pth_mg_secretion",
    "pth_tissue_response",
    "renal_mg_excretion_factor",
    "saturable_absorption",
    "serum_mg_from_status",
    "status_from_serum_mg",
    "total_calcium",
    "urine_ca_steady_state",
    "urine_mg_steady_state",
]
