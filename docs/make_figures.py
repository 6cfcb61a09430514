"""Screenshots of the report and the prior predictive figure for docs/.

Usage (after ``make demo``)::

    .venv/bin/python docs/make_figures.py [out/fit.nc] [out/report.html]

Writes ``docs/report_first_screen.png``, ``docs/report_ppc_section.png`` and
``docs/prior_predictive.png`` (the literature priors' implications for the example
cohort's design), and prints their sizes.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

from camg_bayes import CohortWarning, example_cohort_path, figures, prior_predictive, read_cohort

DOCS = Path(__file__).resolve().parent
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def main() -> None:
    """Write the three figures."""
    report = Path(sys.argv[2] if len(sys.argv) > 2 else "out/report.html").resolve()
    warnings.simplefilter("ignore", CohortWarning)
    prior = prior_predictive(read_cohort(example_cohort_path()), random_seed=1)
    (DOCS / "prior_predictive.png").write_bytes(figures.predictive_densities(prior))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(report.as_uri())
        page.screenshot(path=str(DOCS / "report_first_screen.png"))
        page.evaluate("document.getElementById('ppc').scrollIntoView()")
        page.screenshot(path=str(DOCS / "report_ppc_section.png"))
        browser.close()
    for name in ("report_first_screen.png", "report_ppc_section.png", "prior_predictive.png"):
        path = DOCS / name
        print(f"{path}: {path.stat().st_size / 1000:.0f} kB")


if __name__ == "__main__":
    main()
