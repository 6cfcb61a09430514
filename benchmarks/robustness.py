"""Robustness: fit and score every independent stress world with the defaults.

Each world of :mod:`benchmarks.worlds.definitions` writes a cohort (the documented schema)
and its truth; the cohort is fitted with ``camg_bayes.fit`` at its default settings,
checked (``diagnose``), and scored twice: against the fit and against the literature prior
alone. The scores are compared with the truth and with the world's Bayes-optimal
probability (:func:`benchmarks.worlds.engine.optimal_probability`).

Usage::

    python benchmarks/robustness.py                      # every world at 1,000 people
    python benchmarks/robustness.py --worlds close renal_wasting --subjects 5000

Columns of ``benchmarks/results/robustness.md``: the world; whether every convergence
check passes (and the failures); Brier score over the optimum's; the same for the
literature prior alone; AUC of the fit (of the optimum); the share of 90 % intervals of
true serum Mg that hold the truth; the calibration gap (the largest |observed rate - mean
predicted| over deciles of the fitted probability), with the optimum's and the 95th
percentile of the gap of a perfectly calibrated predictor with the fitted probabilities
(binomial noise alone); the logistic calibration slope (1 if calibrated); prevalence and
mean p_deficient; the fit's wall time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT))


def auc(p: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney)."""
    ranks = pd.Series(p).rank().to_numpy()
    n1 = y.sum()
    n0 = len(y) - n1
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)) if n1 and n0 else np.nan


