import os
import re
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from camg_bayes.checks import (
    compare,
    pit_table,
    posterior_predictive,
    prior_predictive,
    statistics_table,
)
from camg_bayes.cli import main
from camg_bayes.cohort import CohortWarning, read_cohort
from camg_bayes.errors import CamgError
from camg_bayes.io import load_fit
from camg_bayes.report import prevalence


def test_statistics_flag_a_shifted_sample_and_not_a_fitting_one():
    rng = np.random.default_rng(0)
    replicated = rng.normal(0.85, 0.06, size=(300, 500, 1))
    fitting = {"serum_mg": rng.normal(0.85, 0.06, size=(500, 1))}
    shifted = {"serum_mg": rng.normal(0.80, 0.06, size=(500, 1))}
    good = statistics_table(fitting, {"serum_mg": replicated})
    bad = statistics_table(shifted, {"serum_mg": replicated})
    assert not good["flag"].any()
    flagged = bad[bad["flag"]]
    assert {"mean", "p05", "p95"} <= set(flagged["statistic"])
    moments = flagged[flagged["statistic"].isin(["mean", "p05", "p95"])]
    assert moments["comment"].str.contains("lower than the model predicts").all()
    fraction = flagged[flagged["statistic"].str.startswith("fraction")]
    assert fraction["comment"].str.contains("higher than the model predicts").all()


def test_ties_are_not_flagged():
    zeros = {"urine_mg": np.full((50, 1), 3.0)}
    table = statistics_table(zeros, {"urine_mg": np.full((100, 50, 1), 3.0)})
    row = table[table["statistic"].str.startswith("fraction")].iloc[0]
    assert row["p_value"] == 0.5 and not row["flag"]


def test_pit_table_names_the_shape_of_a_departure_from_uniform():
    rng = np.random.default_rng(0)
    pit = {
        "uniform": rng.permutation((np.arange(500) + rng.uniform(size=500)) / 500),
        "wide": rng.beta(3, 3, 500),
        "narrow": rng.beta(0.5, 0.5, 500),
        "high": rng.beta(2, 1, 500),
    }
    table = pit_table(pit).set_index("measurement")
    assert not table.loc["uniform", "flag"]
    assert table.loc[["wide", "narrow", "high"], "flag"].all()
    assert "too wide" in table.loc["wide", "comment"]
    assert "too narrow" in table.loc["narrow", "comment"]
    assert "systematically above" in table.loc["high", "comment"]
    assert table.loc["uniform", "critical"] == pytest.approx(1.358 / np.sqrt(500))


def test_prior_predictive_uses_the_cohort_schedule():
    frame = pd.DataFrame(
        {"subject_id": ["a", "b", "c"], "serum_mg": [0.8, np.nan, 0.9], "pth": [4, 5, np.nan]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        ds = read_cohort(frame)
    check = prior_predictive(ds, n_draws=50, random_seed=1)
    assert check.replicated["serum_mg"].shape == (50, 3, 1)
    assert np.isnan(check.replicated["serum_mg"][:, 1]).all()
    assert np.isfinite(check.replicated["serum_mg"][:, 0]).all()
    assert set(check.statistics["measurement"]) == {"serum_mg", "pth"}


def test_posterior_predictive_and_loo_pit_on_a_fit(short_fit):
    _, path = short_fit
    check = posterior_predictive(load_fit(path), random_seed=1)
    assert set(check.loo_pit) == set(check.observed)
    for values in check.loo_pit.values():
        assert np.all((values >= 0) & (values <= 1))
    assert list(check.pit_statistics["measurement"]) == list(check.loo_pit)
    assert len(check.statistics) == 5 * len(check.observed)


def test_compare_ranks_fits_and_refuses_different_cohorts(short_fit):
    _, path = short_fit
    tree = load_fit(path)
    table = compare({"a": tree, "b": tree})
    assert table["elpd_diff"].abs().max() == pytest.approx(0.0, abs=1e-9)
    assert {"k_over_0.7", "k_max", "variant"} <= set(table.columns)
    other = load_fit(path)
    other.attrs["data_hash"] = "0" * 16
    with pytest.raises(CamgError, match="different cohorts"):
        compare({"a": tree, "b": other})


@pytest.fixture(scope="module")
def report_html(short_fit, tmp_path_factory):
    _, path = short_fit
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert main(["report", str(path), "--out", str(out)]) == 0
    return out


def test_report_is_self_contained_with_every_section(report_html):
    text = report_html.read_text()
    for anchor in ("data", "convergence", "priors", "ppc", "prevalence", "subjects", "software"):
        assert f'id="{anchor}"' in text
    assert not re.search(r"""(src|href)=["']https?://""", text)
    assert text.count("data:image/png;base64,") >= 6
    assert "Prior predictive" in text and "LOO-PIT" in text
    assert 'class="sortable"' in text
    assert "nutpie" in text and "Seed 7" in text


def test_prevalence_by_group_has_intervals(short_fit):
    _, path = short_fit
    table = prevalence(load_fit(path), 0.75)
    assert {"all subjects", "sex F", "sex M"} <= set(table.index)
    assert (table["lo"] <= table["mean"]).all() and (table["mean"] <= table["hi"]).all()
    assert table.loc["all subjects", "n"] == 80


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
def test_report_renders_in_a_real_browser(report_html, tmp_path):
    if CHROMIUM is None:
        if os.environ.get("CAMG_REQUIRE_BROWSER"):
            pytest.fail("CAMG_REQUIRE_BROWSER is set but no chromium is installed")
        pytest.skip(
            "no chromium on this machine: install Debian's chromium to run the browser test"
        )
    from playwright.sync_api import sync_playwright

    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    errors = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(report_html.as_uri())
        page.wait_for_load_state("load")
        first = tmp_path / "first_screen.png"
        page.screenshot(path=str(first))
        images = page.evaluate(
            "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
        )
        page.locator("#ppc").scroll_into_view_if_needed()
        ppc_shot = page.locator("img[alt='posterior predictive densities']").screenshot()
        # sorting the subject table by clicking a header reorders rows
        header = page.locator("table.sortable th", has_text="p_deficient").first
        header.click()
        first_cell = page.locator("table.sortable tbody tr").first.locator("td").nth(1).inner_text()
        header.click()
        last_first = page.locator("table.sortable tbody tr").first.locator("td").nth(1).inner_text()
        browser.close()
    assert errors == []
    assert len(images) >= 6 and all(ok and w > 100 and h > 100 for ok, w, h in images)
    assert float(first_cell) <= float(last_first)
    import io

    from PIL import Image

    for shot in (Image.open(first), Image.open(io.BytesIO(ppc_shot))):
        pixels = np.asarray(shot.convert("L"), dtype=float)
        assert pixels.std() > 10  # not a blank region
    plot = np.asarray(Image.open(io.BytesIO(ppc_shot)).convert("L"), dtype=float)
    assert (plot < 100).mean() > 0.005  # dark plot lines are drawn
