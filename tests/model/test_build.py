import warnings

import jax
import numpy as np
import pandas as pd
import pytest
from pymc.model.transform.optimization import freeze_dims_and_data
from pymc.sampling.jax import get_jaxified_logp

from camg_bayes.cohort import CohortWarning, read_cohort
from camg_bayes.fitting.sample import for_jax
from camg_bayes.model.build import build_model, population_parameters
from camg_bayes.model.config import load_config
from camg_bayes.model.design import build_design
from camg_bayes.model.simulate import simulate

#: A few evaluations on a small cohort: JAX compiles in seconds (numba takes minutes).
FAST = "JAX"


def _cohort(n=40, seed=1, sites=3):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        return read_cohort(simulate(n, random_seed=seed, n_sites=sites).cohort)


def test_model_has_named_variables_dims_and_finite_logp_and_gradient():
    ds = _cohort()
    model = for_jax(build_model(ds))  # as the sampler compiles it: float64, static shapes
    names = set(model.named_vars)
    assert {"latent_z", "latent_prior"} <= names
    assert {"serum_mg_mean", "pth_mean", "diet_mg_mean", "diet_mg_ss", "urine_ca_mean"} <= names
    assert model.named_vars_to_dims["latent_z"] == ("subject", "latent")
    assert list(model.coords["latent"]) == [
        "log_intake_mg",
        "log_intake_ca",
        "gut",
        "renal",
        "ca_dev",
    ]
    assert list(model.coords["subject"]) == list(ds.subject.values)
    # logp and its gradient as the sampler gets them: the graph in JAX, differentiated by
    # JAX (PyTensor's symbolic gradient of this graph takes minutes to compile)
    point = model.initial_point()
    values = [np.asarray(point[v.name]) for v in model.value_vars]
    logp_fn = jax.jit(get_jaxified_logp(model))
    logp, grad = jax.jit(jax.value_and_grad(get_jaxified_logp(model)))(values)
    flat = np.concatenate([np.ravel(g) for g in grad])
    assert np.isfinite(logp)
    assert np.all(np.isfinite(flat)) and np.any(flat != 0)
    # the gradient is that of this logp: a central difference along a random direction
    rng = np.random.default_rng(0)
    direction = [rng.normal(size=np.shape(v)) for v in values]
    step = 1e-5
    ahead = logp_fn([v + step * d for v, d in zip(values, direction, strict=True)])
    behind = logp_fn([v - step * d for v, d in zip(values, direction, strict=True)])
    slope = sum(float(np.sum(np.asarray(g) * d)) for g, d in zip(grad, direction, strict=True))
    assert (ahead - behind) / (2 * step) == pytest.approx(slope, rel=1e-4)
    # no fixed constant becomes a random variable
    config = load_config()
    free = set(population_parameters(model))
    for name, prior in config.priors.items():
        if prior.is_fixed:
            assert name not in free
    assert "mg_balance_elasticity" in free and "site_status" in free


def test_missing_values_are_unobserved_not_deleted():
    frame = pd.DataFrame(
        {
            "subject_id": ["only_serum", "only_recalls", "only_recalls", "nothing", "full"],
            "occasion": [0, 0, 1, 0, 0],
            "sex": ["F", "M", "M", "", "F"],
            "serum_mg": [0.8, np.nan, np.nan, np.nan, 0.85],
            "diet_mg": [np.nan, 300, 250, np.nan, 280],
            "pth": [np.nan, np.nan, np.nan, np.nan, 4.0],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        ds = read_cohort(frame)
    design = build_design(ds, load_config())
    model = freeze_dims_and_data(build_model(design))
    assert len(model.coords["subject"]) == 4
    assert list(model.coords["serum_mg_subject"]) == ["only_serum", "full"]
    assert list(model.coords["diet_mg_repeat"]) == ["only_recalls"]
    assert "urine_mg_mean" not in model.named_vars  # nobody has it
    assert np.isfinite(model.compile_logp(mode=FAST)(model.initial_point()))
    # the subject with no data still has latents (its posterior is its prior)
    assert model["latent_z"].shape.eval().tolist() == [4, 5]
    assert design.cov["male"].tolist() == [0.0, 1.0, 0.5, 0.0]


def test_sites_only_when_present():
    with_sites = build_model(_cohort(sites=3))
    without = build_model(_cohort(sites=0))
    assert "site_status" in with_sites.named_vars and "site_status_sd" in with_sites.named_vars
    assert "site_status" not in without.named_vars and "site_status_sd" not in without.named_vars


@pytest.mark.parametrize(
    ("variant", "gone"),
    [
        ("no_competition", "mg_ca_competition"),
        ("no_renal_conservation", "mg_balance_elasticity"),
    ],
)
def test_variants_drop_their_parameter(variant, gone):
    ds = _cohort()
    full = set(population_parameters(build_model(ds)))
    reduced = set(population_parameters(build_model(ds, load_config(variant=variant))))
    assert gone in full and gone not in reduced


def test_no_mg_pth_variant_changes_the_pth_likelihood_in_deficiency():
    ds = _cohort()
    full = freeze_dims_and_data(build_model(ds))
    plain = freeze_dims_and_data(build_model(ds, load_config(variant="no_mg_pth")))
    point = full.initial_point()
    assert set(point) == set(plain.initial_point())
    # push every subject into deep Mg deficiency (a large renal loss), where PTH secretion fails
    point["latent_z"][:, 3] = 10.0
    logp_full = full.compile_logp(vars=[full["pth_mean"]], mode=FAST)(point)
    logp_plain = plain.compile_logp(vars=[plain["pth_mean"]], mode=FAST)(point)
    assert np.isfinite(logp_full) and np.isfinite(logp_plain)
    assert abs(logp_full - logp_plain) > 1.0


def test_single_site_and_single_subject_cohorts_build():
    frame = pd.DataFrame(
        {"subject_id": ["only"], "site": ["A"], "serum_mg": [0.8], "diet_mg": [250]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CohortWarning)
        ds = read_cohort(frame)
    model = build_model(ds)
    assert "site_status" not in model.named_vars  # one site is no grouping
    assert list(model.coords["subject"]) == ["only"]
