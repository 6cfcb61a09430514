"""Stage 8, report: figures, the self-contained HTML report and the console tables.

* :mod:`.figures`: matplotlib figures as PNG bytes (the only module that draws);
* :mod:`.layout` and :mod:`.sections`: the page and its sections;
* :mod:`.build`: ``build_report(fit)`` and ``write_report(fit, path)``;
* :mod:`.console`: rich tables for the command line.
"""

from camg_bayes.report.build import build_report, write_report

__all__ = ["build_report", "write_report"]
