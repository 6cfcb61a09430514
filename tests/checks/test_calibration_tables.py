"""Calibration tables and Brier score on synthetic outcomes (fast; no fitting)."""

import numpy as np
import pytest

from camg_bayes.checks.calibration import brier_score, calibration_table, reliability_table


def _outcomes(p, seed=0):
    return np.random.default_rng(seed).random(len(p)) < p


def test_calibrated_predictions_give_small_z_in_every_fixed_width_bin():
    p = np.random.default_rng(1).beta(0.5, 3.0, 20_000)
    table = reliability_table(p, _outcomes(p))
    assert table["n"].sum() == len(p)
    assert table["lo"].min() == 0.0 and table["hi"].max() == 1.0
    assert (table["mean_predicted"].between(table["lo"], table["hi"])).all()
    assert table["z"].abs().max() < 4


def test_overconfident_predictions_are_caught_by_z():
    p = np.random.default_rng(2).uniform(0, 1, 5_000)
    truth = 0.5 + 0.5 * (p - 0.5)  # the real risk is half as extreme as predicted
    table = reliability_table(p, _outcomes(truth, seed=3))
    assert table.iloc[0]["difference"] > 0.1  # low predictions: more events than predicted
    assert table.iloc[-1]["difference"] < -0.1
    assert table["z"].abs().max() > 4


def test_p_of_exactly_one_falls_in_the_last_bin_and_empty_bins_are_left_out():
    table = reliability_table(np.array([0.0, 0.05, 1.0, 1.0]), np.array([0, 0, 1, 1]))
    assert list(table["n"]) == [2, 2]
    assert table.iloc[-1]["hi"] == 1.0
    assert table.iloc[0]["z"] == pytest.approx(-0.025 / (np.sqrt(0.05 * 0.95) / 2))
    assert table.iloc[-1]["z"] == 0.0  # p = 1 exactly: no binomial spread, no z


def test_quantile_bins_and_brier_score():
    p = np.linspace(0, 1, 1000)
    table = calibration_table(p, p > 0.5, bins=10)
    assert list(table["n"]) == [100] * 10
    assert table["mean_predicted"].is_monotonic_increasing
    assert brier_score([0.0, 1.0], [0, 1]) == 0.0
    assert brier_score([0.5, 0.5], [0, 1]) == pytest.approx(0.25)
