"""A thin class for the whole workflow: cohort -> fit -> diagnostics -> checks -> scores -> report.

Every step is a library function; :class:`Study` only keeps the results together so a
notebook or the ``camg demo`` command can run the path in a few lines.

Examples
--------
>>> study = Study.from_cohort("data/example_cohort.csv")  # doctest: +SKIP
>>> study.fit(draws=500)  # doctest: +SKIP
>>> study.diagnose().passed  # doctest: +SKIP
>>> study.score().head()  # doctest: +SKIP
>>> study.write_report("out/report.html")  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd
import xarray as xr

from camg_bayes.checks import PredictiveCheck, posterior_predictive
from camg_bayes.diagnostics import Diagnostics, diagnose
from camg_bayes.fit import fit as run_fit
from camg_bayes.io import fit_config, load_fit, save_fit
from camg_bayes.loading import load_cohort
from camg_bayes.priors import ModelConfig, load_config
from camg_bayes.report import prevalence, write_report
from camg_bayes.scoring import score as run_score
from camg_bayes.settings import SamplerSettings
from camg_bayes.whatif import Regimen
from camg_bayes.whatif import whatif as run_whatif


def example_cohort_path() -> Path:
    """Path of the shipped synthetic example cohort (``data/example_cohort.csv``)."""
    return Path(str(resources.files("camg_bayes") / "data" / "example_cohort.csv"))


@dataclass
class Study:
    """A cohort, its model configuration, and the results computed so far.

    Attributes
    ----------
    cohort : xarray.Dataset
        The validated cohort.
    config : ModelConfig
    tree : xarray.DataTree or None
        The fit, once :meth:`fit` (or :meth:`load`) has run.
    """

    cohort: xr.Dataset
    config: ModelConfig = field(default_factory=load_config)
    tree: xr.DataTree | None = None
    _scores: pd.DataFrame | None = None
    _ppc: PredictiveCheck | None = None
    _diagnostics: Diagnostics | None = None

    @classmethod
    def from_cohort(cls, source, config: ModelConfig | None = None) -> Study:
        """Read and validate a cohort (path, DataFrame or NHANES files)."""
        return cls(load_cohort(source), config or load_config())

    @classmethod
    def load(cls, path) -> Study:
        """Open a saved fit with its cohort and configuration."""
        from camg_bayes.io import fit_cohort

        tree = load_fit(path)
        return cls(fit_cohort(tree), fit_config(tree), tree)

    def fit(
        self, settings: SamplerSettings | None = None, *, progressbar: bool = False, **kwargs
    ) -> xr.DataTree:
        """Fit the model (see :func:`camg_bayes.fit.fit`); keyword arguments set sampler fields."""
        self.tree = run_fit(
            self.cohort, self.config, settings=settings, progressbar=progressbar, **kwargs
        )
        self._scores = self._ppc = self._diagnostics = None
        return self.tree

    def _need_fit(self) -> xr.DataTree:
        if self.tree is None:
            raise RuntimeError("fit the model first (Study.fit) or load a fit (Study.load)")
        return self.tree

    def save(self, path) -> Path:
        """Save the fit as NetCDF."""
        return save_fit(self._need_fit(), path)

    def diagnose(self) -> Diagnostics:
        """Convergence checks of the fit."""
        self._diagnostics = self._diagnostics or diagnose(self._need_fit())
        return self._diagnostics

    def check(self, *, random_seed: int = 0) -> PredictiveCheck:
        """Posterior predictive checks and LOO-PIT."""
        self._ppc = self._ppc or posterior_predictive(self._need_fit(), random_seed=random_seed)
        return self._ppc

    def score(
        self, cohort=None, *, threshold: float | None = None, random_seed: int = 0
    ) -> pd.DataFrame:
        """Deficiency probabilities of the study's subjects (or of ``cohort``, new subjects)."""
        if cohort is None and threshold is None and self._scores is not None:
            return self._scores
        target = (
            self.cohort
            if cohort is None
            else (cohort if isinstance(cohort, xr.Dataset) else load_cohort(cohort))
        )
        table = run_score(
            target, self.tree, threshold=threshold, config=self.config, random_seed=random_seed
        )
        if cohort is None and threshold is None:
            self._scores = table
        return table

    def whatif(
        self, regimen: Regimen, *, subjects=None, cohort=None, random_seed: int = 0
    ) -> pd.DataFrame:
        """Steady-state effect of a regimen (see :func:`camg_bayes.whatif.whatif`)."""
        target = self.cohort if cohort is None else cohort
        return run_whatif(
            target,
            regimen,
            self.tree,
            subjects=subjects,
            config=self.config,
            random_seed=random_seed,
        )

    def prevalence(self, threshold: float | None = None) -> pd.DataFrame:
        """Share of the cohort below the threshold: overall, by sex and site (90 % intervals)."""
        return prevalence(
            self._need_fit(), self.config.threshold if threshold is None else threshold
        )

    def write_report(self, path, *, random_seed: int = 0) -> Path:
        """Write the self-contained HTML report."""
        return write_report(
            self._need_fit(),
            path,
            random_seed=random_seed,
            scores=self.score(random_seed=random_seed),
            ppc=self.check(random_seed=random_seed),
            diagnostics=self.diagnose(),
        )
