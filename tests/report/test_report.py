import os
import re
import shutil

import numpy as np
import pytest

from camg_bayes.cli import main


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
