"""Simulation-based calibration at scale: K simulated cohorts of N people, fitted on Dask.

Each simulation draws the population parameters from ``models/default.toml``'s priors,
simulates a cohort, fits it and ranks every true population parameter and five subjects'
true serum Mg among L = 99 posterior draws (see :mod:`camg_bayes.checks.sbc`). Results are
saved after every batch, so a stopped run keeps what it finished (``--resume`` goes on).

Writes ``benchmarks/results/sbc/`` (ranks JSON, table CSV, ECDF-difference plot) and
``benchmarks/results/sbc.md``.

    python benchmarks/sbc.py --simulations 200 --subjects 200
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    from camg_bayes.checks.sbc import SbcSettings, run_sbc
    from camg_bayes.cli.sbc import write_outputs
    from camg_bayes.fitting.settings import SamplerSettings
    from camg_bayes.parallel import cluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulations", type=int, default=200)
    parser.add_argument("--subjects", type=int, default=200)
    parser.add_argument("--draws", type=int, default=400)
    parser.add_argument("--tune", type=int, default=300)
    parser.add_argument("--chains", type=int, default=1)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument(
        "--report-only", action="store_true", help="write the outputs from the saved records"
    )
    parser.add_argument("--wall-seconds", type=float, help="with --report-only: the run's wall")
    parser.add_argument("--out", type=Path, default=RESULTS / "sbc")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    settings = SbcSettings(
        simulations=args.simulations,
        subjects=args.subjects,
        sampler=SamplerSettings(draws=args.draws, tune=args.tune, chains=args.chains, cores=1),
        seed=args.seed,
    )
    partial = args.out / "records.partial.json"
    records = json.loads(partial.read_text())["records"] if args.resume and partial.exists() else []
    start = time.perf_counter()
    if args.report_only:
        saved = json.loads(partial.read_text())
        records = saved["records"]
        start -= args.wall_seconds or saved.get("seconds", 0.0)
    else:
        with cluster(workers=args.workers) as client:
            while len(records) < settings.simulations:
                done = len(records)
                batch = min(args.batch, settings.simulations - done)
                records += _batch(run_sbc, settings, client, done, batch)
                client.restart()  # fresh workers: each fit leaves ~0.5 GB behind (run_sbc)
                elapsed = time.perf_counter() - start
                saved = {"settings": asdict(settings), "records": records, "seconds": elapsed}
                partial.write_text(json.dumps(saved))
                print(f"{len(records)}/{settings.simulations} in {elapsed:.0f} s")
    passed = write_outputs(args.out, records, settings)
    markdown(args.out, RESULTS / "sbc.md", time.perf_counter() - start)
    print("all quantities within their bands" if passed else "some quantities failed")


def markdown(folder: Path, path: Path, seconds: float) -> None:
    """``sbc.md``: the settings, the per-quantity table and where the plots are."""
    import pandas as pd

    saved = json.loads((folder / "sbc_ranks.json").read_text())
    meta, records = saved["meta"], saved["records"]
    table = pd.read_csv(folder / "sbc_table.csv")
    sampler = meta["settings"]["sampler"]
    fitted = [r for r in records if not r["error"]]
    lines = [
        "# Simulation-based calibration",
        "",
        f"{len(records)} simulations of {meta['settings']['subjects']} people "
        f"({meta['fitted']} fitted; {len(meta['refused'])} cohorts refused by the reader), "
        f"each fitted with {sampler['chains']} chain(s) x ({sampler['tune']} tune + "
        f"{sampler['draws']} draws); ranks among L = {fitted[0]['rank_draws']} draws thinned "
        f"evenly. Wall time {seconds / 60:.0f} min on this machine "
        f"(median {pd.Series([r['seconds'] for r in records]).median():.0f} s per simulation "
        "per worker).",
        "",
        *(
            [
                f"**Stopped after {len(records)} of {meta['settings']['simulations']} planned "
                "simulations** (`--resume` goes on from the saved records).",
                "",
            ]
            if len(records) < meta["settings"]["simulations"]
            else []
        ),
        f"A quantity passes when its rank ECDF stays inside the {meta['band_prob']:.0%} "
        f"simultaneous band (Säilynoja et al. 2022). Plot: `{_shown(folder)}/sbc_ecdf.png`; "
        f"ranks: `{_shown(folder)}/sbc_ranks.json`.",
        "",
        f"Fits with divergences: {meta['divergent_fits']} of {meta['fitted']}.",
        "",
        f"With {len(table)} quantities, {(1 - meta['band_prob']) * len(table):.1f} are "
        "expected outside their band by chance alone; the family-wise column tests each at "
        f"the Bonferroni level {1 - (1 - meta['band_prob']) / len(table):.4f}, where a "
        "calibrated fit fails any quantity with probability 5 %. z is the mean rank's "
        "distance from 1/2 in standard errors.",
        "",
        "| quantity | simulations | mean rank / L | z | max ECDF deviation | passed | "
        "family-wise |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {row.quantity} | {row.n} | {row.mean_rank:.3f} | {row.mean_rank_z:+.1f} "
            f"| {row.max_ecdf_deviation:.3f} | {'yes' if row.passed else '**no**'} "
            f"| {'yes' if row.passed_familywise else '**no**'} |"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _shown(folder: Path) -> str:
    """``folder`` relative to the repository when it is inside it."""
    folder = folder.resolve()
    root = RESULTS.parent.parent
    return str(folder.relative_to(root)) if folder.is_relative_to(root) else str(folder)


def _batch(run_sbc, settings, client, first: int, size: int) -> list[dict]:
    """Simulations ``first .. first + size - 1`` of the run."""
    return run_sbc(settings, client, indices=range(first, first + size))


if __name__ == "__main__":
    main()
