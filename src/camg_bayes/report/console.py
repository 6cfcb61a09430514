"""Rich tables for the command line. Formatting only: every number comes from the library."""

from __future__ import annotations

import numpy as np
import xarray as xr
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from camg_bayes.checks.diagnostics import advice
from camg_bayes.cohort import cohort_overview, measurement_counts


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
        f"{info['sites']} site(s); {info['supplement_users']} supplement user(s); "
        f"diuretic {info['exposed']['diuretic']}, PPI {info['exposed']['ppi']}, "
        f"diabetes {info['exposed']['diabetes']}"
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
        return
    hints = "".join(f"\n  - {escape(line)}" for line in advice(result))
    if loud:
        failed = ", ".join(c.name for c in result.checks if not c.passed)
        console.print(
            Panel(
                f"[bold]Convergence checks FAILED: {failed}.[/bold]\n"
                "Do not interpret these results yet. Run longer (--draws/--tune), check the "
                "data for problems, or see the table from `camg check`." + hints,
                title="WARNING",
                style="red",
            )
        )
    else:
        console.print("[bold red]Some convergence checks failed.[/bold red]" + hints)


def _population_line(console: Console, source: str) -> None:
    if source == "literature prior":
        console.print(
            Panel(
                "Population: the LITERATURE PRIOR (models/default.toml), not fitted data. "
                "Probabilities rest on published ranges; fit your cohort (camg fit) and pass "
                "--fit for a population learned from data.",
                style="yellow",
            )
        )
    else:
        console.print(f"Population: {escape(source)}")


def score_summary(console: Console, table, path) -> None:
    """Headline of a score table: population, threshold, expected prevalence, top subjects."""
    _population_line(console, table.attrs["population"])
    threshold = table.attrs["threshold"]
    console.print(
        f"Scored {len(table)} subjects ({table.attrs['n_in_fit']} from the fit's posterior draws) "
        f"-> {escape(str(path))}"
    )
    console.print(
        f"Expected share with true serum Mg < {threshold:g} mmol/L: "
        f"{100 * table['p_deficient'].mean():.1f} %; subjects with p_deficient > 0.5: "
        f"{int((table['p_deficient'] > 0.5).sum())}"
    )
    top = table.sort_values("p_deficient", ascending=False).head(10)
    view = Table(title="Most likely deficient", title_justify="left")
    for name in (
        "subject_id",
        "p_deficient",
        "true serum Mg (90 % interval)",
        "driver",
        "measurements",
    ):
        view.add_column(name, overflow="fold")
    for _, row in top.iterrows():
        view.add_row(
            escape(str(row["subject_id"])),
            f"{row['p_deficient']:.2f}",
            f"{row['serum_mg_true_mean']:.3f} "
            f"({row['serum_mg_true_lo']:.3f}-{row['serum_mg_true_hi']:.3f})",
            escape(str(row["driver"])),
            escape(str(row["measurements"])),
        )
    console.print(view)


def whatif_summary(console: Console, table, path, *, population_is_prior: bool) -> None:
    """Mean effects of a regimen with intervals, and where the table went."""
    if population_is_prior:
        _population_line(console, "literature prior")
    console.print(
        f"Regimen: {escape(table.attrs['regimen'])}  ({len(table)} subjects -> {escape(str(path))})"
    )
    view = Table(
        title="Predicted steady-state change (subject means and 90 % intervals, averaged)",
        title_justify="left",
    )
    for name in ("outcome", "before", "after", "change", "90 % interval"):
        view.add_column(name)
    units = {"absorbed_mg": "mg/d", "serum_mg_true": "mmol/L", "urine_mg_true": "mmol/d"}
    for key, unit in units.items():
        view.add_row(
            f"{key} ({unit})",
            f"{table[f'{key}_before'].mean():.3g}",
            f"{table[f'{key}_after'].mean():.3g}",
            f"{table[f'{key}_change'].mean():+.3g}",
            f"{table[f'{key}_change_lo'].mean():+.3g} to {table[f'{key}_change_hi'].mean():+.3g}",
        )
    view.add_row(
        "p_deficient",
        f"{table['p_deficient_before'].mean():.3f}",
        f"{table['p_deficient_after'].mean():.3f}",
        f"{table['p_deficient_change'].mean():+.3f}",
        "",
    )
    console.print(view)


def comparison(console: Console, table) -> None:
    """PSIS-LOO comparison table with Pareto-k counts and a plain reading."""
    view = Table(title="Model comparison by PSIS-LOO (leave one subject out)", title_justify="left")
    columns = ("rank", "elpd", "p", "elpd_diff", "dse", "weight", "k_over_0.7", "k_max", "variant")
    view.add_column("fit")
    for name in columns:
        view.add_column(name, justify="right")
    digits = {"elpd": ".1f", "p": ".1f", "elpd_diff": ".1f", "dse": ".1f", "weight": ".3f"}
    digits |= {"k_over_0.7": ".0f", "k_max": ".2f"}
    for label, row in table.iterrows():
        cells = []
        for name in columns:
            value = row.get(name, "")
            is_number = isinstance(value, float) and np.isfinite(value)
            cells.append(format(value, digits.get(name, ".4g")) if is_number else str(value))
        view.add_row(escape(str(label)), *cells)
    console.print(view)
    best = table.index[0]
    for label, row in table.iloc[1:].iterrows():
        diff, se = abs(float(row["elpd_diff"])), float(row["dse"])
        verdict = (
            "clearly worse" if diff > 4 * max(se, 1e-9) and diff > 4 else "not clearly different"
        )
        console.print(
            f"{escape(str(label))}: elpd {diff:.1f} lower than {escape(str(best))} "
            f"(SE {se:.1f}): {verdict}."
        )
    bad = table[table["k_over_0.7"] > 0]
    if len(bad):
        console.print(
            "[yellow]Some subjects have Pareto k > 0.7: LOO is unreliable for them "
            "(influential subjects); treat small differences with care.[/yellow]"
        )


def demo_summary(console: Console, study, result, out_dir, seconds: float) -> None:
    """Closing summary of `camg demo`: prevalence, convergence, files, time."""
    prev = study.prevalence()
    total = prev.loc["all subjects"]
    threshold = study.config.threshold
    status = (
        "[green]all checks pass[/green]" if result.passed else "[bold red]CHECKS FAILED[/bold red]"
    )
    console.print(
        Panel(
            f"Prevalence of deficiency (true serum Mg < {threshold:g} mmol/L): "
            f"[bold]{100 * total['mean']:.1f} %[/bold] "
            f"(90 % interval {100 * total['lo']:.1f}-{100 * total['hi']:.1f} %)\n"
            f"Convergence: {status}\n"
            f"Files: {escape(str(out_dir / 'fit.nc'))}, {escape(str(out_dir / 'scores.csv'))}, "
            f"{escape(str(out_dir / 'report.html'))}\n"
            f"Done in {seconds / 60:.1f} min.",
            title="camg demo",
        )
    )
