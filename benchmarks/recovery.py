"""Parameter recovery and coverage on the three simulated designs of tests/test_recovery.py.

Writes, per design, ``benchmarks/results/recovery_<design>.csv`` (every population
parameter: truth, posterior mean, 90 % interval, covered, z, informed) and a summary
``benchmarks/results/recovery.md``.

Usage::

    python benchmarks/recovery.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fitting.test_recovery import DESIGNS, fit_design

from camg_bayes import diagnose, parameter_recovery, subject_coverage

RESULTS = Path(__file__).resolve().parent / "results"
SEEDS = {"full": 101, "half_without_serum_mg": 102, "no_pth": 103}


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    lines = [f"# Parameter recovery ({time.strftime('%Y-%m-%d')})", ""]
    for name in DESIGNS:
        start = time.perf_counter()
        sim, tree = fit_design(name, SEEDS[name])
        wall = time.perf_counter() - start
        recovery = parameter_recovery(tree, json.loads(json.dumps(sim.params)))
        recovery.to_csv(RESULTS / f"recovery_{name}.csv")
        table = diagnose(tree).table
        informed = recovery[recovery["informed"]]
        missed = informed[~informed["covered"]]
        coverage = subject_coverage(tree, sim.truth)
        lines += [
            f"## {name} (seed {SEEDS[name]}, 1000 subjects, wall {wall:.0f} s)",
            "",
            f"- population parameters: {len(recovery)}, informed by data: {len(informed)}",
            f"- informed 90 % intervals covering the truth: {informed['covered'].sum()}"
            f"/{len(informed)} ({100 * informed['covered'].mean():.0f} %); "
            f"largest |z| {informed['z'].abs().max():.2f} ({informed['z'].abs().idxmax()})",
            f"- missed: {', '.join(f'{p} (z={z:.2f})' for p, z in missed['z'].items()) or 'none'}",
            f"- not informed (posterior SD > half the prior SD): "
            f"{', '.join(recovery.index[~recovery['informed']]) or 'none'}",
            f"- subject 90 % interval coverage of true serum Mg: {100 * coverage:.1f} %",
            f"- max R-hat {table['r_hat'].max():.4f} ({table['r_hat'].idxmax()}); min bulk ESS "
            f"{table['ess_bulk'].min():.0f} ({table['ess_bulk'].idxmin()}); divergences "
            f"{int(tree.tree['sample_stats']['diverging'].sum())}",
            "",
        ]
        print("\n".join(lines[-9:]), flush=True)
    (RESULTS / "recovery.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
