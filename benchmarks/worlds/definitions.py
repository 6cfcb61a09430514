"""The stress worlds: the independent engine's defaults, and one departure each."""

from __future__ import annotations

from benchmarks.worlds.engine import World, variant

CLOSE = World(
    "close",
    "Ordinary adults: the published figures, no phenotype subgroups",
)

WORLDS = {
    "close": CLOSE,
    "renal_wasting": variant(
        CLOSE,
        name="renal_wasting",
        description="15 % with renal Mg wasting: a reabsorption threshold 0.22 mmol/L lower",
        wasting_share=0.15,
    ),
    "gut_loss": variant(
        CLOSE,
        name="gut_loss",
        description="12 % with gut Mg loss: they absorb 35 % of what others do",
        gut_loss_share=0.12,
    ),
    "competition": variant(
        CLOSE,
        name="competition",
        description=(
            "Strong Ca-Mg competition: each g/d of Ca taken with Mg cuts its absorption by ~half"
        ),
        competition=1.0,
        supplement_users=(0.3, 0.4),
    ),
    "depleted": variant(
        CLOSE,
        name="depleted",
        description="A depleted, low-intake population: median Mg intake 170/220 mg/d",
        mg_median=(170.0, 220.0),
        supplement_users=(0.05, 0.15),
    ),
    "serum_mg_sparse": variant(
        CLOSE,
        name="serum_mg_sparse",
        description="Serum Mg measured for 27 % only (missing for 70 %)",
        serum_mg_share=0.27,
    ),
    "heavy_tails": variant(
        CLOSE,
        name="heavy_tails",
        description=(
            "Heavy-tailed serum errors (t3) with 2 % outliers; 25 % of urines 30-60 % collected"
        ),
        heavy_tails=True,
        incomplete_share=0.25,
    ),
    "bimodal_intake": variant(
        CLOSE,
        name="bimodal_intake",
        description="Skewed, bimodal intake (30 % eat half as much) and heavy supplement users",
        second_component=0.3,
        second_shift=-0.7,
        supplement_users=(0.45, 0.35),
        mg_supplement_doses=(250.0, 400.0, 500.0, 800.0),
    ),
}
