"""Time and accuracy of scoring new subjects against a loaded fit (importance sampling).

Uses ``--fit FIT.nc`` (e.g. ``out/fit.nc`` from ``make demo``); without it, fits the
example cohort with the defaults first. Three measurements, written to
``benchmarks/results/score_timing.md``:

* **one at a time**: twenty subjects of the fit's cohort, renamed so that they count as
  new, each scored by its own call;
* **batch**: ``--batch`` subjects (the fit's cohort renamed, repeated as needed) in one
  call, per-person cost and the implied time for 100,000;
* **accuracy**: the fit's own subjects scored as new, against their MCMC ``p_deficient``
  (which has its own Monte Carlo error, about 0.01 at p = 0.5).

Usage::

    python benchmarks/score_timing.py [--fit out/fit.nc] [--batch 2000] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from camg_bayes import CohortWarning, Fit, Study, example_cohort_path, read_cohort, score
from camg_bayes.cohort import subject_table
from camg_bayes.scores.scoring import MAX_SAMPLES, P_MC_SE, SERUM_MC_SE

RESULTS = Path(__file__).resolve().parent / "results"


def renamed(table: pd.DataFrame, n: int) -> pd.DataFrame:
    """The first ``n`` subjects of a cohort table (repeated as needed), with new ids."""
    ids = table["subject_id"].drop_duplicates().to_numpy()
    parts = []
    for k in range(int(np.ceil(n / len(ids)))):
        chosen = ids[: n - k * len(ids)]
        part = table[table["subject_id"].isin(chosen)]
        parts.append(part.assign(subject_id="new_" + str(k) + "_" + part["subject_id"].astype(str)))
    return pd.concat(parts, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", type=Path)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=RESULTS / "score_timing.md")
    args = parser.parse_args()
    warnings.simplefilter("ignore", CohortWarning)
    if args.fit is None:
        study = Study.from_cohort(example_cohort_path())
        study.fit(random_seed=1)
        args.fit = RESULTS / "example_fit.nc"
        study.save(args.fit)
    start = time.perf_counter()
    fit = Fit.load(args.fit)
    load_s = time.perf_counter() - start
    table = subject_table(fit.cohort)
    ids = table["subject_id"].drop_duplicates()
    times = []
    for subject in ids.iloc[:20]:
        person = read_cohort(renamed(table[table["subject_id"] == subject], 1))
        start = time.perf_counter()
        result = score(person, fit, random_seed=1)
        times.append(time.perf_counter() - start)
        assert result["method"].iloc[0] == "importance sampling"
    times = np.array(times)
    batch = read_cohort(renamed(table, args.batch))
    start = time.perf_counter()
    score(batch, fit, random_seed=2)
    per_person = (time.perf_counter() - start) / args.batch
    own = renamed(table, len(ids))
    scored = score(read_cohort(own), fit, random_seed=3)
    mcmc = pd.Series(
        fit.summary["p_deficient"].values, index=["new_0_" + s for s in fit.design.subjects]
    )
    gap = np.abs(scored["p_deficient"].to_numpy() - mcmc.reindex(scored["subject_id"]).to_numpy())
    text = (
        "# New-subject scoring: time and accuracy\n\n"
        f"Fit: {args.fit} ({fit.design.n} subjects, {fit.n_samples} draws); load "
        f"{load_s:.2f} s. Written {time.strftime('%Y-%m-%d %H:%M')} by "
        f"`python benchmarks/score_timing.py --fit {args.fit} --batch {args.batch}`.\n\n"
        "Method: a pilot of one latent sample at 250 of the 1,000 population draws, then one "
        "sample per draw and subject from the sampler's own coordinates adapted per subject "
        "(`camg_bayes.draws.importance`), a second per draw for the subjects whose "
        f"`p_deficient` has a Monte Carlo SE above {P_MC_SE} after the first, and up to "
        f"{MAX_SAMPLES} for those whose mean true serum Mg has one above {SERUM_MC_SE} "
        "mmol/L.\n\n"
        f"- One at a time (20 subjects, one call each): median {np.median(times):.3f} s, max "
        f"{times.max():.3f} s, including the population from the posterior and the prior "
        "probability.\n"
        f"- Batch of {args.batch} in one call: {1000 * per_person:.1f} ms per person, so "
        f"100,000 would take {100_000 * per_person / 60:.1f} min in one process.\n"
        f"- Accuracy, the fit's {len(ids)} subjects scored as new against their MCMC "
        f"`p_deficient`: mean |difference| {gap.mean():.4f}, 95th percentile "
        f"{np.quantile(gap, 0.95):.4f}, largest {gap.max():.4f}; "
        f"{np.mean(scored['ess'] > 1.4 * np.median(scored['ess'])):.0%} of them had more "
        "than 1.4 times the median ESS (a second sample per draw).\n"
    )
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
