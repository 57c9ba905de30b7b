"""Learned oracles: trained once (cached by data + settings), deterministic, labelled in the task."""

import numpy as np
import pytest

from seqmbo.oracles.learned import OracleConfig, learned_oracle
from seqmbo.spaces.sequence import SequenceSpace
from seqmbo.tasks import load_task

CFG = {"channels": 8, "hidden": 16, "epochs": 3, "batch_size": 64, "lr": 5e-3}


def _toy(n: int = 1000, length: int = 10, seed: int = 0):
    """Scores that depend on position: +1 for each A in the first half, -0.5 for each in the second."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 4, size=(n, length))
    y = (ids[:, : length // 2] == 0).sum(1) - 0.5 * (ids[:, length // 2:] == 0).sum(1) + 0.1 * rng.normal(size=n)
    return ids, y.astype(np.float32)


def test_oracle_fits_caches_and_is_deterministic(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQMBO_CACHE_DIR", str(tmp_path))
    ids, y = _toy()
    space = SequenceSpace.fixed("ACGT", 10, "dna")
    designs = space.decode(ids)
    first = learned_oracle(designs, y, space, OracleConfig(**CFG))
    assert first.spearman > 0.9 and first.n_holdout == 100 and first.n_train == 900
    cached = list((tmp_path / "oracles").glob("*.pt"))
    assert [p.stem for p in cached] == [first.key]
    again = learned_oracle(designs, y, space, OracleConfig(**CFG))  # loaded, not trained
    assert again.fit_s == first.fit_s and again.spearman == first.spearman
    probe = designs[:5] + ["ACGTN", "ACGTACGTAC" * 2]
    assert np.array_equal(first(probe), again(probe), equal_nan=True)
    assert np.isnan(first(probe)[5:]).all() and np.isfinite(first(probe)[:5]).all()
    fresh = learned_oracle(designs, y, space, OracleConfig(**CFG), cache=False)  # trained again, same numbers
    assert np.array_equal(fresh(designs[:50]), first(designs[:50]))
    other = learned_oracle(designs, y, space, OracleConfig(**{**CFG, "seed": 1}), cache=False)
    assert other.key != first.key


def test_learned_task_from_a_spec(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQMBO_CACHE_DIR", str(tmp_path / "cache"))
    ids, y = _toy(800)
    for k in range(2):
        np.save(tmp_path / f"x-{k}.npy", ids[k * 400:(k + 1) * 400])
        np.save(tmp_path / f"y-{k}.npy", y[k * 400:(k + 1) * 400, None])
    spec = {"name": "toy", "kind": "learned", "format": "designbench-npy", "x_files": ["x-0.npy", "x-1.npy"],
            "y_files": ["y-0.npy", "y-1.npy"], "alphabet": "ACGT", "length": 10, "max_percentile": 50,
            "oracle": CFG, "_base": str(tmp_path)}
    task = load_task(spec)
    assert task.oracle_kind == "learned" and task.kind == "learned"
    assert len(task.dataset) == int((y <= np.percentile(y, 50)).sum())
    assert task.y_min == pytest.approx(float(y.min())) and 0.7 < task.spec["oracle_spearman"] <= 1
    with pytest.raises(Exception, match="length"):
        load_task({**spec, "length": 11})


def test_mutant_table_builds_sequences_from_the_wild_type(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQMBO_CACHE_DIR", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    wt = "MKTAYIAKQR"
    (tmp_path / "wt.txt").write_text(wt + "\n")
    rows = ["variant\tnum_mutations\tscore"]
    for i in range(300):
        pos = rng.choice(10, size=2, replace=False)
        muts = [f"{wt[p]}{p}{'ACDEFGHIKL'[rng.integers(10)]}" for p in sorted(pos)]
        rows.append(f"{','.join(muts)}\t2\t{rng.normal():.4f}")
    rows.append("M0*\t1\t0.1")  # a stop codon: left out
    (tmp_path / "v.tsv").write_text("\n".join(rows) + "\n")
    spec = {"name": "toyp", "kind": "learned", "format": "mutants", "table": "v.tsv", "wild_type": "wt.txt",
            "alphabet": "ACDEFGHIKLMNPQRSTVWY", "oracle": {**CFG, "epochs": 1}, "_base": str(tmp_path)}
    task = load_task(spec)
    assert task.space.max_length == 10 and task.oracle_kind == "learned"
    assert len(task.dataset) == 150  # the lower half of 300 rows
    bad = tmp_path / "bad.tsv"
    bad.write_text("variant\tnum_mutations\tscore\nK0A\t1\t0.5\n")
    with pytest.raises(Exception, match="does not match the wild type"):
        load_task({**spec, "table": "bad.tsv"})
