"""Exceptions the command line turns into one readable line (exit code 2)."""

from __future__ import annotations


class CamgError(Exception):
    """Base class for errors caused by the user's input, files or settings."""


class ConfigError(CamgError, ValueError):
    """A prior or model configuration file that cannot be used."""


class FitFileError(CamgError, ValueError):
    """A saved fit that is corrupted or does not match the current configuration."""
