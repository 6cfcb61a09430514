"""Where a world's excess Brier score comes from: the fit against the optimum, by subgroup.

Reads the probabilities ``benchmarks/robustness.py`` saved
(``<out>/<world>_<n>_probabilities.csv``) and the world's cohort, re-simulates its truth
(the same seed gives the same people; the optimum is not recomputed) and splits the excess
``sum((p - y)^2) - sum((optimal - y)^2)`` of the fitted and of the prior-only probabilities
over subgroups a reader can see in the data or the truth:

* the world's phenotype (ordinary, renal wasting, gut loss);
* the serum Mg reading: none, an error of more than 0.1 mmol/L (outliers; the readings'
  SD is about 0.03), or ordinary;
* the 24-h urine: none, creatinine below 60 % of the cohort median (under-collected), or
  ordinary;
* supplements: Mg and Ca, one of them, or none.

Usage::

    python benchmarks/robustness_excess.py heavy_tails competition [--subjects 1000]

Prints a markdown table per world.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def groups(cohort: pd.DataFrame, truth: pd.DataFrame) -> dict[str, np.ndarray]:
    """Boolean masks over ``truth``'s people: phenotype, serum reading, urine, supplements."""
    by_person = cohort.groupby("subject_id")
    serum = by_person["serum_mg"].mean().reindex(truth["subject_id"]).to_numpy()
    error = serum - truth["true_serum_mg"].to_numpy()
    creatinine = by_person["urine_creatinine"].min().reindex(truth["subject_id"]).to_numpy()
    low = creatinine < 0.6 * np.nanmedian(creatinine)
    mg = (by_person["supp_mg"].max().reindex(truth["subject_id"]).fillna(0) > 0).to_numpy()
    ca = (by_person["supp_ca"].max().reindex(truth["subject_id"]).fillna(0) > 0).to_numpy()
    out = {
        f"phenotype {k}": (truth["phenotype"] == k).to_numpy() for k in truth["phenotype"].unique()
    }
    out |= {
        "serum Mg: none": ~np.isfinite(error),
        "serum Mg: error > 0.1 mmol/L": np.abs(error) > 0.1,
        "serum Mg: error <= 0.1 mmol/L": np.abs(error) <= 0.1,
        "urine: none": ~np.isfinite(creatinine),
        "urine: creatinine < 60 % of median": low,
        "urine: creatinine >= 60 % of median": creatinine >= 0.6 * np.nanmedian(creatinine),
        "supplements: Mg and Ca": mg & ca,
        "supplements: Mg only": mg & ~ca,
        "supplements: Ca only": ca & ~mg,
        "supplements: none": ~mg & ~ca,
    }
    return out


def excess_table(name: str, n: int, seed: int, out: Path) -> str:
    """The markdown table of one world's excess Brier score by subgroup."""
    from benchmarks.worlds.definitions import WORLDS
    from benchmarks.worlds.engine import simulate

    cohort, truth, _ = simulate(WORLDS[name], n, seed)
    probs = pd.read_csv(out / f"{name}_{n}_probabilities.csv").set_index("subject_id")
    probs = probs.loc[truth["subject_id"]]
    y = probs["deficient"].to_numpy().astype(float)
    loss = {k: (probs[k].to_numpy() - y) ** 2 for k in ("optimal", "fitted", "prior")}
    total = {k: loss[k].sum() - loss["optimal"].sum() for k in ("fitted", "prior")}
    lines = [
        f"**{name}** ({n} people): excess Brier sum, fitted {total['fitted']:.2f}, "
        f"prior-only {total['prior']:.2f}",
        "",
        "| subgroup | people | prevalence | mean p: optimal / fitted | fitted excess (share) "
        "| prior-only excess |",
        "|---|---|---|---|---|---|",
    ]
    for label, mask in groups(cohort, truth).items():
        if not mask.any():
            continue
        fitted = loss["fitted"][mask].sum() - loss["optimal"][mask].sum()
        prior = loss["prior"][mask].sum() - loss["optimal"][mask].sum()
        share = fitted / total["fitted"] if total["fitted"] else np.nan
        lines.append(
            f"| {label} | {mask.sum()} | {y[mask].mean():.3f} | "
            f"{probs['optimal'].to_numpy()[mask].mean():.3f} / "
            f"{probs['fitted'].to_numpy()[mask].mean():.3f} | {fitted:.2f} ({share:.0%}) | "
            f"{prior:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("worlds", nargs="+")
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "robustness")
    args = parser.parse_args()
    for name in args.worlds:
        print(excess_table(name, args.subjects, args.seed, args.out) + "\n")


if __name__ == "__main__":
    main()
