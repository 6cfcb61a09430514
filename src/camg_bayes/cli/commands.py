"""One ``camg`` command per library verb, with no logic of its own."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from camg_bayes.cli.app import _captured, app, out
from camg_bayes.cli.inputs import scoring_inputs, stratified_fit_cohort, write_table
from camg_bayes.cli.options import (
    ChainsOption,
    ConfigOption,
    DrawsOption,
    FitOption,
    SchedulerOption,
    SeedOption,
    ThresholdOption,
    TuneOption,
    VariantOption,
    number,
)
from camg_bayes.files import ensure_writable
from camg_bayes.fitting.settings import DEFAULTS
from camg_bayes.report import console as display


@app.command()
def validate(
    cohort: Annotated[
        list[Path],
        typer.Argument(help="Cohort .csv/.parquet, or NHANES .XPT files or their directory."),
    ],
) -> None:
    """Validate a cohort, convert its units and print a summary."""
    from camg_bayes.cohort import load_cohort

    ds, messages = _captured(load_cohort, cohort if len(cohort) > 1 else cohort[0])
    display.cohort_summary(out, ds, messages)


def _parse_sets(values: list[str] | None) -> dict:
    """Parse ``--set name=value`` options into ``{name: float or list}``."""
    out = {}
    for item in values or []:
        name, sep, text = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--set expects name=value, got {item!r}")
        try:
            parts = [float(v) for v in text.split(",")]
        except ValueError:
            raise typer.BadParameter(
                f"--set {name}: {text!r} is not a number (or F,M pair)"
            ) from None
        out[name.strip()] = parts[0] if len(parts) == 1 else parts
    return out


@app.command()
def simulate(
    subjects: Annotated[int, typer.Option("--subjects", min=1, help="Number of subjects.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")],
    out_path: Annotated[Path, typer.Option("--out", help="Cohort CSV to write.")],
    truth: Annotated[
        Path, typer.Option("--truth", help="Truth CSV to write (parameters go beside it as .json).")
    ],
    sites: Annotated[
        int, typer.Option("--sites", min=0, help="Number of study sites (0: no site column).")
    ] = 3,
    config: ConfigOption = None,
    variant: VariantOption = "full",
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Override a population parameter, e.g. --set mg_ca_competition=1.0"
        ),
    ] = None,
) -> None:
    """Simulate a synthetic cohort with known truth from the model's physiology."""
    from camg_bayes.model.config import load_config
    from camg_bayes.model.simulate import simulate as run_simulation

    model_config = load_config(config, variant=variant)
    try:
        sim = run_simulation(
            subjects, random_seed=seed, config=model_config, params=_parse_sets(set_), n_sites=sites
        )
    except KeyError as exc:
        raise typer.BadParameter(f"--set: unknown parameter {exc}") from None
    json_path = sim.save(out_path, truth)
    prevalence = float(sim.truth["deficient"].mean())
    display.simulation_summary(out, sim, out_path, truth, json_path, prevalence)


@app.command()
def fit(
    cohort: Annotated[Path, typer.Argument(help="Cohort .csv/.parquet (or NHANES directory).")],
    out_path: Annotated[Path, typer.Option("--out", help="Fit file to write (.nc, or .zarr).")],
    draws: DrawsOption = DEFAULTS.draws,
    tune: TuneOption = DEFAULTS.tune,
    chains: ChainsOption = DEFAULTS.chains,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (recorded).")] = None,
    target_accept: Annotated[
        float, typer.Option("--target-accept", min=0.5, max=0.999, help="NUTS target acceptance.")
    ] = DEFAULTS.target_accept,
    config: ConfigOption = None,
    variant: VariantOption = "full",
    keep_all_draws: Annotated[
        bool,
        typer.Option(
            "--keep-all-draws",
            help="Keep every draw of every subject (a much larger file); by default the "
            "fit keeps per-subject summaries and a thinned set of subject draws.",
        ),
    ] = False,
    scheduler: SchedulerOption = None,
    subsample: Annotated[
        int | None,
        typer.Option(
            "--subsample",
            min=50,
            help="With --scheduler: fit the population on this many subjects, stratified by "
            "sex and site (then score everyone with camg score --scheduler).",
        ),
    ] = None,
    no_data: Annotated[
        bool,
        typer.Option(
            "--no-data",
            help="Write a fit without the cohort, subject ids or observed values, to share "
            "outside the study (score and whatif then need the cohort; all are new).",
        ),
    ] = False,
) -> None:
    """Fit the model with NUTS (nutpie), save the fit and print its diagnostics."""
    from camg_bayes.checks.diagnostics import diagnose
    from camg_bayes.cohort import load_cohort
    from camg_bayes.fitting.sample import fit as run_fit
    from camg_bayes.fitting.settings import SamplerSettings
    from camg_bayes.model.config import load_config

    ensure_writable(out_path)
    model_config = load_config(config, variant=variant)
    ds, messages = _captured(load_cohort, cohort)
    display.warnings_block(out, messages)
    settings = SamplerSettings(
        draws=draws, tune=tune, chains=chains, random_seed=seed, target_accept=target_accept
    )
    out.print(
        f"Fitting {ds.sizes['subject']} subjects, variant '{variant}', {chains} chains x "
        f"({tune} tune + {draws} draws); compiling the model first..."
    )
    if subsample is not None:
        ds = stratified_fit_cohort(ds, subsample, settings)
        settings = replace(settings, random_seed=ds.attrs["seed"])
    if scheduler:
        from camg_bayes.parallel import cluster
        from camg_bayes.scores.distributed import fit_on_cluster

        out.print(f"The fit runs as a task on Dask ({scheduler}).")
        with cluster(scheduler) as client:
            result = fit_on_cluster(ds, model_config, settings, client, keep_all_draws)
    else:
        result, _ = _captured(
            run_fit,
            ds,
            model_config,
            settings=settings,
            progressbar=sys.stdout.isatty(),
            keep_all_draws=keep_all_draws,
        )
    (result.without_data() if no_data else result).save(out_path)
    out.print(
        f"Saved {out_path} (compile {result.attrs['compile_time_s']:.0f} s, "
        f"sampling {result.attrs['sampling_time_s']:.0f} s, seed {result.attrs['random_seed']})"
    )
    display.diagnostics(out, diagnose(result), loud=True)


