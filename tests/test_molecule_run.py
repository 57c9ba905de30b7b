"""End-to-end molecule design runs on the no-download default task, nci-qed."""

import json

import numpy as np
import pytest

import seqmbo
from seqmbo.generators.evolution import EvolutionGenerator
from seqmbo.tasks import load_task

SMALL = dict(
    generator_options={"population": 48, "offspring": 96, "generations": 4, "seed_top": 48},
    proxy_options={"members": 2, "min_steps": 60},
    calibration=False,
)
MOLECULE_KEYS = ("diversity", "intdiv1", "intdiv2", "novelty", "novelty_distance", "oracle_top1", "oracle_top10_mean")


@pytest.fixture(scope="module")
def task():
    return load_task("nci-qed")


@pytest.fixture(scope="module")
def evo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "nci"
    return seqmbo.design("nci-qed", generator="evolution", n=16, seed=0, out=out, **SMALL)


def test_default_task_is_the_molecule_task():
    from seqmbo.run import DEFAULT_TASK

    assert DEFAULT_TASK == "nci-qed"


def test_evolution_run(evo_run, task):
    run, space, offline = evo_run, task.space, set(task.dataset.designs)
    cands = run.candidates["smiles"].tolist()
    assert len(cands) == 16 and len(set(cands)) == 16
    assert space.is_valid(cands).all()
    assert all(space.canonical(c) == c for c in cands)
    assert not offline.intersection(cands)
    m = run.metrics
    assert m["oracle_calls_design"] == 0 and m["validity"] == 1.0 and m["novelty"] == 1.0
    for key in MOLECULE_KEYS:
        assert m[key] is not None and np.isfinite(m[key]), key
    assert m["oracle_top1"] == pytest.approx(run.candidates["oracle"].max())
    assert m["oracle_top10_mean"] == pytest.approx(np.sort(run.candidates["oracle"])[-10:].mean())
    assert 0 < m["diversity"] <= 1 and 0 < m["novelty_distance"] <= 1
    assert list(run.candidates.columns) == ["smiles", "proxy_mean", "proxy_std", "oracle", "nearest_offline",
                                            "nearest_distance", "passes_filters", "sa", "nearest_similarity"]
    # realistic chemistry by default: filters, the data's elements and atom environments
    assert run.candidates["passes_filters"].all() and m["filters_pass"] == 1.0
    assert m["novel_elements"] == 0 and m["rare_env_frac"] == 0.0
    assert m["sa_mean"] == pytest.approx(run.candidates["sa"].mean())
    assert m["oracle_top1_filtered"] == pytest.approx(m["oracle_top1"])
    assert m["reward_rejected_environments"] > 0  # the gates steered the generator away
    assert {"gate_removed_elements", "gate_removed_environments", "gate_removed_sa", "gate_removed_filters"} <= set(m)
    assert (run.candidates["nearest_similarity"] == 1 - run.candidates["nearest_distance"]).all()
    assert m["novelty_distance"] == pytest.approx(run.candidates["nearest_distance"].mean())
    assert m["filters_pass"] == pytest.approx(run.candidates["passes_filters"].mean())
    # diversity is the mean pairwise Tanimoto distance (distinct pairs), IntDiv1 MOSES's (with self-pairs)
    d = space.distance(cands, cands)
    assert m["diversity"] == pytest.approx(d[np.triu_indices(16, 1)].mean())
    assert m["intdiv1"] == pytest.approx(1 - (1 - d).mean())
    # candidates are ranked by the molecule default reward, the lower confidence bound (best first)
    assert m["reward"] == "lcb" and m["kappa"] == 1.0
    lcb = run.candidates["proxy_mean"].to_numpy() - run.candidates["proxy_std"].to_numpy()
    assert (np.diff(lcb) <= 1e-6).all()


def test_run_directory(evo_run):
    import pandas as pd

    out = evo_run.out
    table = pd.read_csv(out / "candidates.csv")
    assert table["smiles"].tolist() == evo_run.candidates["smiles"].tolist()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["task"] == "nci-qed" and "novelty_distance" in metrics


def test_same_seed_same_candidates(evo_run):
    again = seqmbo.design("nci-qed", generator="evolution", n=16, seed=0, **SMALL)
    assert again.candidates["smiles"].tolist() == evo_run.candidates["smiles"].tolist()


@pytest.mark.parametrize("generator", ["random", "dataset-top"])
def test_baselines(generator, task):
    run = seqmbo.design("nci-qed", generator=generator, n=12, seed=1, proxy_options={"members": 2, "min_steps": 20},
                        calibration=False)
    cands = run.candidates["smiles"].tolist()
    assert len(cands) == 12 and task.space.is_valid(cands).all()
    assert run.metrics["oracle_calls_design"] == 0
    if generator == "dataset-top":
        assert cands == task.dataset.top(12)[0] and run.metrics["novelty"] == 0.0
    else:
        assert run.metrics["novelty"] == 1.0


def test_evolution_children_are_valid_molecules(task):
    space = task.space
    gen = EvolutionGenerator(offspring=400)
    parents = space.encode(task.dataset.top(100)[0])
    children = space.decode(gen._offspring(parents, {}, [], space, np.random.default_rng(0)))
    assert len(children) == 400 and space.is_valid(children).all()
