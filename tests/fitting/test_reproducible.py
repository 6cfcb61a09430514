"""Bit-identical seeds: the same seed and inputs give the same draws and scores, cold or warm.

Each run is a fresh process. The first compiles into an empty PyTensor compile directory
(cold); the second reuses it (warm); the third uses another fresh one.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # three fresh processes, ~75 s; CI runs it (make test-slow-ci)

SCRIPT = """
import json, sys, warnings
warnings.simplefilter("ignore")
import numpy as np
import camg_bayes as cb
from camg_bayes.model.simulate import simulate
ds = cb.read_cohort(simulate(40, random_seed=3).cohort)
fit = cb.fit(ds, draws=30, tune=60, chains=2, random_seed=11)
scores = cb.score(ds, fit, random_seed=2)
np.savez(sys.argv[1], **{n: fit.posterior[n].values for n in fit.posterior.data_vars},
         p=scores["p_deficient"].to_numpy(), serum=scores["serum_mg_true_mean"].to_numpy())
print(fit.attrs["numerics"])
"""


def _run(tmp_path, name, compiledir):
    out = tmp_path / f"{name}.npz"
    env = {"PYTENSOR_FLAGS": f"compiledir={compiledir}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return np.load(out), json.loads(done.stdout.strip().splitlines()[-1])


def test_same_seed_same_bits_with_cold_and_warm_compile_cache(tmp_path):
    cold, numerics = _run(tmp_path, "cold", tmp_path / "cache_a")
    warm, _ = _run(tmp_path, "warm", tmp_path / "cache_a")
    other, _ = _run(tmp_path, "other", tmp_path / "cache_b")
    assert numerics["backend"] == "jax" and numerics["jax_enable_x64"]
    assert set(cold.files) == set(warm.files) and "mg_status_ref" in cold.files
    for name in cold.files:
        np.testing.assert_array_equal(cold[name], warm[name], err_msg=name)
        np.testing.assert_array_equal(cold[name], other[name], err_msg=name)
