"""The ``camg`` command line: one subcommand per library verb, with no logic of its own.

Exit codes: 0 success; 1 a check that failed (``camg check``); 2 bad input or settings,
reported as one readable line on stderr, never a traceback. Set ``CAMG_DEBUG=1`` to see
the traceback of an unexpected error.
"""

from __future__ import annotations

from camg_bayes.cli import commands as _commands  # noqa: F401  (registers the commands)
from camg_bayes.cli import sbc as _sbc  # noqa: F401
from camg_bayes.cli.app import app, main, run

__all__ = ["app", "main", "run"]
