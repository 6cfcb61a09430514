"""Fit-time scaling: wall time, gradients per draw, ESS per second and peak memory.

For each cohort size N, a cohort is simulated (default priors, seed 1000 + N) and fitted
by ``camg_bayes.fit`` with the default settings, exactly as a user's fit runs (same
starting values, same sampler options). Each N runs in its own process so that peak
memory (max RSS) is that of one fit. Results go to
``benchmarks/results/fit_scaling.csv`` and ``.md``.

Usage::

    python benchmarks/fit_scaling.py                 # N = 500, 1000, 2000, 5000
    python benchmarks/fit_scaling.py --sizes 1000 10000 --adaptation diag low_rank
    python benchmarks/fit_scaling.py --sizes 1000 --samplers nutpie pymc --out compare
    python benchmarks/fit_scaling.py --sizes 10000 --keep /tmp/scaling   # keep the fits

Configurations: ``--samplers`` (``nutpie``, the default, or ``pymc``: PyMC's own NUTS on
the same model, starting values and settings, through ``fit(..., sampler="pymc")``) times
``--adaptation`` (nutpie's mass matrix). The table gives each configuration's ratios to
the first at the same N (``time_ratio``: total time; ``ess_per_s_ratio``: min ESS per
second).

Columns: ``sampler``, ``adaptation`` (nutpie's mass matrix), ``compile_s`` (model build and JAX
compilation), ``sampling_s`` (warm-up and draws), ``total_s`` (with the per-subject
reduction and likelihoods), ``grads_per_draw`` (mean leapfrog steps per kept draw),
``min_ess_bulk`` and ``min_ess_tail`` over the population parameters, ``min_ess_per_s``
(min bulk ESS over sampling wall time), ``max_rhat``, ``divergences``, ``peak_rss_gb``,
``n_free_dims``, ``fit_file_mb`` (the saved compact fit) and ``postprocessing_s``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def run_one(
    n: int, adaptation: str = "diag", keep: Path | None = None, sampler: str = "nutpie"
) -> dict:
    """Simulate and fit one cohort of ``n`` subjects in this process, with ``fit()``.

    With ``keep`` (a folder), the cohort and the fit file are kept there as
    ``cohort_N.csv`` and ``fit_N_ADAPTATION.nc``.
    """
    import tempfile

    import numpy as np

    from camg_bayes import DEFAULTS, CohortWarning, fit, read_cohort, simulate
    from camg_bayes.checks.diagnostics import parameter_table

    warnings.simplefilter("ignore", CohortWarning)
    cohort = simulate(n, random_seed=1000 + n).cohort
    ds = read_cohort(cohort)
    start = time.perf_counter()
    result = fit(ds, random_seed=n, adaptation=adaptation, sampler=sampler)
    total_s = time.perf_counter() - start
    sample_s = float(result.attrs["sampling_time_s"])
    stats = result.tree["sample_stats"]
    table = parameter_table(result.posterior, result.population_names)
    population = sum(int(np.prod(result.posterior[v].shape[2:])) for v in result.population_names)
    latents = result.tree["subject_draws"].sizes["latent"]
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        cohort.to_csv(keep / f"cohort_{n}.csv", index=False)
        name = f"fit_{n}_{sampler}_{adaptation}.nc"
        size_mb = result.save(keep / name).stat().st_size / 1e6
    else:
        with tempfile.TemporaryDirectory() as folder:
            size_mb = result.save(Path(folder) / "fit.nc").stat().st_size / 1e6
    return {
        "n_subjects": n,
        "sampler": sampler,
        "adaptation": adaptation,
        "draws": f"{DEFAULTS.chains} x ({DEFAULTS.tune} + {DEFAULTS.draws})",
        "compile_s": round(float(result.attrs["compile_time_s"]), 1),
        "sampling_s": round(sample_s, 1),
        "total_s": round(total_s, 1),
        "grads_per_draw": round(float(stats["n_steps"].values.mean()), 1),
        "min_ess_bulk": round(float(table["ess_bulk"].min())),
        "min_ess_tail": round(float(table["ess_tail"].min())),
        "min_ess_per_s": round(float(table["ess_bulk"].min()) / sample_s, 2),
        "max_rhat": round(float(table["r_hat"].max()), 4),
        "divergences": int(stats["diverging"].values.sum()),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
        "n_free_dims": population + n * latents,
        "fit_file_mb": round(size_mb, 1),
        "postprocessing_s": round(float(result.attrs["postprocessing_time_s"]), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 5000])
    parser.add_argument("--adaptation", nargs="+", default=["diag"], help="diag, low_rank")
    parser.add_argument("--samplers", nargs="+", default=["nutpie"], help="nutpie, pymc")
    parser.add_argument("--out", default="fit_scaling", help="results/OUT.csv and .md")
    parser.add_argument("--keep", type=Path, help="keep each cohort and fit file in this folder")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.adaptation[0], args.keep, args.samplers[0])))
        return
    import pandas as pd

    rows = []
    for n in args.sizes:
        first = None
        for sampler in args.samplers:
            for adaptation in args.adaptation:
                command = [sys.executable, __file__, "--one", str(n)]
                command += ["--adaptation", adaptation, "--samplers", sampler]
                command += ["--keep", str(args.keep)] if args.keep else []
                out = subprocess.run(command, capture_output=True, text=True, check=True)
                row = json.loads(out.stdout.strip().splitlines()[-1])
                first = first or row
                row["time_ratio"] = round(row["total_s"] / first["total_s"], 2)
                row["ess_per_s_ratio"] = round(row["min_ess_per_s"] / first["min_ess_per_s"], 3)
                rows.append(row)
                print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    RESULTS.mkdir(exist_ok=True)
    frame.to_csv(RESULTS / f"{args.out}.csv", index=False)
    header = (
        f"# Fit scaling\n\nMachine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"Python {platform.python_version()}; `fit()` with its defaults (4 chains on 2 cores) "
        f"but the sampler and mass matrix of each row (nutpie: JAX gradient; pymc: PyMC's "
        f"own NUTS). Written {time.strftime('%Y-%m-%d %H:%M')}.\n\n"
    )
    (RESULTS / f"{args.out}.md").write_text(header + markdown_table(frame) + "\n")


def markdown_table(frame) -> str:
    """A DataFrame as a GitHub markdown table."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("|" + "---|" * len(frame.columns))
    for row in frame.itertuples(index=False):  # keeps integer columns integer
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
