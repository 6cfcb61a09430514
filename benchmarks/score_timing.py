"""Time to score new subjects against a loaded fit (importance sampling, no refit).

Uses ``--fit FIT.nc`` (e.g. ``out/fit.nc`` from ``make demo``); without it, fits the
example cohort with the defaults first. Twenty subjects of the example cohort are renamed
so that they count as new, and scored one at a time. Results go to
``benchmarks/results/score_timing.md``.

Usage::

    python benchmarks/score_timing.py [--fit out/fit.nc]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

from camg_bayes import CohortWarning, Fit, Study, example_cohort_path, read_cohort, score
from camg_bayes.cohort import subject_table

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", type=Path)
    args = parser.parse_args()
    warnings.simplefilter("ignore", CohortWarning)
    if args.fit is None:
        study = Study.from_cohort(example_cohort_path())
        study.fit(random_seed=1)
        args.fit = RESULTS / "example_fit.nc"
        study.save(args.fit)
    start = time.perf_counter()
    tree = Fit.load(args.fit)
    load_s = time.perf_counter() - start
    table = subject_table(read_cohort(example_cohort_path()))
    chosen = table["subject_id"].drop_duplicates().iloc[:20]
    times = []
    for subject in chosen:
        rows = table[table["subject_id"] == subject].assign(subject_id=f"new_{subject}")
        person = read_cohort(rows)
        start = time.perf_counter()
        result = score(person, tree, random_seed=1)
        times.append(time.perf_counter() - start)
        assert result["method"].iloc[0] == "importance sampling"
    times = np.array(times)
    text = (
        "# New-subject scoring time\n\n"
        f"Fit: {args.fit} ({tree.design.n} subjects); load {load_s:.2f} s.\n\n"
        f"Per new subject (20 subjects, 1000 population draws x (16 pilot + 48) latent samples): "
        f"median {np.median(times):.3f} s, max {times.max():.3f} s "
        f"(includes building the population from the posterior and the prior probability).\n"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "score_timing.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
