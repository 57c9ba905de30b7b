"""A library evaluated in shards (local processes, Ray) gives the metrics of the one-process path."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from seqmbo.evaluation import evaluate
from seqmbo.metrics.molecules import ReferenceStats, combine_parts, library_metrics, library_part
from seqmbo.sharding import ShardOptions, iter_designs, reference_stats


@pytest.fixture(scope="module")
def nci():
    from rdkit import RDConfig

    with open(f"{RDConfig.RDDataDir}/NCI/first_5K.smi") as fh:
        return [line.split()[0] for line in fh][:500]


def _same(a: dict, b: dict) -> None:
    assert set(a) <= set(b)
    for key, value in a.items():
        if isinstance(value, float):
            assert b[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
        else:
            assert b[key] == value, key


def test_parts_combine_to_the_whole_however_the_library_is_cut(nci):
    lib = nci[:60] + nci[20:40] + ["not a smiles", ""]
    ref = ReferenceStats.from_smiles(nci[50:120])
    whole = library_metrics(lib, reference=ref, train=ref, k=[10, 70], max_pairs=1000)
    parts = [library_part(lib[i:i + 17], ref, ref.canonical, head=70) for i in range(0, len(lib), 17)]
    cut = combine_parts(parts, ref, with_train=True, ks=[10, 70], max_pairs=1000)
    _same(whole, cut)
    assert whole["n"] == 82 and whole["n_valid"] == 80 and whole["uniqueness"] == 0.75
    assert whole["intdiv_pairs_sampled"] is True  # 80 ** 2 > 1000: the same subsample either way
    assert 0 < whole["novelty"] < 1 and 0 < whole["snn"] < 1


@pytest.mark.slow
def test_local_shards_write_what_one_process_writes(nci, tmp_path, monkeypatch):
    monkeypatch.setenv("SEQMBO_CACHE_DIR", str(tmp_path / "cache"))
    lib_file = tmp_path / "lib.smi"
    lib_file.write_text("# a comment\n" + "\n".join(nci[:40] + ["C1CC", "CCO"]) + "\n")
    ref_file = tmp_path / "ref.smi"
    ref_file.write_text("\n".join(nci[30:90]) + "\n")
    one = evaluate(lib_file, reference=ref_file, oracle=["qed", "logp"], out=tmp_path / "one")
    opts = ShardOptions("local", workers=2, shard_size=15)
    sharded = evaluate(lib_file, reference=ref_file, oracle=["qed", "logp"], out=tmp_path / "shards", sharding=opts)
    _same(one, sharded)
    assert sharded["n"] == 42 and sharded["n_valid"] == 41 and sharded["worker_peak_rss_mb"] > 0
    a, b = pd.read_csv(tmp_path / "one" / "scores.csv"), pd.read_csv(tmp_path / "shards" / "scores.csv")
    pd.testing.assert_frame_equal(a, b)
    assert json.loads((tmp_path / "shards" / "metrics.json").read_text())["snn"] == pytest.approx(one["snn"])
    assert (tmp_path / "shards" / "report.png").stat().st_size > 0
    assert not list((tmp_path / "shards").glob(".scores-*"))
    cached = list((tmp_path / "cache" / "reference-stats").glob("*.npz"))
    assert len(cached) == 1  # the reference summary is kept under its content's hash and reused
    again = reference_stats(ref_file, ShardOptions("local", workers=1, shard_size=50))
    assert again.n == 60 and len(again.fingerprints) == len(ReferenceStats.load(cached[0]).fingerprints)


def test_text_library_is_read_lazily_in_shards(tmp_path):
    f = tmp_path / "lib.txt"
    f.write_text("CCO\n\n# skipped\nc1ccccc1 name\nCCN\n")
    assert list(iter_designs(f, 2)) == [["CCO", "c1ccccc1"], ["CCN"]]
    assert list(iter_designs(["A", "B", "C"], 2)) == [["A", "B"], ["C"]]


@pytest.mark.slow
def test_ray_shards_give_the_same_metrics(nci, tmp_path, monkeypatch):
    pytest.importorskip("ray")
    import ray

    monkeypatch.setenv("SEQMBO_CACHE_DIR", str(tmp_path / "cache"))
    lib, ref = nci[:200], nci[150:400]
    one = evaluate(lib, reference=ref, oracle="qed")
    try:
        sharded = evaluate(lib, reference=ref, oracle="qed", sharding=ShardOptions("ray", workers=2, shard_size=64))
    finally:
        ray.shutdown()
    _same(one, sharded)
    assert np.isfinite(sharded["oracle_qed_max"])


def test_cli_evaluate_in_shards(nci, tmp_path, capsys):
    from seqmbo.cli import main

    lib = tmp_path / "lib.smi"
    lib.write_text("\n".join(nci[:30]) + "\n")
    ref = tmp_path / "ref.smi"
    ref.write_text("\n".join(nci[20:60]) + "\n")
    code = main(["evaluate", str(lib), "--reference", str(ref), "--oracle", "qed", "--executor", "local",
                 "--jobs", "1", "--shard-size", "7", "--out", str(tmp_path / "ev")])
    assert code == 0
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert metrics["n"] == 30 and metrics["novelty"] == pytest.approx(20 / 30)
    assert len(pd.read_csv(tmp_path / "ev" / "scores.csv")) == 30


def test_cli_evaluate_in_shards_of_no_valid_molecule_writes_nothing(tmp_path, capsys):
    from seqmbo.cli import main

    lib = tmp_path / "lib.smi"
    lib.write_text("C1CC\nnot_a_smiles\n")
    code = main(["evaluate", str(lib), "--executor", "local", "--jobs", "1", "--shard-size", "1",
                 "--out", str(tmp_path / "ev")])
    err = capsys.readouterr().err
    assert code == 2 and "none of the 2 designs is a valid molecule" in err and "Traceback" not in err
    assert not (tmp_path / "ev").exists()
