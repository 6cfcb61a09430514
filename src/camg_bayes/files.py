"""Atomic outputs: every file is written under a temporary name and renamed into place.

An interrupted or killed run (Ctrl-C, SIGKILL, a full disk) therefore leaves either the
previous file or none, never a half-written one: the temporary name starts with a dot and
ends in ``.partial``, and is removed when the write fails. Failures of the file system
(no permission, no space, a read-only disk) become an :class:`~camg_bayes.errors.OutputError`
that names the path and the fix.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from camg_bayes.errors import OutputError

_FIXES = {
    errno.ENOSPC: "free space on that disk or write elsewhere",
    errno.EDQUOT: "free space within your quota or write elsewhere",
    errno.EFBIG: "the file system refuses a file this large; free space or write elsewhere",
    errno.EACCES: "choose a directory you can write to",
    errno.EPERM: "choose a directory you can write to",
    errno.EROFS: "the disk is read-only; write elsewhere",
    errno.ENOTDIR: "a parent of that path is a file; choose another path",
    errno.EISDIR: "that path is a directory; give a file name",
    errno.ENAMETOOLONG: "choose a shorter path",
}


#: Temporary outputs being written now; removed by :func:`discard_partial` on interrupt.
_ACTIVE: set[Path] = set()


def discard_partial() -> None:
    """Remove every temporary output still being written (called on Ctrl-C before exit)."""
    for tmp in list(_ACTIVE):
        _remove(tmp)
    _ACTIVE.clear()


def output_error(path, exc: OSError) -> OutputError:
    """A one-line :class:`OutputError` for an operating-system error writing ``path``."""
    reason = exc.strerror or type(exc).__name__
    fix = _FIXES.get(exc.errno, "check the path and the disk")
    return OutputError(f"{path}: cannot write ({reason}). Fix: {fix}")


def _remove(path: Path) -> None:
    """Remove a file or directory tree if it exists, ignoring errors."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def ensure_writable(path, *more) -> Path:
    """Check now, before any long computation, that ``path`` (and ``more``) can be written.

    Creates the parent directory if needed and writes and removes a probe file beside
    ``path``; an existing directory at ``path`` is refused unless it is a Zarr store.
    Returns ``path``.

    Raises
    ------
    OutputError
        If the directory cannot be created or written to.
    """
    for other in more:
        ensure_writable(other)
    path = Path(path)
    if path.is_dir() and path.suffix != ".zarr":
        raise OutputError(f"{path}: is a directory. Fix: give a file name")
    probe = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.probe"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
    except OSError as exc:
        raise output_error(path, exc) from None
    finally:
        probe.unlink(missing_ok=True)
    return path


@contextmanager
def atomic_path(path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    On any exception (``KeyboardInterrupt`` included) the temporary file or directory is
    removed and ``path`` is left as it was. A directory target (a Zarr store) replaces the
    old one in two renames.

    Examples
    --------
    >>> with atomic_path("out/scores.csv") as tmp:  # doctest: +SKIP
    ...     table.to_csv(tmp)
    """
    path = Path(path)
    ensure_writable(path)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.partial"
    _ACTIVE.add(tmp)
    try:
        yield tmp
        if tmp.is_dir() and path.exists():
            old = path.parent / f".{path.name}.{uuid.uuid4().hex[:8]}.old"
            os.replace(path, old)
            os.replace(tmp, path)
            _remove(old)
        else:
            os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise output_error(path, exc) from None
    except BaseException:
        _remove(tmp)
        raise
    finally:
        _ACTIVE.discard(tmp)


def write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_csv(table, path, **kwargs) -> Path:
    """Write a pandas table to ``path`` atomically (``index=False`` unless given)."""
    kwargs.setdefault("index", False)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, **kwargs)
    return Path(path)
