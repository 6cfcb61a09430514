"""Stage 1, data in: the cohort schema, units, reading and validation, NHANES files.

A cohort becomes an ``xarray.Dataset`` with dims ``subject`` and ``occasion``, every value
in its canonical unit. Modules, in the order a table passes through them:

* :mod:`.schema` and :mod:`.units`: column names, canonical units and conversions;
* :mod:`.table`: the raw table, :class:`CohortError` and :class:`CohortWarning`;
* :mod:`.validate`: one small validator per check;
* :mod:`.read`: :func:`read_cohort`, assembling the validated Dataset;
* :mod:`.nhanes` and :mod:`.load`: NHANES transport files, and one entry point for all;
* :mod:`.hashes` and :mod:`.describe`: fingerprints and plain summaries;
* :mod:`.subsets`: the sex x site strata, and a subset of the subjects as a cohort.
"""

from camg_bayes.cohort.describe import cohort_overview, measurement_counts
from camg_bayes.cohort.hashes import data_hash, subject_hashes, subject_table
from camg_bayes.cohort.load import load_cohort
from camg_bayes.cohort.nhanes import read_nhanes
from camg_bayes.cohort.read import read_cohort
from camg_bayes.cohort.table import CohortError, CohortWarning

__all__ = [
    "CohortError",
    "CohortWarning",
    "cohort_overview",
    "data_hash",
    "load_cohort",
    "measurement_counts",
    "read_cohort",
    "read_nhanes",
    "subject_hashes",
    "subject_table",
]
