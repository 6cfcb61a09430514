"""A thin class for the whole workflow: cohort -> fit -> diagnostics -> checks -> scores -> report.

Every step is a library function; :class:`Study` keeps the cohort, its configuration, the
run's seed and the fit together, and remembers results by the arguments that made them,
so that a notebook or ``camg demo`` runs the path in a few lines.

Examples
--------
>>> study = Study.from_cohort("data/example_cohort.csv", seed=1)  # doctest: +SKIP
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

from camg_bayes import seeds
from camg_bayes.checks.diagnostics import Diagnostics, diagnose
from camg_bayes.checks.predictive import PredictiveCheck, posterior_predictive
from camg_bayes.cohort import load_cohort
from camg_bayes.fitting.fitfile import Fit
from camg_bayes.fitting.sample import fit as run_fit
from camg_bayes.fitting.settings import SamplerSettings
from camg_bayes.model.config import ModelConfig, load_config
from camg_bayes.report.build import write_report
from camg_bayes.scores.prevalence import prevalence
from camg_bayes.scores.scoring import score as run_score
from camg_bayes.scores.whatif import Regimen
from camg_bayes.scores.whatif import whatif as run_whatif


def example_cohort_path() -> Path:
    """Path of the shipped synthetic example cohort (``data/example_cohort.csv``)."""
    return Path(str(resources.files("camg_bayes") / "data" / "example_cohort.csv"))


@dataclass
class Study:
    """A cohort, its model configuration, the run's seed, and the fit once made.

    Attributes
    ----------
    cohort : xarray.Dataset
        The validated cohort.
    config : ModelConfig
    seed : int or None
        The run's seed; None draws one, fixed at creation (:func:`camg_bayes.seeds.resolve`).
        Every step draws from its own stream of it.
    fitted : Fit or None
        The fit, once :meth:`fit` (or :meth:`load`) has run.
    """

    cohort: xr.Dataset
    config: ModelConfig = field(default_factory=load_config)
    seed: int | None = None
    fitted: Fit | None = None
    _results: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.seed = seeds.resolve(self.seed)

    @classmethod
    def from_cohort(cls, source, config: ModelConfig | None = None, *, seed=None) -> Study:
        """Read and validate a cohort (path, DataFrame or NHANES files)."""
        return cls(load_cohort(source), config or load_config(), seed)

    @classmethod
    def load(cls, path, *, seed=None) -> Study:
        """Open a saved fit with its cohort and configuration (seed: the fit's by default)."""
        fitted = Fit.load(path)
        seed = fitted.attrs["random_seed"] if seed is None else seed
        return cls(fitted.cohort, fitted.config, seed, fitted)

    def fit(
        self, settings: SamplerSettings | None = None, *, progressbar: bool = False, **kwargs
    ) -> Fit:
        """Fit the model (see :func:`camg_bayes.fitting.sample.fit`).

        Keyword arguments set sampler fields; a ``random_seed`` given here becomes the
        study's seed.
        """
        settings = settings or SamplerSettings()
        if "random_seed" in kwargs:
            self.seed = seeds.resolve(kwargs["random_seed"])
        elif settings.random_seed is not None:
            self.seed = seeds.resolve(settings.random_seed)
        kwargs["random_seed"] = self.seed
        self.fitted = run_fit(
            self.cohort, self.config, settings=settings, progressbar=progressbar, **kwargs
        )
        self._results.clear()
        return self.fitted

    def _need_fit(self) -> Fit:
        if self.fitted is None:
            raise RuntimeError("fit the model first (Study.fit) or load a fit (Study.load)")
        return self.fitted

    def _remember(self, key: tuple, compute):
        if key not in self._results:
            self._results[key] = compute()
        return self._results[key]

    def _seed(self, random_seed):
        return self.seed if random_seed is None else random_seed

    def save(self, path) -> Path:
        """Save the fit as NetCDF (or Zarr with a ``.zarr`` suffix)."""
        return self._need_fit().save(path)

    def diagnose(self) -> Diagnostics:
        """Convergence checks of the fit."""
        return self._remember(("diagnose",), lambda: diagnose(self._need_fit()))

    def check(self, *, random_seed=None) -> PredictiveCheck:
        """Posterior predictive checks and LOO-PIT (the study's seed by default)."""
        seed = self._seed(random_seed)
        fitted = self._need_fit()
        return self._remember(
            ("check", seed), lambda: posterior_predictive(fitted, random_seed=seed)
        )

    def score(
        self, cohort=None, *, threshold: float | None = None, random_seed=None
    ) -> pd.DataFrame:
        """Deficiency probabilities of the study's subjects (or of ``cohort``, new subjects)."""
        seed = self._seed(random_seed)
        threshold = self.config.threshold_or(threshold)
        if cohort is not None:
            target = cohort if isinstance(cohort, xr.Dataset) else load_cohort(cohort)
            return run_score(
                target, self.fitted, threshold=threshold, config=self.config, random_seed=seed
            )
        return self._remember(
            ("score", threshold, seed),
            lambda: run_score(
                self.cohort, self.fitted, threshold=threshold, config=self.config, random_seed=seed
            ),
        )

    def whatif(
        self, regimen: Regimen, *, subjects=None, cohort=None, threshold=None, random_seed=None
    ) -> pd.DataFrame:
        """Steady-state effect of a regimen (see :func:`camg_bayes.scores.whatif.whatif`)."""
        return run_whatif(
            self.cohort if cohort is None else cohort,
            regimen,
            self.fitted,
            subjects=subjects,
            threshold=threshold,
            config=self.config,
            random_seed=self._seed(random_seed),
        )

    def prevalence(self, threshold: float | None = None) -> pd.DataFrame:
        """Share of the cohort below the threshold: overall, by sex and site (90 % intervals)."""
        return prevalence(self._need_fit(), threshold)

    def write_report(self, path, *, threshold: float | None = None, random_seed=None) -> Path:
        """Write the self-contained HTML report, at ``threshold`` (the configuration's)."""
        seed = self._seed(random_seed)
        return write_report(
            self._need_fit(),
            path,
            threshold=threshold,
            random_seed=seed,
            scores=self.score(threshold=threshold, random_seed=seed),
            ppc=self.check(random_seed=seed),
            diagnostics=self.diagnose(),
        )
