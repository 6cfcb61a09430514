"""Cost of one log density and gradient of the model, as nutpie's JAX backend computes it.

Builds the default model for a cohort (the shipped example unless ``--cohort``), prepares
it as the fit does (:func:`camg_bayes.fitting.sample.for_jax`, and XLA on one thread, as
importing that module sets), compiles the JAX log density and its gradient at the
model's initial point, and times ``--calls`` evaluations, ``--repeats`` times. Appends
one line to ``--out`` (``benchmarks/results/gradient_timing.md`` by default), with the
code it ran: run it from different checkouts (``PYTHONPATH=OTHER/src``) to compare
formulations on the same cohort.

``--drop COLUMN ...`` blanks measurement columns first (every reading of them becomes
missing), so that each measurement's share of the cost can be read off against the full
cohort's line.

Usage::

    python benchmarks/gradient_timing.py [--cohort FILE.csv] [--drop COLUMN ...]
        [--calls 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import camg_bayes
from camg_bayes import CohortWarning, example_cohort_path, read_cohort
from camg_bayes.fitting.sample import for_jax  # sets XLA_FLAGS before JAX starts
from camg_bayes.model.build import build_model

RESULTS = Path(__file__).resolve().parent / "results"


def gradient_ms(cohort_path: Path, calls: int, repeats: int) -> tuple[float, list[float]]:
    """Compile time (s) and milliseconds per log density and gradient, one per repeat."""
    import jax
    from pymc.sampling.jax import get_jaxified_logp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        model = for_jax(build_model(read_cohort(cohort_path)))
    logp = get_jaxified_logp(model)
    point = model.initial_point()
    values = [point[v.name] for v in model.value_vars]
    value_and_grad = jax.jit(
        jax.value_and_grad(lambda *x: logp(x), argnums=tuple(range(len(values))))
    )
    start = time.perf_counter()
    jax.block_until_ready(value_and_grad(*values))
    compile_s = time.perf_counter() - start
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            result = value_and_grad(*values)
        jax.block_until_ready(result)
        out.append(1000.0 * (time.perf_counter() - start) / calls)
    return compile_s, out


def without(cohort_path: Path, columns: list[str], folder: Path) -> Path:
    """A copy of the cohort with ``columns`` blanked (missing for everyone)."""
    frame = pd.read_csv(cohort_path)
    unknown = sorted(set(columns) - set(frame.columns))
    if unknown:
        raise SystemExit(f"{cohort_path}: no column(s) {', '.join(unknown)} to drop")
    frame[columns] = np.nan
    path = folder / f"{cohort_path.stem}_without_{'_'.join(columns)}.csv"
    frame.to_csv(path, index=False)
    return path


def _code() -> str:
    """The checkout the package was imported from, and its git commit."""
    root = Path(camg_bayes.__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head = "no git"
    return f"{root} ({head})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort", type=Path, default=example_cohort_path())
    parser.add_argument("--drop", nargs="+", default=[], metavar="COLUMN")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS / "gradient_timing.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cohort = without(args.cohort, args.drop, Path(folder)) if args.drop else args.cohort
        compile_s, ms = gradient_ms(cohort, args.calls, args.repeats)
    label = args.cohort.name + (f" without {', '.join(args.drop)}" if args.drop else "")
    line = (
        f"| {time.strftime('%Y-%m-%d %H:%M')} | {_code()} | {label} | "
        f"{compile_s:.1f} | {' / '.join(f'{m:.2f}' for m in ms)} |\n"
    )
    if not args.out.exists():
        args.out.write_text(
            "# Log density and gradient cost (JAX, one core)\n\n"
            "Written by `python benchmarks/gradient_timing.py`.\n\n"
            "| when | code | cohort | compile + first call, s | ms per gradient, each repeat |\n"
            "|---|---|---|---|---|\n"
        )
    with args.out.open("a") as handle:
        handle.write(line)
    print(line, end="")


if __name__ == "__main__":
    main()
