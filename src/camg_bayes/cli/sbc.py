"""``camg sbc``: simulation-based calibration on Dask, and the files it writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from camg_bayes.cli.app import app, out
from camg_bayes.cli.inputs import announce_seed
from camg_bayes.cli.options import ChainsOption, DrawsOption, SeedOption, TuneOption, VariantOption
from camg_bayes.files import atomic_path, ensure_writable, write_csv, write_text

#: Simultaneous band probability of the rank ECDF test.
BAND_PROB = 0.95


@app.command()
def sbc(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for ranks, table and plots.")],
    simulations: Annotated[
        int, typer.Option("--simulations", min=1, help="Simulated cohorts (K).")
    ] = 200,
    subjects: Annotated[int, typer.Option("--subjects", min=5, help="Subjects per cohort.")] = 200,
    draws: DrawsOption = 250,
    tune: TuneOption = 400,
    chains: ChainsOption = 2,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Dask scheduler address; a local cluster of one-thread processes if absent.",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Local worker processes.")
    ] = None,
    seed: SeedOption = None,
    variant: VariantOption = "full",
) -> None:
    """Simulation-based calibration: prior draw, cohort, fit and ranks, K times, on Dask."""
    from camg_bayes.checks.sbc import SbcSettings, run_sbc
    from camg_bayes.fitting.settings import SamplerSettings
    from camg_bayes.parallel import cluster

    out_dir.mkdir(parents=True, exist_ok=True)
    ensure_writable(out_dir / "sbc_ranks.json")
    settings = SbcSettings(
        simulations=simulations,
        subjects=subjects,
        sampler=SamplerSettings(draws=draws, tune=tune, chains=chains),
        seed=announce_seed(seed),
        variant=variant,
    )
    out.print(f"SBC: {simulations} simulations of {subjects} subjects on Dask...")

    def progress(done: int, total: int) -> None:
        if done == total or done % max(1, total // 20) == 0:
            out.print(f"  {done}/{total} simulations done")

    with cluster(scheduler, workers=workers) as client:
        # recycle the workers of a local cluster (never those of a cluster we were given)
        restart = None if scheduler else 8 * len(client.scheduler_info()["workers"])
        records = run_sbc(settings, client, progress=progress, restart_every=restart)
    passed = write_outputs(out_dir, records, settings)
    if not passed:
        raise typer.Exit(1)


def write_outputs(out_dir: Path, records: list[dict], settings) -> bool:
    """Write ranks (JSON), the per-quantity table (CSV, Markdown) and the ECDF plot.

    Returns whether every quantity passed the family-wise test: with some 50 quantities each
    tested at 95 %, a calibrated fit fails a few by chance, so the run's verdict is taken at
    the Bonferroni level (:func:`camg_bayes.checks.sbc.summary_table`).
    """
    from dataclasses import asdict

    from camg_bayes.checks.sbc import rank_frame, summary_table
    from camg_bayes.report.figures import sbc_ecdf_difference

    population, subjects = rank_frame(records)
    ranked = {r["rank_draws"] for r in records if not r["error"]}
    rank_draws = min(ranked) if ranked else settings.rank_draws
    table, curves = summary_table(
        population, subjects, rank_draws, prob=BAND_PROB, seed=settings.seed
    )
    failed = [r for r in records if r["error"]]
    diagnostics = [r["diagnostics"] for r in records if not r["error"]]
    meta = {
        "settings": asdict(settings),
        "band_prob": BAND_PROB,
        "fitted": len(diagnostics),
        "refused": [{"index": r["index"], "error": r["error"]} for r in failed],
        "max_rhat_median": float(np.median([d["max_rhat"] for d in diagnostics] or [np.nan])),
        "divergent_fits": int(sum(d["divergences"] > 0 for d in diagnostics)),
    }
    write_text(out_dir / "sbc_ranks.json", json.dumps({"meta": meta, "records": records}))
    write_csv(table.rename_axis("quantity").reset_index(), out_dir / "sbc_table.csv")
    with atomic_path(out_dir / "sbc_ecdf.png") as tmp:
        tmp.write_bytes(sbc_ecdf_difference(curves))
    n_failed = int((~table["passed"]).sum())
    family = list(table.index[~table["passed_familywise"]])
    out.print(
        f"SBC: {len(diagnostics)} of {len(records)} simulations fitted; {n_failed} of "
        f"{len(table)} quantities outside their {BAND_PROB:.0%} simultaneous band"
        + (f" ({', '.join(table.index[~table['passed']])})" if n_failed else "")
        + f", {(1 - BAND_PROB) * len(table):.1f} expected by chance; "
        + f"{len(family)} outside the family-wise band"
        + (f" ({', '.join(family)})" if family else "")
        + f". Wrote {out_dir}/sbc_ranks.json, sbc_table.csv, sbc_ecdf.png"
    )
    return not family
