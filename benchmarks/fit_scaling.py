"""Fit-time scaling: wall time, gradients per draw, ESS per second and peak memory.

For each cohort size N, a cohort is simulated (default priors, seed 1000 + N) and fitted
with the default settings (4 chains, 1000 tuning steps, 2000 draws, nutpie). Each N runs
in its own process so that peak memory (max RSS) is that of one fit. Results go to
``benchmarks/results/fit_scaling.csv`` and ``.md``.

Usage::

    python benchmarks/fit_scaling.py                 # N = 500, 1000, 2000, 5000
    python benchmarks/fit_scaling.py --sizes 500 1000

Columns: ``compile_s`` (model build and numba compilation), ``tune_s`` and ``draws_s``
(sampling wall time split by the share of gradient evaluations in each phase),
``grads_per_draw`` (mean leapfrog steps per kept draw), ``min_ess_bulk`` and
``min_ess_tail`` over the population parameters, ``min_ess_per_s`` (min bulk ESS over
sampling wall time), ``max_rhat``, ``divergences`` and ``peak_rss_gb``.
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


def run_one(n: int) -> dict:
    """Simulate and fit one cohort of ``n`` subjects in this process."""
    import numpy as np
    import nutpie

    from camg_bayes.cohort import CohortWarning, read_cohort
    from camg_bayes.diagnostics import parameter_table
    from camg_bayes.model import build_model, jitter_variables, population_parameters
    from camg_bayes.settings import DEFAULTS
    from camg_bayes.simulate import simulate

    warnings.simplefilter("ignore", CohortWarning)
    ds = read_cohort(simulate(n, random_seed=1000 + n).cohort)
    start = time.perf_counter()
    model = build_model(ds)
    compiled = nutpie.compile_pymc_model(model, jitter_rvs=jitter_variables(model))
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    trace = nutpie.sample(
        compiled,
        draws=DEFAULTS.draws,
        tune=DEFAULTS.tune,
        chains=DEFAULTS.chains,
        cores=2,
        seed=n,
        save_warmup=True,
        progress_bar=False,
    )
    sample_s = time.perf_counter() - start
    warm = trace["warmup_sample_stats"]["n_steps"].values.sum()
    kept = trace["sample_stats"]["n_steps"].values
    share_tune = warm / (warm + kept.sum())
    names = population_parameters(model)
    tree = trace
    tree.attrs["population_parameters"] = json.dumps(names)
    table = parameter_table(tree, names)
    return {
        "n_subjects": n,
        "compile_s": round(compile_s, 1),
        "tune_s": round(sample_s * share_tune, 1),
        "draws_s": round(sample_s * (1 - share_tune), 1),
        "total_s": round(compile_s + sample_s, 1),
        "grads_per_draw": round(float(kept.mean()), 1),
        "min_ess_bulk": round(float(table["ess_bulk"].min())),
        "min_ess_tail": round(float(table["ess_tail"].min())),
        "min_ess_per_s": round(float(table["ess_bulk"].min()) / sample_s, 2),
        "max_rhat": round(float(table["r_hat"].max()), 4),
        "divergences": int(trace["sample_stats"]["diverging"].values.sum()),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2),
        "n_free_dims": int(sum(np.prod(v.shape) for v in model.initial_point().values())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 5000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    import pandas as pd

    rows = []
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    RESULTS.mkdir(exist_ok=True)
    frame.to_csv(RESULTS / "fit_scaling.csv", index=False)
    header = (
        f"# Fit scaling\n\nMachine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"Python {platform.python_version()}; 4 chains on 2 cores, 1000 tune + 2000 draws, "
        f"nutpie (numba). Written {time.strftime('%Y-%m-%d %H:%M')}.\n\n"
    )
    (RESULTS / "fit_scaling.md").write_text(header + markdown_table(frame) + "\n")


def markdown_table(frame) -> str:
    """A DataFrame as a GitHub markdown table."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("|" + "---|" * len(frame.columns))
    for row in frame.itertuples(index=False):  # keeps integer columns integer
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
