import json
import tomllib

import numpy as np
import pytest

from camg_bayes.errors import ConfigError
from camg_bayes.model.config import ModelConfig, load_config, models_dir
from camg_bayes.model.priors import PARAMETERS, Prior


def test_default_config_has_every_parameter_with_unit_and_source():
    config = load_config()
    assert set(config.priors) == set(PARAMETERS)
    for prior in config.priors.values():
        assert prior.unit and prior.source
    raw = tomllib.loads((models_dir() / "default.toml").read_text())
    assert set(raw["prior"]) == set(PARAMETERS)


def test_json_round_trip_keeps_the_fingerprint():
    config = load_config(variant="no_mg_pth")
    again = ModelConfig.from_json(config.to_json())
    assert again.fingerprint() == config.fingerprint()
    assert again.switches == config.switches
    assert again.to_dict() == config.to_dict()


def test_prior_entry_round_trip():
    config = load_config()
    for name, prior in config.priors.items():
        assert Prior.from_entry(name, prior.to_dict()) == prior


def test_variants_switch_mechanisms_off_and_change_the_fingerprint():
    full = load_config()
    prints = {full.fingerprint()}
    for variant in ("no_competition", "no_mg_pth", "no_renal_conservation"):
        config = load_config(variant=variant)
        prints.add(config.fingerprint())
    assert len(prints) == 4
    assert (
        load_config(variant="no_renal_conservation").priors["mg_balance_elasticity"].center() == 1.0
    )
    assert load_config(variant="no_competition").priors["mg_ca_competition"].is_fixed
    assert not load_config(variant="no_mg_pth").switches["mg_dependent_pth"]


def test_overrides_merge_over_defaults():
    config = load_config(overrides={"mg_ca_competition": {"sigma": 0.5}})
    assert config.priors["mg_ca_competition"].params == {"mu": 0.0, "sigma": 0.5}
    assert "Brannan" in config.priors["mg_ca_competition"].source
    fixed = load_config(overrides={"mg_abs_km": {"dist": "Fixed", "value": 90.0}})
    assert fixed.priors["mg_abs_km"].is_fixed and fixed.priors["mg_abs_km"].unit == "mg per meal"
    threshold = load_config(overrides={"scoring": {"deficiency_threshold": 0.85}})
    assert threshold.threshold == 0.85


def _write(tmp_path, edit):
    text = (models_dir() / "default.toml").read_text()
    path = tmp_path / "priors.toml"
    path.write_text(edit(text))
    return path


@pytest.mark.parametrize(
    ("edit", "pattern"),
    [
        (
            lambda t: (
                t + '\n[prior.mg_abs_kmm]\ndist = "Fixed"\nvalue = 1\nunit = "x"\nsource = "y"\n'
            ),
            "unknown prior key.*mg_abs_kmm",
        ),
        (
            lambda t: t.replace(
                '[prior.sweat_mg_loss]\ndist = "Fixed"', '[prior.sweat_mg_loss]\ndist = "Gumbel"'
            ),
            "unknown dist 'Gumbel'",
        ),
        (
            lambda t: t.replace(
                'median = 80.0\nsigma = 0.4\nunit = "mg per meal"', "median = 80.0\nsigma = 0.4"
            ),
            "missing unit",
        ),
        (
            lambda t: t.replace("median = 80.0\nsigma = 0.4", "median = 80.0\nsigma = -0.4"),
            "sigma must be positive",
        ),
        (
            lambda t: t.replace("median = 80.0\nsigma = 0.4", "median = 80.0\nsigma = 0.4\nmu = 1"),
            "unknown key.*mu",
        ),
        (lambda t: t.replace("median = [250.0, 330.0]", "median = [250.0, 330.0, 1.0]"), "shape"),
        (lambda t: t + "\n[extras]\na = 1\n", "unknown table.*extras"),
        (
            lambda t: t.replace("competition = true ", "competitionn = true "),
            "unknown model switch",
        ),
        (lambda t: t.replace("[prior.age_ref]", "[prior.age_reff]"), "unknown prior key"),
        (lambda t: t + "\n[[[", "not valid TOML"),
    ],
)
def test_invalid_prior_files_are_rejected_clearly(tmp_path, edit, pattern):
    path = _write(tmp_path, edit)
    with pytest.raises(ConfigError, match=pattern) as info:
        load_config(path)
    assert "\n" not in str(info.value)


def test_unknown_variant_and_override():
    with pytest.raises(ConfigError, match="unknown variant"):
        load_config(variant="nope")
    with pytest.raises(ConfigError, match="unknown prior 'nope'"):
        load_config(overrides={"nope": {"sigma": 1.0}})


def test_prior_samples_match_their_intervals():
    rng = np.random.default_rng(1)
    config = load_config()
    draws = config.sample(rng, 20000)
    for name, prior in config.priors.items():
        if prior.is_fixed:
            assert np.all(draws[name] == prior.center())
            continue
        lo, hi = prior.interval(0.9)
        inside = np.mean((draws[name] >= lo) & (draws[name] <= hi))
        assert inside == pytest.approx(0.9, abs=0.02), name


def test_config_is_json_serialisable():
    json.loads(load_config().to_json())
