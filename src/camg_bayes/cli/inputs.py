"""What several commands share: the run's seed, a subsample, scoring inputs, tables."""

from __future__ import annotations

from pathlib import Path

from camg_bayes.cli.app import _captured, out
from camg_bayes.files import write_csv
from camg_bayes.report import console as display


def announce_seed(seed: int | None) -> int:
    """Fix the run's seed (drawn if not given) and print it, so the run can be repeated."""
    from camg_bayes.seeds import resolve

    seed = resolve(seed)
    out.print(f"Seed {seed}")
    return seed


def write_table(table, path: Path) -> None:
    """Write a result table as CSV, six significant digits."""
    write_csv(table, path, float_format="%.6g")


def scoring_inputs(cohort: Path, fit_file: Path | None, config: Path | None, seed):
    """The fit (or None), the cohort, the prior configuration (without a fit) and the seed."""
    from camg_bayes.cohort import load_cohort
    from camg_bayes.fitting.fitfile import Fit
    from camg_bayes.model.config import load_config

    # a --config given beside a fit must be the fit's own
    model_config = None if config is None and fit_file is not None else load_config(config)
    fitted = None if fit_file is None else Fit.load(fit_file, model_config)
    ds, messages = _captured(load_cohort, cohort)
    display.warnings_block(out, messages)
    model_config = None if fitted is not None else model_config
    if fitted is not None and not fitted.has_data:
        out.print(
            f"{fit_file} was written with --no-data: it holds no subjects, so every subject of "
            f"{cohort} is scored as new against its fitted population."
        )
    return ds, fitted, model_config, announce_seed(seed)


def stratified_fit_cohort(ds, n: int, settings):
    """A stratified subsample of ``n`` subjects (its seed resolved and kept in its attrs)."""
    from camg_bayes import seeds
    from camg_bayes.scores.distributed import stratified_subsample

    seed = seeds.sampler_seed(settings.random_seed)
    sub = stratified_subsample(ds, n, seeds.generator(seed, "subsample"))
    sub.attrs["seed"] = seed
    out.print(
        f"The population is fitted on {sub.sizes['subject']} of {ds.sizes['subject']} subjects "
        "(stratified by sex and site); score everyone with camg score --fit."
    )
    return sub