def calibration_gap(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Largest |observed rate - mean predicted| over deciles of p."""
    groups = np.array_split(np.argsort(p, kind="stable"), bins)
    return float(max(abs(y[g].mean() - p[g].mean()) for g in groups))


def calibration_gap_null(p: np.ndarray, *, reps: int = 2000, seed: int = 0) -> float:
    """95th percentile of :func:`calibration_gap` for outcomes drawn from ``p`` itself.

    What binomial noise alone gives a perfectly calibrated predictor with these
    probabilities: at 1,000 people, deciles of 100 put it near 0.1.
    """
    rng = np.random.default_rng(seed)
    gaps = [calibration_gap(p, rng.random(len(p)) < p) for _ in range(reps)]
    return float(np.quantile(gaps, 0.95))


def calibration_slope(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Intercept and slope of the logistic recalibration of ``y`` on logit(p) (Cox 1958).

    A calibrated predictor has (0, 1); a slope above 1 means probabilities too close to the
    middle (under-confident), below 1 too extreme.
    """
    from scipy.optimize import minimize

    clipped = np.clip(p, 1e-6, 1 - 1e-6)
    x = np.log(clipped / (1 - clipped))
    yy = y.astype(float)

    def nll(theta):
        eta = theta[0] + theta[1] * x
        return -(yy * eta - np.logaddexp(0.0, eta)).sum()

    intercept, slope = minimize(nll, [0.0, 1.0]).x
    return float(intercept), float(slope)


def run_world(name: str, n: int, seed: int, out: Path) -> dict:
    """Simulate, find the optimum, fit, check and score one world (in this process)."""
    from benchmarks.worlds.definitions import WORLDS
    from benchmarks.worlds.engine import optimal_probability, simulate

    import camg_bayes as cb

    warnings.simplefilter("ignore")
    world = WORLDS[name]
    cohort, truth, data = simulate(world, n, seed)
    out.mkdir(parents=True, exist_ok=True)
    cohort.to_csv(out / f"{name}_{n}_cohort.csv", index=False)
    start = time.perf_counter()
    optimal, ess = optimal_probability(world, data, seed=seed)
    optimum_s = time.perf_counter() - start
    ds = cb.read_cohort(cohort, name=f"world {name}")
    start = time.perf_counter()
    fitted = cb.fit(ds, random_seed=seed)
    fit_s = time.perf_counter() - start
    fitted.save(out / f"{name}_{n}_fit.nc")  # for a closer look; not committed
    check = cb.diagnose(fitted)
    scores = cb.score(ds, fitted, random_seed=seed).set_index("subject_id").loc[truth.subject_id]
    prior = cb.score(ds, random_seed=seed).set_index("subject_id").loc[truth.subject_id]
    y = truth["deficient"].to_numpy()
    p = scores["p_deficient"].to_numpy()
    true = truth["true_serum_mg"].to_numpy()
    inside = (scores["serum_mg_true_lo"].to_numpy() <= true) & (
        true <= scores["serum_mg_true_hi"].to_numpy()
    )
    brier_opt = np.mean((optimal - y) ** 2)
    failed = [c.name for c in check.checks if not c.passed]
    worst = check.table["r_hat"].idxmax()
    pd.DataFrame(
        {
            "subject_id": truth.subject_id,
            "deficient": y,
            "optimal": optimal,
            "fitted": p,
            "prior": prior["p_deficient"].to_numpy(),
        }
    ).to_csv(out / f"{name}_{n}_probabilities.csv", index=False)
    return {
        "world": name,
        "n": n,
        "check": "pass" if check.passed else "fail: " + ", ".join(failed),
        "brier_ratio": float(np.mean((p - y) ** 2) / brier_opt),
        "prior_brier_ratio": float(np.mean((prior["p_deficient"].to_numpy() - y) ** 2) / brier_opt),
        "auc": auc(p, y),
        "auc_optimal": auc(optimal, y),
        "coverage_90": float(inside.mean()),
        "calibration_gap": calibration_gap(p, y),
        "calibration_gap_optimal": calibration_gap(optimal, y),
        "calibration_gap_null95": calibration_gap_null(p),
        "calibration_slope": calibration_slope(p, y)[1],
        "calibration_slope_optimal": calibration_slope(optimal, y)[1],
        "prevalence": float(y.mean()),
        "mean_p": float(p.mean()),
        "max_rhat": float(check.table["r_hat"].max()),
        "worst_parameter": worst,
        "min_ess_bulk": float(check.table["ess_bulk"].min()),
        "divergences": int(check.checks[4].value),
        "min_ebfmi": float(check.checks[6].value),
        "fit_s": round(fit_s, 1),
        "optimum_min_ess": float(np.min(ess)),
        "optimum_s": round(optimum_s, 1),
    }


def table(rows: list[dict]) -> str:
    """The markdown table of the results."""
    header = [
        "world",
        "N",
        "`camg check`",
        "Brier ÷ optimal",
        "prior-only Brier ÷ optimal",
        "AUC (optimal)",
        "90 % coverage",
        "calibration gap (optimal; 95 % if calibrated)",
        "calibration slope (optimal)",
        "prevalence / mean p",
        "fit",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        check = (
            f"{r['check']} (R-hat {r['max_rhat']:.3f} {r.get('worst_parameter', '')}, "
            f"ESS {r['min_ess_bulk']:.0f}, "
            f"E-BFMI {r['min_ebfmi']:.2f}, div {r['divergences']})"
        )
        cells = [
            r["world"],
            str(r["n"]),
            check,
            f"{r['brier_ratio']:.3f}",
            f"{r['prior_brier_ratio']:.3f}",
            f"{r['auc']:.3f} ({r['auc_optimal']:.3f})",
            f"{r['coverage_90']:.3f}",
            f"{r['calibration_gap']:.3f} ({r['calibration_gap_optimal']:.3f}; "
            f"{r['calibration_gap_null95']:.3f})",
            f"{r['calibration_slope']:.2f} ({r['calibration_slope_optimal']:.2f})",
            f"{r['prevalence']:.3f} / {r['mean_p']:.3f}",
            f"{r['fit_s']:.0f} s",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    from benchmarks.worlds.definitions import WORLDS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", nargs="+", default=list(WORLDS))
    parser.add_argument("--subjects", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "robustness")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_world(args.one, args.subjects, args.seed, args.out)))
        return
    rows = []
    for name in args.worlds:
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                name,
                "--subjects",
                str(args.subjects),
                "--seed",
                str(args.seed),
                "--out",
                str(args.out),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(f"{name}: failed\n{done.stderr[-2000:]}", flush=True)
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    frame = pd.DataFrame(rows)
    RESULTS.mkdir(exist_ok=True)
    stem = f"robustness_{args.subjects}"
    frame.to_csv(RESULTS / f"{stem}.csv", index=False)
    (RESULTS / f"{stem}.md").write_text(
        f"# Robustness in independent worlds, {args.subjects} people\n\n"
        f"Written {time.strftime('%Y-%m-%d %H:%M')} by `python benchmarks/robustness.py "
        f"--subjects {args.subjects}`; default fit settings, seed {args.seed}.\n\n"
        + table(rows)
        + "\n"
    )


if __name__ == "__main__":
    main()
