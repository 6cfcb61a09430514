"""The ``camg`` application: its consoles, error handling and entry points."""

from __future__ import annotations

import os
import signal
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


INTERRUPTED = "camg: interrupted; no output was written (outputs appear only when complete)"


def _on_interrupt(signum, frame) -> None:  # pragma: no cover - exercised in a subprocess
    """Ctrl-C: remove half-written outputs, print one line and exit 2 at once.

    Installed by :func:`run`, so that an interrupt cannot be swallowed by a library
    callback (JAX's garbage-collection hook) or turned into partial results (nutpie
    returns the draws made so far).
    """
    from camg_bayes.files import discard_partial

    discard_partial()
    sys.stderr.write(INTERRUPTED + "\n")
    sys.stderr.flush()
    os._exit(2)


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
        err.print(INTERRUPTED)
        return 2
    except OSError as exc:  # an input that cannot be read (outputs raise OutputError)
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"camg: error: {where}{exc.strerror or exc}", markup=False, soft_wrap=True)
        return 2
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
    """Console-script entry point: Ctrl-C exits at once with code 2 (see _on_interrupt)."""
    signal.signal(signal.SIGINT, _on_interrupt)
    sys.exit(main())
