"""The Dask path against full NUTS: a subsample's population, everyone scored in chunks.

Runs the user's commands on a cohort that already has a full fit (for example one kept by
``python benchmarks/fit_scaling.py --sizes 10000 --keep DIR``)::

    camg fit COHORT --subsample N --scheduler local --out sub.nc --seed S
    camg score COHORT --fit sub.nc --scheduler local --out dask.csv --seed S
    camg score COHORT --fit FULL --out full.csv --seed S

and compares them: each population quantity's posterior mean (difference over the full
fit's posterior SD) and 90 % interval width (ratio), and each subject's ``p_deficient``
and true serum Mg. Writes ``benchmarks/results/dask_path.md``.

Usage::

    python benchmarks/dask_path.py --cohort DIR/cohort_10000.csv --full DIR/fit_10000_diag.nc
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"


def run(command: list[str]) -> float:
    """Run a ``camg`` command; its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def population_table(full, sub) -> pd.DataFrame:
    """Per population quantity: mean difference over the full SD, and 90 % width ratio."""
    from camg_bayes.checks.diagnostics import element_labels

    rows = []
    for name in full.population_names:
        # draws x elements, elements in the order of their labels (e.g. intake_mg_median[M])
        a = full.posterior[name].values.reshape(-1, *full.posterior[name].shape[2:])
        b = sub.posterior[name].values.reshape(-1, *sub.posterior[name].shape[2:])
        flat_a, flat_b = a.reshape(len(a), -1), b.reshape(len(b), -1)
        for k, label in enumerate(element_labels(name, full.posterior[name])):
            qa = np.quantile(flat_a[:, k], [0.05, 0.95])
            qb = np.quantile(flat_b[:, k], [0.05, 0.95])
            rows.append(
                {
                    "quantity": label,
                    "z": (flat_b[:, k].mean() - flat_a[:, k].mean()) / flat_a[:, k].std(),
                    "width_ratio": (qb[1] - qb[0]) / (qa[1] - qa[0]),
                }
            )
    return pd.DataFrame(rows)


def largest_differences(table: pd.DataFrame, n: int = 10) -> list[str]:
    """Markdown lines: the ``n`` quantities of ``population_table`` with the largest absolute z."""
    lines = ["Largest mean differences:", "", "| quantity | z | width ratio |", "|---|---|---|"]
    for row in (
        table.reindex(table["z"].abs().sort_values(ascending=False).index).head(n).itertuples()
    ):
        lines.append(f"| {row.quantity} | {row.z:+.2f} | {row.width_ratio:.2f} |")
    return lines


def main() -> None:
    from camg_bayes import Fit

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort", type=Path, required=True)
    parser.add_argument("--full", type=Path, required=True, help="the full NUTS fit file")
    parser.add_argument("--subsample", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, default=Path("dask_path_work"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    camg = [sys.executable, "-m", "camg_bayes"]
    sub_fit, dask_csv, full_csv = (args.work / n for n in ("sub.nc", "dask.csv", "full.csv"))
    seed = ["--seed", str(args.seed)]
    cohort = str(args.cohort)
    fit_sub = [*camg, "fit", cohort, "--subsample", str(args.subsample), "--scheduler", "local"]
    score_dask = [*camg, "score", cohort, "--fit", str(sub_fit), "--scheduler", "local"]
    score_full = [*camg, "score", cohort, "--fit", str(args.full)]
    times = {
        "fit_subsample_s": run([*fit_sub, "--out", str(sub_fit), *seed]),
        "score_dask_s": run([*score_dask, "--out", str(dask_csv), *seed]),
        "score_full_s": run([*score_full, "--out", str(full_csv), *seed]),
    }
    full, sub = Fit.load(args.full), Fit.load(sub_fit)
    table = population_table(full, sub)
    scores = pd.read_csv(full_csv).merge(
        pd.read_csv(dask_csv), on="subject_id", suffixes=("_full", "_dask")
    )
    dp = (scores["p_deficient_dask"] - scores["p_deficient_full"]).abs()
    dm = (scores["serum_mg_true_mean_dask"] - scores["serum_mg_true_mean_full"]).abs()
    width = lambda s: scores[f"serum_mg_true_hi_{s}"] - scores[f"serum_mg_true_lo_{s}"]  # noqa: E731
    z, w = table["z"].abs(), table["width_ratio"]
    n = full.design.n
    lines = [
        "# The Dask path against full NUTS",
        "",
        f"Written {time.strftime('%Y-%m-%d %H:%M')} by `python benchmarks/dask_path.py "
        f"--cohort {args.cohort.name} --full {args.full.name} --subsample {args.subsample}`: "
        f"{n:,} subjects; the population fitted on a stratified subsample of "
        f"{args.subsample:,} (`camg fit --subsample --scheduler local`), everyone scored on "
        "two local workers (`camg score --scheduler local`), against the full NUTS fit of "
        "all of them (its subjects scored from their posterior draws).",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| population quantities | {len(table)} | |",
        f"| \\|mean difference\\| / full posterior SD: median, max | {z.median():.2f}, "
        f"{z.max():.2f} ({table.loc[z.idxmax(), 'quantity']}) | <= 0.2 |",
        f"| share of quantities within 0.2 SD | {(z <= 0.2).mean():.2f} | 1 |",
        f"| 90 % width, subsample / full: median, range | {w.median():.2f}, "
        f"{w.min():.2f}-{w.max():.2f} | within 20 % |",
        f"| share of widths within 20 % | {((w - 1).abs() <= 0.2).mean():.2f} | 1 |",
        f"| p_deficient \\|difference\\|: mean, 95th percentile, max | {dp.mean():.4f}, "
        f"{dp.quantile(0.95):.4f}, {dp.max():.4f} | <= 0.02 |",
        f"| share of subjects within 0.02 | {(dp <= 0.02).mean():.3f} | 1 |",
        f"| true serum Mg mean \\|difference\\|, mmol/L | {dm.mean():.4f} | |",
        f"| subjects' 90 % width of true serum Mg, ratio (median) | "
        f"{(width('dask') / width('full')).median():.3f} | |",
        f"| wall: subsample fit, Dask scoring, full-fit scoring | "
        f"{times['fit_subsample_s']:.0f} s, {times['score_dask_s']:.0f} s, "
        f"{times['score_full_s']:.0f} s | |",
        "",
        *largest_differences(table),
    ]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dask_path.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
