"""Calibration of p_deficient and new-subject scoring against a full refit (slow: real fits).

Three cohorts of 1,000 subjects from `camg simulate` (seeds 201-203) are fitted with the
defaults and scored. Deciles of p_deficient are pooled over the three cohorts (300
subjects per decile). For held-out scoring, the first cohort is refitted without 100 of
its subjects, who are then scored as new subjects against that fit's population and
compared with their in-fit scores from the full fit.
"""

import time
import warnings

import numpy as np
import pytest

from camg_bayes.checks.calibration import (
    brier_score,
    calibration_table,
    reliability_table,
    serum_only_rule,
)
from camg_bayes.cohort import CohortWarning, read_cohort
from camg_bayes.fitting.sample import fit
from camg_bayes.model.simulate import simulate
from camg_bayes.scores.scoring import score

pytestmark = pytest.mark.slow
SEEDS = (201, 202, 203)


def _read(frame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        return read_cohort(frame)


@pytest.fixture(scope="module")
def cohorts():
    out = []
    for seed in SEEDS:
        sim = simulate(1000, random_seed=seed)
        ds = _read(sim.cohort)
        tree = fit(ds, random_seed=seed)
        scores = score(ds, tree, random_seed=seed)
        truth = sim.truth.set_index("subject_id").loc[scores["subject_id"]]
        out.append((sim, ds, tree, scores, truth))
    return out


def test_all_subjects_scored_from_posterior_draws(cohorts):
    for _, _, _, scores, _ in cohorts:
        assert scores.attrs["n_in_fit"] == 1000
        assert (scores["method"] == "posterior draws").all()


def test_deciles_of_p_deficient_are_calibrated(cohorts):
    p = np.concatenate([c[3]["p_deficient"].to_numpy() for c in cohorts])
    y = np.concatenate([c[4]["deficient"].to_numpy() for c in cohorts])
    table = calibration_table(p, y, bins=10)
    print(table.to_string())
    assert table["difference"].abs().max() <= 0.07


def test_fixed_width_bins_of_p_deficient_are_calibrated(cohorts):
    """Deciles of a cohort with ~9 % prevalence crowd near p = 0; bins of width 0.1 test the
    range where decisions are made. Every bin with 20 or more subjects must lie within
    3 binomial SE of its mean prediction."""
    p = np.concatenate([c[3]["p_deficient"].to_numpy() for c in cohorts])
    y = np.concatenate([c[4]["deficient"].to_numpy() for c in cohorts])
    table = reliability_table(p, y, width=0.1)
    print(table.to_string())
    populated = table[table["n"] >= 20]
    assert len(populated) >= 5
    assert populated["z"].abs().max() <= 3.0, populated


def test_brier_score_beats_serum_mg_alone(cohorts):
    for _, ds, _, scores, truth in cohorts:
        y = truth["deficient"].to_numpy()
        model = brier_score(scores["p_deficient"], y)
        rule = brier_score(serum_only_rule(ds, 0.75), y)
        print(f"Brier: model {model:.4f}, serum Mg alone {rule:.4f}")
        assert model < rule


@pytest.fixture(scope="module")
def held_out(cohorts):
    _, ds, _, full_scores, _ = cohorts[0]
    subjects = ds["subject"].values
    rng = np.random.default_rng(0)
    new = np.sort(rng.choice(subjects, 100, replace=False))
    kept = ds.sel(subject=[s for s in subjects if s not in set(new)])
    kept.attrs = dict(ds.attrs)
    from camg_bayes.cohort import data_hash

    kept.attrs["data_hash"] = data_hash(kept)
    tree = fit(kept, random_seed=211)
    start = time.perf_counter()
    scores = score(ds.sel(subject=new), tree, random_seed=5)
    per_subject = (time.perf_counter() - start) / len(new)
    reference = full_scores.set_index("subject_id").loc[new]
    return scores.set_index("subject_id").loc[new], reference, per_subject


def test_new_subjects_agree_with_a_refit_including_them(held_out):
    scores, reference, per_subject = held_out
    assert (scores["method"] == "importance sampling").all()
    mad = float(np.mean(np.abs(scores["p_deficient"] - reference["p_deficient"])))
    print(f"mean |p_new - p_refit| = {mad:.4f}; {per_subject:.3f} s per new subject")
    assert mad < 0.05
    assert np.corrcoef(scores["serum_mg_true_mean"], reference["serum_mg_true_mean"])[0, 1] > 0.98