@app.command()
def check(fit_file: Annotated[Path, typer.Argument(help="A fit written by camg fit.")]) -> None:
    """Print convergence diagnostics; exit 0 when every check passes, 1 otherwise."""
    from camg_bayes.checks.diagnostics import diagnose
    from camg_bayes.fitting.fitfile import Fit

    result = diagnose(Fit.load(fit_file))
    display.diagnostics(out, result, table=True)
    if not result.passed:
        raise typer.Exit(1)


@app.command()
def score(
    cohort: Annotated[Path, typer.Argument(help="Cohort to score (.csv/.parquet).")],
    out_path: Annotated[Path, typer.Option("--out", help="Scores CSV to write.")],
    fit_file: FitOption = None,
    threshold: ThresholdOption = None,
    draws: Annotated[
        int, typer.Option("--draws", min=100, help="Population draws for new subjects.")
    ] = 1000,
    seed: SeedOption = None,
    config: ConfigOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """Probability that each subject's true serum Mg is below the threshold."""
    from camg_bayes.scores.scoring import score as run_score

    ensure_writable(out_path)
    ds, tree, model_config, seed = scoring_inputs(cohort, fit_file, config, seed)
    options = {"threshold": threshold, "config": model_config, "n_draws": draws}
    if scheduler:
        from camg_bayes.parallel import cluster
        from camg_bayes.scores.distributed import score_on_cluster

        out.print(f"Scoring {ds.sizes['subject']} subjects in chunks on Dask ({scheduler})...")
        with cluster(scheduler) as client:
            table = score_on_cluster(ds, fit_file, client, random_seed=seed, **options)
    else:
        table, _ = _captured(run_score, ds, tree, random_seed=seed, **options)
    write_table(table, out_path)
    display.score_summary(out, table, out_path)


@app.command()
def whatif(
    cohort: Annotated[Path, typer.Argument(help="Cohort holding the subjects (.csv/.parquet).")],
    out_path: Annotated[Path, typer.Option("--out", help="What-if CSV to write.")],
    fit_file: FitOption = None,
    subject: Annotated[
        list[str] | None,
        typer.Option("--subject", help="Subject to include (repeatable; default all)."),
    ] = None,
    add_mg: number("--add-mg", 0, "Add a Mg supplement, mg/d.") = 0.0,
    add_ca: number("--add-ca", 0, "Add a Ca supplement, mg/d.") = 0.0,
    timing: Annotated[
        str | None,
        typer.Option("--timing", help="Take Ca and Mg supplements 'together' or 'apart'."),
    ] = None,
    diet_mg_factor: number("--diet-mg-factor", 0.01, "Scale dietary Mg.") = 1.0,
    diet_ca_factor: number("--diet-ca-factor", 0.01, "Scale dietary Ca.") = 1.0,
    ca_mg_ratio: number("--ca-mg-ratio", 0.1, "Add Mg until total Ca:Mg <= this ratio.") = None,
    threshold: ThresholdOption = None,
    draws: Annotated[int, typer.Option("--draws", min=100, help="Draws per subject.")] = 1000,
    seed: SeedOption = None,
    config: ConfigOption = None,
) -> None:
    """Predict the steady-state effect of a supplement, timing or diet change."""
    from camg_bayes.scores.whatif import Regimen
    from camg_bayes.scores.whatif import whatif as run_whatif

    regimen = Regimen(add_mg, add_ca, timing, diet_mg_factor, diet_ca_factor, ca_mg_ratio)
    ensure_writable(out_path)
    ds, tree, model_config, seed = scoring_inputs(cohort, fit_file, config, seed)
    table, _ = _captured(
        run_whatif,
        ds,
        regimen,
        tree,
        subjects=subject,
        threshold=threshold,
        config=model_config,
        n_draws=draws,
        random_seed=seed,
    )
    write_table(table, out_path)
    display.whatif_summary(out, table, out_path, population_is_prior=tree is None)


@app.command()
def report(
    fit_file: Annotated[Path, typer.Argument(help="A fit written by camg fit.")],
    out_path: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    threshold: ThresholdOption = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Random seed (default: the fit's).")
    ] = None,
) -> None:
    """Write a self-contained HTML report: data, convergence, checks, prevalence, subjects."""
    from camg_bayes.fitting.fitfile import Fit
    from camg_bayes.report.build import write_report

    ensure_writable(out_path)
    fitted = Fit.load(fit_file)
    out.print("Running predictive checks and scoring for the report...")
    path, _ = _captured(write_report, fitted, out_path, threshold=threshold, random_seed=seed)
    out.print(f"Report -> {path} ({path.stat().st_size / 1e6:.1f} MB, self-contained)")


@app.command()
def compare(
    fit_files: Annotated[list[Path], typer.Argument(help="Two or more fits of the same cohort.")],
) -> None:
    """Compare model variants by PSIS-LOO (leave one subject out)."""
    from camg_bayes.checks.loo import compare as run_compare
    from camg_bayes.fitting.fitfile import Fit

    if len(fit_files) < 2:
        raise typer.BadParameter("give at least two fit files")
    fits = {path.stem: Fit.load(path) for path in fit_files}
    table, _ = _captured(run_compare, fits)
    display.comparison(out, table)


@app.command()
def demo(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Directory for fit.nc, scores.csv, report.html.")
    ] = Path("out"),
    cohort: Annotated[
        Path | None, typer.Option("--cohort", help="Cohort to use instead of the shipped example.")
    ] = None,
    draws: DrawsOption = DEFAULTS.draws,
    tune: TuneOption = DEFAULTS.tune,
    chains: ChainsOption = DEFAULTS.chains,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 20261125,
) -> None:
    """The main job: validate, fit, diagnose, check, score and report on the example cohort."""
    import time

    from camg_bayes.fitting.settings import SamplerSettings
    from camg_bayes.study import Study, example_cohort_path

    start = time.perf_counter()
    for name in ("fit.nc", "scores.csv", "report.html"):
        ensure_writable(out_dir / name)
    source = cohort or example_cohort_path()
    out.print(f"[bold]1/6 Validate[/bold] {source}")
    study, messages = _captured(Study.from_cohort, source, seed=seed)
    display.cohort_summary(out, study.cohort, messages)
    out.print(f"[bold]2/6 Fit[/bold] {chains} chains x ({tune} tune + {draws} draws), nutpie NUTS")
    settings = SamplerSettings(draws=draws, tune=tune, chains=chains, random_seed=seed)
    _captured(study.fit, settings, progressbar=sys.stdout.isatty())
    study.save(out_dir / "fit.nc")
    out.print("[bold]3/6 Diagnostics[/bold]")
    result = study.diagnose()
    display.diagnostics(out, result, loud=True)
    out.print("[bold]4/6 Posterior predictive checks[/bold]")
    check_result, _ = _captured(study.check)
    flagged = check_result.statistics[check_result.statistics["flag"]]
    pit = check_result.pit_statistics
    pit_flagged = pit[pit["flag"]]
    out.print(
        f"{len(check_result.statistics)} test statistics, {len(flagged)} flagged; "
        f"LOO-PIT departs from uniform for {len(pit_flagged)} of {len(pit)} measurements"
        + "".join(f"\n  ! {escape(c)}" for c in [*flagged["comment"], *pit_flagged["comment"]])
    )
    out.print("[bold]5/6 Score every subject[/bold]")
    scores, _ = _captured(study.score)
    write_table(scores, out_dir / "scores.csv")
    out.print("[bold]6/6 Report[/bold]")
    _captured(study.write_report, out_dir / "report.html")
    display.demo_summary(out, study, result, out_dir, time.perf_counter() - start)
