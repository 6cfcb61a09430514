"""Exceptions the command line turns into one readable line (exit code 2)."""

from __future__ import annotations


class CamgError(Exception):
    """Base class for errors caused by the user's input, files or settings."""


class ConfigError(CamgError, ValueError):
    """A prior or model configuration file that cannot be used."""


class FitFileError(CamgError, ValueError):
    """A saved fit that is corrupted or does not match the current configuration."""


class OutputError(CamgError, OSError):
    """An output that cannot be written (permissions, a full disk, a directory in the way)."""


class CohortMismatchError(CamgError, ValueError):
    """A cohort whose columns or units disagree with those of the fit it is scored against."""
