"""``python -m camg_bayes``: the ``camg`` command line."""

from camg_bayes.cli import run

run()
