"""scripts/bench_table.py: settings for one generator only."""

import pytest

from script_loader import load_script

from seqmbo.errors import InvalidInputError


def _bench_table():
    return load_script("bench_table")


def test_gen_set_names_the_generator_and_its_key():
    bt = _bench_table()
    assert bt.gen_setting("latent.pretrained=runs/vae") == ("latent", "generator.pretrained", "runs/vae")
    assert bt.gen_setting("evolution.generations=3") == ("evolution", "generator.generations", 3)
    for bad in ("pretrained=runs/vae", "latent.=3", ".budget=3", "latent.budget"):
        with pytest.raises(InvalidInputError):
            bt.gen_setting(bad)


def test_gen_set_reaches_only_its_generator():
    bt = _bench_table()
    common = [("calibration", False)]
    own = [bt.gen_setting("latent.pretrained=runs/vae"), bt.gen_setting("evolution.generations=3")]
    assert bt.settings_for("latent:bo", common, own) == common + [("generator.pretrained", "runs/vae")]
    assert bt.settings_for("latent", common, own) == common + [("generator.pretrained", "runs/vae")]
    assert bt.settings_for("evolution", common, own) == common + [("generator.generations", 3)]
    assert bt.settings_for("gflownet", common, own) == common
