"""Rich tables for the command line. Formatting only: every number comes from the library."""

from __future__ import annotations

import numpy as np
import xarray as xr
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from camg_bayes.describe import cohort_overview, measurement_counts


def warnings_block(console: Console, messages: list[str]) -> None:
    """Print warnings, one per line, or say there were none."""
    if not messages:
        console.print("[green]No warnings.[/green]")
        return
    console.print(f"[yellow]{len(messages)} warning(s):[/yellow]")
    for message in messages:
        console.print(f"  [yellow]![/yellow] {escape(message)}", soft_wrap=True)


def cohort_summary(console: Console, ds: xr.Dataset, messages: list[str]) -> None:
    """Print the headline counts, the per-measurement table and the warnings of a cohort."""
    info = cohort_overview(ds)
    console.print(f"[bold]Cohort[/bold] {escape(info['source'])}  (data hash {info['data_hash']})")
    sex = info["sex"]
    console.print(
        f"  {info['subjects']} subjects, {info['rows']} rows, "
        f"{info['occasions']} occasion label(s); "
        f"sex F {sex['F']} / M {sex['M']} / missing {sex['missing']}; "
        f"{info['sites']} site(s); {info['supplement_users']} supplement user(s)"
    )
    table = Table(title="Measurements (canonical units, after conversion)", title_justify="left")
    for name, justify in (
        ("column", "left"),
        ("unit", "left"),
        ("subjects", "right"),
        ("observations", "right"),
        ("repeated", "right"),
        ("missing %", "right"),
        ("median", "right"),
    ):
        table.add_column(name, justify=justify)
    counts = measurement_counts(ds)
    for column, row in counts.iterrows():
        median = "" if np.isnan(row["median"]) else f"{row['median']:.4g}"
        table.add_row(
            str(column),
            row["unit"],
            str(row["subjects"]),
            str(row["observations"]),
            str(row["repeated"]),
            f"{row['missing_pct']:.0f}",
            median,
        )
    console.print(table)
    warnings_block(console, messages)


def simulation_summary(
    console: Console, sim, cohort_path, truth_path, json_path, prevalence: float
) -> None:
    """Print where a simulated cohort went and its headline truth."""
    truth = sim.truth
    console.print(
        f"Simulated {len(truth)} subjects ({len(sim.cohort)} rows) -> {escape(str(cohort_path))}"
    )
    console.print(
        f"Truth -> {escape(str(truth_path))}; population parameters -> {escape(str(json_path))}"
    )
    console.print(
        f"True serum Mg mean {truth['true_serum_mg'].mean():.3f} mmol/L; "
        f"deficient (< {sim.params['_simulation']['deficiency_threshold']:g}) "
        f"{100 * prevalence:.1f} %"
    )
