"""Online rounds: the oracle labels each batch once, within the budget; an interrupted run resumes
to the same result."""

import json

import numpy as np
import pandas as pd
import pytest

import seqmbo
from seqmbo import online as online_mod
from seqmbo.cli import main

TASK = "ehrlich-20-16-2-4"
FAST = {"generator_options": {"generations": 4, "population": 64, "offspring": 128},
        "proxy_options": {"members": 2, "min_steps": 40}, "support": "none"}


def run_online(out=None, rounds=3, **kw):
    return seqmbo.design(TASK, "evolution", rounds=rounds, batch=12, budget=40, start=8, n=10, seed=3, out=out,
                         **FAST, **kw)


def test_rounds_label_each_batch_once_within_the_budget(tmp_path):
    res = run_online(tmp_path / "run")
    rows = pd.read_csv(tmp_path / "run" / "rounds.csv")
    labels = pd.read_csv(tmp_path / "run" / "labels.csv")
    # start pool 8, then batches of 12 (fewer when the gates leave fewer) until the budget of 40 is spent
    assert rows["oracle_calls"].tolist() == (8 + rows["batch"].cumsum()).tolist()
    assert rows["batch"].tolist()[:2] == [12, 12] and rows["oracle_calls"].iloc[-1] <= 40
    assert len(labels) == rows["oracle_calls"].iloc[-1] and labels["sequence"].is_unique  # no design sent twice
    assert (np.diff(rows["best"]) >= 0).all() and (rows["top10_mean"] <= rows["best"]).all()
    m = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert m["oracle_calls"] == len(labels) and m["oracle_calls_design"] == 0 and m["rounds"] == 3
    assert 0 < m["auc_top10"] <= m["score_p100"]
    cands = pd.read_csv(tmp_path / "run" / "candidates.csv")
    assert len(cands) == 10 and cands["oracle"].is_monotonic_decreasing
    assert cands["oracle"].iloc[0] == labels["oracle"].max() == res.metrics["score_p100"]


def cut_at(monkeypatch, call: int):
    """Makes the ``call``-th execution of a round raise KeyboardInterrupt; returns the real one."""
    real, calls = online_mod.execute, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(online_mod, "execute", interrupted)
    return real


def test_interrupted_run_resumes_to_the_same_result(tmp_path, monkeypatch):
    whole = run_online(tmp_path / "whole", rounds=4)
    real = cut_at(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        run_online(tmp_path / "cut", rounds=4)
    assert len(pd.read_csv(tmp_path / "cut" / "rounds.csv")) == 2
    with pytest.raises(seqmbo.InvalidInputError, match="unfinished online run; go on with --resume"):
        run_online(tmp_path / "cut", rounds=4)
    monkeypatch.setattr(online_mod, "execute", real)
    resumed = online_mod.resume(tmp_path / "cut")
    pd.testing.assert_frame_equal(resumed.candidates, whole.candidates)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "cut" / "labels.csv"),
                                  pd.read_csv(tmp_path / "whole" / "labels.csv"))


def test_an_interrupted_local_search_resumes_to_the_same_labels(tmp_path, monkeypatch):
    def run(out):  # local search keeps its probes, relocation guesses and ruled-out guesses across rounds
        return seqmbo.design(TASK, "local", rounds=10, batch=32, start=32, n=10, seed=3, out=out,
                             proxy_options={"members": 1, "epochs": 1, "min_steps": 0, "warm_epochs": 1})

    run(tmp_path / "whole")
    real = cut_at(monkeypatch, 8)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "cut")
    monkeypatch.setattr(online_mod, "execute", real)
    online_mod.resume(tmp_path / "cut")
    whole = pd.read_csv(tmp_path / "whole" / "labels.csv")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "cut" / "labels.csv"), whole)
    assert len(whole) == 32 * 11


def test_rounds_stop_when_they_label_nothing_new(tmp_path, monkeypatch, caplog):
    real, first = online_mod.execute, []

    def repeating(*args, **kwargs):  # after round 1, every batch is one the oracle labelled before
        if not first:
            first.append(real(*args, **kwargs))
        return first[0]

    monkeypatch.setattr(online_mod, "execute", repeating)
    res = seqmbo.design(TASK, "evolution", rounds=50, batch=12, start=8, n=10, seed=3, out=tmp_path / "run", **FAST)
    rows = pd.read_csv(tmp_path / "run" / "rounds.csv")
    assert rows["new_calls"].tolist() == [12, 0, 0, 0] and res.metrics["rounds"] == 4  # not 50
    assert rows["oracle_calls"].tolist() == [20] * 4
    assert "the last 3 rounds proposed only designs labelled before" in caplog.text


