"""Simulation-based calibration: rank bookkeeping, the uniformity test, and a real Dask run."""

import json

import numpy as np
import pandas as pd

from camg_bayes.checks.sbc import (
    rank_of,
    simulation_seed,
    summary_table,
    thin_evenly,
    uniformity,
)
from camg_bayes.cli import main


def test_ranks_count_draws_below_the_truth():
    rng = np.random.default_rng(0)
    draws = np.arange(10.0)
    assert rank_of(-1.0, draws, rng) == 0 and rank_of(99.0, draws, rng) == 10
    assert rank_of(4.5, draws, rng) == 5
    assert {rank_of(4.0, draws, rng) for _ in range(50)} == {4, 5}  # a tie: either side
    assert len(thin_evenly(np.arange(1000), 99)) == 99
    assert simulation_seed(1, 3) == simulation_seed(1, 3) != simulation_seed(1, 4)


def test_uniform_ranks_pass_and_biased_ranks_fail():
    rng = np.random.default_rng(1)
    uniform = rng.integers(0, 100, size=300)
    assert uniformity(uniform, 99, prob=0.95, rng=rng)["passed"]
    # an overconfident posterior puts the truth in the tails
    tails = np.concatenate([rng.integers(0, 10, 120), rng.integers(90, 100, 120), uniform[:60]])
    assert not uniformity(tails, 99, prob=0.95, rng=rng)["passed"]
    # a biased posterior ranks the truth high
    assert not uniformity(np.clip(uniform + 25, 0, 99), 99, prob=0.95, rng=rng)["passed"]


def test_family_wise_test_separates_chance_from_bias():
    """Of 40 calibrated quantities a few leave their 95 % band by chance; none fail at the
    Bonferroni level. A posterior biased by a fifth of the rank range fails both."""
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({f"q{i}": rng.integers(0, 100, 200) for i in range(40)})
    frame["biased"] = np.clip(rng.integers(0, 100, 200) + 20, 0, 99)
    table, _ = summary_table(frame, np.array([]), 99, prob=0.95, seed=4)
    calibrated = table.drop(index="biased")
    assert calibrated["passed_familywise"].all()
    assert (calibrated["mean_rank_z"].abs() < 3.5).all()
    assert not table.loc["biased", "passed"] and not table.loc["biased", "passed_familywise"]
    assert table.loc["biased", "mean_rank_z"] > 5


def test_sbc_on_a_local_dask_cluster(tmp_path, capsys):
    """Two real simulations, each fitted in its own single-threaded worker process."""
    argv = ["sbc", "--simulations", "2", "--subjects", "25", "--out", str(tmp_path)]
    argv += ["--draws", "40", "--tune", "60", "--chains", "1", "--workers", "2", "--seed", "3"]
    code = main(argv)
    printed = capsys.readouterr().out
    assert code in (0, 1), printed  # 1: a quantity failed (two simulations prove nothing)
    flowing = " ".join(printed.split())  # the console wraps long lines
    assert "expected by chance" in flowing and "family-wise" in flowing
    saved = json.loads((tmp_path / "sbc_ranks.json").read_text())
    records = saved["records"]
    assert [r["index"] for r in records] == [0, 1]
    assert len({r["seed"] for r in records}) == 2
    fitted = [r for r in records if not r["error"]]
    assert fitted, records
    for record in fitted:
        ranks = np.array(list(record["ranks"].values()))
        assert ((ranks >= 0) & (ranks <= 40)).all()  # 1 chain x 40 draws < 99: all kept
        assert "mg_status_ref[0]" in record["ranks"] and "mg_ca_competition" in record["ranks"]
        assert sum(k.startswith("serum_mg_true[") for k in record["ranks"]) == 5
    table = pd.read_csv(tmp_path / "sbc_table.csv")
    assert {"quantity", "n", "mean_rank", "mean_rank_z", "passed", "passed_familywise"} <= set(
        table.columns
    )
    assert (tmp_path / "sbc_ecdf.png").read_bytes()[:4] == b"\x89PNG"
