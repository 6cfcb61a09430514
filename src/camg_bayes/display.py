"""Rich tables for the command line. Formatting only: every number comes from the library."""

from __future__ import annotations

import numpy as np
import xarray as xr
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
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


def diagnostics(console: Console, result, *, loud: bool = False, table: bool = False) -> None:
    """Print convergence checks; with ``loud``, a red panel when any fails."""
    checks = Table(title="Convergence diagnostics", title_justify="left")
    for name in ("check", "result", "value", "threshold", "meaning"):
        checks.add_column(name, overflow="fold")
    for c in result.checks:
        mark = "[green]pass[/green]" if c.passed else "[bold red]FAIL[/bold red]"
        value = f"{c.value:.4g}" if isinstance(c.value, float) else str(c.value)
        checks.add_row(c.name, mark, value, c.threshold, escape(c.message))
    console.print(checks)
    if table:
        params = Table(title="Population parameters", title_justify="left")
        for name in ("parameter", "mean", "sd", "r_hat", "ess_bulk", "ess_tail"):
            params.add_column(name, justify="left" if name == "parameter" else "right")
        for label, row in result.table.iterrows():
            params.add_row(
                escape(str(label)),
                f"{row['mean']:.4g}",
                f"{row['sd']:.3g}",
                f"{row['r_hat']:.3f}",
                f"{row['ess_bulk']:.0f}",
                f"{row['ess_tail']:.0f}",
            )
        console.print(params)
    if result.passed:
        console.print("[bold green]All convergence checks pass.[/bold green]")
    elif loud:
        failed = ", ".join(c.name for c in result.checks if not c.passed)
        console.print(
            Panel(
                f"[bold]Convergence checks FAILED: {failed}.[/bold]\n"
                "Do not interpret these results yet. Run longer (--draws/--tune), check the "
                "data for problems, or see the table from `camg check`.",
                title="WARNING",
                style="red",
            )
        )
    else:
        console.print("[bold red]Some convergence checks failed.[/bold red]")
