"""camg_bayes: Bayesian inference of calcium and magnesium status from cohort data."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("camg_bayes")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
