"""The ``camg`` application: its consoles, error handling and entry points."""

from __future__ import annotations

import os
import sys
import warnings

import typer
from rich.console import Console

from camg_bayes.errors import CamgError

app = typer.Typer(
    name="camg",
    help="Bayesian calcium and magnesium status from cohort data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True, highlight=False)


@app.callback()
def _root() -> None:
    """Bayesian calcium and magnesium status from cohort data."""


def _captured(func, *args, **kwargs):
    """Run ``func`` and return its result with the warnings it raised, as text."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = func(*args, **kwargs)
    messages = [str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)]
    return result, list(dict.fromkeys(messages))


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.
    """
    try:
        result = app(args=argv, standalone_mode=False, prog_name="camg")
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument
        err.print(f"camg: {exc}", markup=False, soft_wrap=True)
        return 2
    except CamgError as exc:
        err.print(f"camg: error: {exc}", markup=False, soft_wrap=True)
        return 2
    except KeyboardInterrupt:
        err.print("camg: interrupted")
        return 130
    except Exception as exc:
        if os.environ.get("CAMG_DEBUG"):
            raise
        first = str(exc).splitlines()[0] if str(exc) else ""
        err.print(
            f"camg: unexpected error: {type(exc).__name__}: {first} (set CAMG_DEBUG=1 for details)",
            markup=False,
            soft_wrap=True,
        )
        return 2
    return int(result or 0)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
