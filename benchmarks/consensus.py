"""Consensus Monte Carlo over shards against full NUTS on the same cohort.

Simulates a cohort of ``--subjects`` people (the model's own simulator, three sites), fits
it whole with the defaults, and fits ``--shards`` stratified shards of it, each with the
population prior raised to 1/K, as Dask tasks on a local cluster of ``--workers``
single-threaded processes (:mod:`camg_bayes.fitting.consensus`). The shards' population
draws are combined (Scott et al. 2016), and everyone is scored as a new subject against
the combined population and, for the same estimator, against the full fit's. Compares, as
``benchmarks/dask_path.py`` does for a subsample:
- each population quantity's posterior mean (difference over the full fit's SD) and
  90 % interval width (ratio);
- each subject's ``p_deficient`` (against the full fit's importance-sampled and MCMC
  values).

Writes ``benchmarks/results/consensus.md``.

Usage::

    python benchmarks/consensus.py [--subjects 2000] [--shards 4] [--workers 2] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dask_path import largest_differences, population_table

RESULTS = Path(__file__).resolve().parent / "results"


def _fit_shard(ds, weight: float, seed: int, overrides: dict):
    from camg_bayes.fitting.sample import fit

    start = time.perf_counter()
    result = fit(ds, random_seed=seed, prior_weight=weight, **overrides)
    return result, time.perf_counter() - start


def score_everyone(draws, design, threshold: float, seed: int) -> pd.DataFrame:
    """Everyone scored as a new subject against ``draws`` (the importance-sampling path)."""
    from camg_bayes.scores.scoring import NEW_CHUNK, _score_new

    rng = np.random.default_rng(seed)
    parts = []
    for start in range(0, design.n, NEW_CHUNK):
        index = np.arange(start, min(start + NEW_CHUNK, design.n))
        out = _score_new(draws, design.subset(index), threshold, rng)
        parts.append(pd.DataFrame(out, index=design.subjects[index]))
    return pd.concat(parts)


def main() -> None:
    from camg_bayes import CohortWarning, read_cohort
    from camg_bayes.draws import Draws
    from camg_bayes.fitting.consensus import combine, shards
    from camg_bayes.fitting.sample import fit
    from camg_bayes.model.build import build_model
    from camg_bayes.model.config import load_config
    from camg_bayes.model.design import build_design
    from camg_bayes.model.simulate import simulate
    from camg_bayes.parallel import cluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=2000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "consensus.md")
    parser.add_argument("--draws", type=int, help="per chain; the default fit's if not given")
    parser.add_argument("--tune", type=int, help="per chain; the default fit's if not given")
    args = parser.parse_args()
    overrides = {k: v for k, v in (("draws", args.draws), ("tune", args.tune)) if v}
    config = load_config()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        ds = read_cohort(simulate(args.subjects, random_seed=args.seed, n_sites=3).cohort)
    k = args.shards
    parts = shards(ds, k, np.random.default_rng(args.seed))
    start = time.perf_counter()
    with cluster(workers=args.workers) as client:
        futures = [
            client.submit(_fit_shard, part, 1.0 / k, args.seed + 1 + i, overrides, pure=False)
            for i, part in enumerate(parts)
        ]
        shard_fits = [f.result() for f in futures]
    shard_wall = time.perf_counter() - start
    start = time.perf_counter()
    full = fit(ds, random_seed=args.seed, **overrides)
    full_wall = time.perf_counter() - start
    model = build_model(parts[0], config, prior_weight=1.0 / k)
    combined = combine([f.tree["posterior"].to_dataset() for f, _ in shard_fits], model)
    table = population_table(full, SimpleNamespace(posterior=combined))
    design = build_design(ds, config)
    rng = np.random.default_rng(args.seed)
    n_draws = 1000
    consensus_draws = Draws.from_posterior(combined, config, source="consensus").thin(n_draws, rng)
    full_draws = full.draws(n_draws, rng=rng)
    threshold = config.threshold
    a = score_everyone(full_draws, design, threshold, args.seed)
    b = score_everyone(consensus_draws, design, threshold, args.seed)
    mcmc = full.summary["p_deficient"].to_series()
    dp = (b["p_deficient"] - a["p_deficient"]).abs()
    dp_mcmc = (b["p_deficient"] - mcmc.loc[b.index]).abs()
    noise = (a["p_deficient"] - mcmc.loc[a.index]).abs()
    z, w = table["z"].abs(), table["width_ratio"]
    divergences = [int(f.tree["sample_stats"]["diverging"].sum()) for f, _ in shard_fits]
    lines = [
        "# Consensus Monte Carlo over shards against full NUTS",
        "",
        f"Written {time.strftime('%Y-%m-%d %H:%M')} by `python benchmarks/consensus.py "
        f"--subjects {args.subjects} --shards {k} --workers {args.workers} --seed {args.seed}`: "
        f"a cohort of {args.subjects:,} from the model's own simulator (3 sites), fitted whole "
        f"with the defaults and as {k} stratified shards of about {args.subjects // k:,} "
        f"(each with the population prior raised to 1/{k}, the defaults otherwise) on "
        f"{args.workers} single-threaded Dask workers; shard draws combined by precision "
        "weights in the unconstrained space (`camg_bayes.fitting.consensus`).",
        "",
        "| measure | value | target (issue 13) |",
        "|---|---|---|",
        f"| population quantities | {len(table)} | |",
        f"| \\|mean difference\\| / full posterior SD: median, max | {z.median():.2f}, "
        f"{z.max():.2f} ({table.loc[z.idxmax(), 'quantity']}) | <= 0.2 |",
        f"| share of quantities within 0.2 SD | {(z <= 0.2).mean():.2f} | 1 |",
        f"| 90 % width, consensus / full: median, range | {w.median():.2f}, "
        f"{w.min():.2f}-{w.max():.2f} | within 20 % |",
        f"| share of widths within 20 % | {((w - 1).abs() <= 0.2).mean():.2f} | 1 |",
        f"| p_deficient \\|difference\\|, both importance-sampled: mean, 95th pct, max | "
        f"{dp.mean():.4f}, {dp.quantile(0.95):.4f}, {dp.max():.4f} | <= 0.02 |",
        f"| share of subjects within 0.02 | {(dp <= 0.02).mean():.3f} | 1 |",
        f"| p_deficient \\|difference\\| against the full fit's MCMC value: mean, 95th pct | "
        f"{dp_mcmc.mean():.4f}, {dp_mcmc.quantile(0.95):.4f} | |",
        f"| the estimators' own noise (full fit: importance vs MCMC): mean, 95th pct | "
        f"{noise.mean():.4f}, {noise.quantile(0.95):.4f} | |",
        f"| shard divergences | {', '.join(map(str, divergences))} | |",
        f"| wall: {k} shard fits on {args.workers} workers, full fit | {shard_wall:.0f} s, "
        f"{full_wall:.0f} s | |",
        f"| each shard fit | {', '.join(f'{s:.0f} s' for _, s in shard_fits)} | |",
        "",
        *largest_differences(table),
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    table.to_csv(args.out.with_suffix(".csv"), index=False)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
