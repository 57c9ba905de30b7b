"""scripts/bench_pmo.py: the PMO protocol's run settings and task."""

from script_loader import load_script

from seqmbo.config import RunConfig
from seqmbo.gates.realism import chemistry_settings
from seqmbo.proxies import make_proxy
from seqmbo.spaces import MoleculeSpace


def test_pmo_settings_reach_the_generator_proxy_and_gates():
    bp = load_script("bench_pmo")
    cfg = RunConfig(task=bp.pmo_task("qed"))
    for key, value in bp.PMO_SETTINGS.items():
        cfg.set(key, value)
    assert cfg.generator_options == {"operators": "graph", "generations": 1, "offspring": 1000}
    assert cfg.proxy_options == {"warm_epochs": 3}
    gates = chemistry_settings(cfg, "molecule")
    assert gates.chemistry is False and gates.filters is False  # the objective alone
    proxy = make_proxy("ensemble", MoleculeSpace.from_smiles(["CCO"]), seed=0, **cfg.proxy_options)
    assert proxy.train_cfg.for_refit(True).epochs == 3 and proxy.train_cfg.for_refit(False).epochs == 10
    assert len(bp.MPOS) == 7 and bp.pmo_task("qed")["oracle"] == "qed"


def test_a_variant_may_set_its_own_start_and_batch():
    bp = load_script("bench_pmo")
    variant = {"start": 250, "batch": 500, "generator.generations": 5}
    assert bp.plan_of(variant, 1000, 1000) == (250, 500, {"alerts": False, "generator.generations": 5})
    assert variant == {"start": 250, "batch": 500, "generator.generations": 5}  # left as it was
    assert bp.plan_of({"chemistry": False}, 1000, 400) == (1000, 400, {"alerts": False, "chemistry": False})
    assert bp.plan_of({"alerts": True}, 1000, 400)[2] == {"alerts": True}
    assert bp.plan_of(None, 7, 9) == (7, 9, {"alerts": False})


def test_the_peer_scorer_spends_exactly_the_budget_and_hides_invalid_scores():
    import math

    import numpy as np
    import pytest

    from seqmbo.oracles.budget import Budgeted, Cached

    pm = load_script("pmo_molga")
    labeller = Cached(Budgeted(lambda ds: np.array([len(d) if d != "X" else np.nan for d in ds]), 5))
    score = pm.budgeted_scorer(labeller)
    assert score(["C", "CC", "C", "X"]) == [1.0, 2.0, 1.0, -math.inf]
    with pytest.raises(pm._Spent):
        score(["CCC", "CC", "CCCC", "CCCCC"])
    assert [lab.design for lab in labeller.history] == ["C", "CC", "X", "CCC", "CCCC"]
    assert labeller.oracle.remaining == 0