def test_generators_keep_their_state_between_rounds(tmp_path):
    from seqmbo.generators.evolution import EvolutionGenerator
    from seqmbo.generators.gflownet import GFlowNetGenerator

    evo = EvolutionGenerator(generations=2, population=32, offspring=64)
    run = online_mod.online(TASK, evo, "mlp", rounds=2, batch=8, start=16, seed=0, proxy_options={"min_steps": 30})
    assert evo.warm_start and 0 < len(evo.population) <= 32 and run.metrics["rounds"] == 2
    gfn = GFlowNetGenerator(steps=20, batch_size=16, min_samples=64)
    online_mod.online(TASK, gfn, "mlp", rounds=1, batch=8, start=16, seed=0, proxy_options={"min_steps": 30})
    first = gfn._trainer
    z_after_one = float(first.log_z.detach())
    online_mod.online(TASK, gfn, "mlp", rounds=1, batch=8, start=16, seed=0, proxy_options={"min_steps": 30})
    assert gfn._trainer is first and float(first.log_z.detach()) != z_after_one  # trained on from round 1's state


def test_cli_rounds_and_resume_errors(capsys, tmp_path):
    out = tmp_path / "cli"
    code = main(["design", TASK, "--rounds", "2", "--batch", "8", "--budget", "30", "--start", "10", "--n", "5",
                 "--out", str(out), "--set", "generator.generations=2", "--set", "proxy.members=2",
                 "--set", "proxy.min_steps=30", "-q"])
    text = capsys.readouterr().out
    assert code == 0 and "round   2  oracle calls     26" in text and "AUC top-10" in text
    assert main(["design", "--resume", str(tmp_path / "nothing")]) == 2
    assert "no online run to resume" in capsys.readouterr().err
    assert main(["design", TASK, "--rounds", "0", "--out", str(tmp_path / "bad")]) == 2
    assert "rounds must be a whole number >= 1" in capsys.readouterr().err


@pytest.mark.slow  # ~10 s: two rounds with proxy fits and the run files
def test_local_search_rounds_stay_near_the_best_labelled_designs(tmp_path):
    seqmbo.design(TASK, "local", rounds=2, batch=12, budget=60, start=16, n=10, seed=3, out=tmp_path / "run",
                  proxy_options={"members": 2, "min_steps": 20, "epochs": 1},
                  generator_options={"block": 0.0, "memory": False, "drift": False, "scan": 0.0, "combine": 0,
                                     "pool": 1.0})  # letter moves
    labels = pd.read_csv(tmp_path / "run" / "labels.csv")
    designs, y = labels["sequence"].tolist(), np.nan_to_num(labels["oracle"].to_numpy(dtype=float), nan=-1.0)
    batches = pd.read_csv(tmp_path / "run" / "rounds.csv")["batch"].tolist()
    assert len(batches) == 2 and min(batches) >= 1
    start = 16
    for size in batches:
        tied = [designs[i] for i in np.flatnonzero(y[:start] == y[:start].max())]
        for d in designs[start:start + size]:  # 1-2 letters from a tied design, or each letter from two of them
            near = min(sum(a != b for a, b in zip(d, t)) for t in tied) <= 2
            mixed = any(all(c in (p, q) for c, p, q in zip(d, s, t)) for s in tied for t in tied)
            assert near or mixed
        start += size


@pytest.mark.slow  # about 11 s, most of it the run's fixed cost
def test_local_probes_pass_the_support_gate_and_the_invalid_ones_leave_the_support(tmp_path):
    from seqmbo.generators.local import LocalSearchGenerator

    gen = LocalSearchGenerator(probe=3, probe_late=False)
    seqmbo.design(TASK, gen, rounds=2, batch=8, start=16, n=8, seed=3, out=tmp_path,
                  proxy_options={"members": 1, "epochs": 1, "min_steps": 0, "warm_epochs": 1})
    labels = pd.read_csv(tmp_path / "labels.csv")
    designs, y = labels.iloc[:, 0].astype(str).tolist(), labels["oracle"].to_numpy(float)
    probes = set(gen.probed.values())
    assert len(probes) == 6 and probes <= set(designs)  # 3 a round, none removed by the support gate
    invalid = {d for d, v in zip(designs, y) if not np.isfinite(v)}
    assert invalid and invalid <= probes  # only probes are infeasible: their banned pairs stay off the support
