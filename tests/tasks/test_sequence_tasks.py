import json

import numpy as np
import pytest

from seqmbo.errors import InvalidInputError, UnknownNameError
from seqmbo.tasks import load_task
from tests.conftest import require_dataset


def test_tfbind8_is_designbench_exact():
    require_dataset("tfbind8")
    t = load_task("tfbind8")
    assert len(t.dataset) == 32_898  # rows at or below the 50th percentile of 65,792
    assert t.dataset_best_norm == pytest.approx(0.439, abs=5e-4)
    assert (t.y_min, t.y_max) == (0.0, 1.0)
    assert t.space.max_length == 8 and t.space.alphabet == "ACGT"
    assert t.oracle.inner.size == 65_536  # every 8-mer
    assert t.n_candidates == 128
    # the oracle agrees with the offline labels it was built from
    assert np.allclose(t.oracle(t.dataset.designs[:500]), t.dataset.y[:500])


def test_tfbind8_raw_table_gives_the_same_landscape():
    require_dataset("tfbind8")
    require_dataset("tfbind8-raw")
    a, b = load_task("tfbind8"), load_task("tfbind8-raw")
    designs = a.space.sample(2000, np.random.default_rng(0))
    assert np.allclose(a.oracle(designs), b.oracle(designs), atol=1e-7)
    assert b.oracle.inner.size == 65_536


def test_gb1_landscape():
    require_dataset("gb1")
    t = load_task("gb1")
    assert t.oracle.inner.size == 160_000
    assert t.oracle(["VDGV", "AHCA"]).tolist() == pytest.approx([1.0, 9.913], abs=1e-3)
    assert t.y_max == pytest.approx(9.913, abs=1e-3)
    assert t.dataset.y.max() < 1.0 and len(t.dataset) > 100_000
    assert "VDGV" not in set(t.dataset.designs)


def test_ehrlich_task_offline_set_is_feasible_and_labelled():
    t = load_task("ehrlich-20-16-2-4")
    assert len(t.dataset) == len(set(t.dataset.designs)) > 900
    assert np.isfinite(t.dataset.y).all()  # feasible samples only
    assert np.allclose(t.oracle(t.dataset.designs[:50]), t.dataset.y[:50])
    assert (t.y_min, t.y_max) == (0.0, 1.0) and t.oracle_kind == "closed-form"
    # the instance is a function of the spec's seed
    t2 = load_task("ehrlich-20-16-2-4")
    assert t2.dataset.designs == t.dataset.designs


def landscape_spec(tmp_path, rows, **extra):
    table = tmp_path / "table.csv"
    table.write_text("sequence,score\n" + "".join(f"{s},{y}\n" for s, y in rows))
    spec = tmp_path / "my.toml"
    keys = {"name": "my", "kind": "landscape", "table": "table.csv", "alphabet": "AC", "max_percentile": 50, **extra}
    spec.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in keys.items()))  # JSON scalars are TOML
    return spec


def test_landscape_spec_from_a_path(tmp_path):
    rows = [(a + b, i) for i, (a, b) in enumerate((a, b) for a in "AC" for b in "AC")]
    t = load_task(str(landscape_spec(tmp_path, rows)))
    assert t.name == "my" and len(t.dataset) == 2  # scores 0,1 of 0..3 lie at or below the median
    assert t.oracle(["CC"]).tolist() == [3.0]


@pytest.mark.parametrize(
    "rows,match",
    [
        ([("AC", 1), ("AG", 2)], r"line 3: design 'AG' has letter 'G' at position 2"),
        ([("AC", 1), ("ACA", 2)], r"line 3: design 'ACA' has length 3, expected 2"),
        ([("AC", 1), ("AC", 2)], r"line 3: design 'AC' duplicates line 2"),
        ([("AC", 1), ("CA", "nan")], r"line 3: score is nan"),
    ],
)
def test_bad_landscape_tables(tmp_path, rows, match):
    with pytest.raises(InvalidInputError, match=match):
        load_task(str(landscape_spec(tmp_path, rows)))


def test_unknown_task_and_bad_specs(tmp_path):
    with pytest.raises(UnknownNameError, match="unknown task 'nope'.*tfbind8"):
        load_task("nope")
    with pytest.raises(InvalidInputError, match="task spec file not found"):
        load_task(str(tmp_path / "none.toml"))
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nkind = "landscape"\ntable = "t.csv"\nalphabet = "AC"\nmax_percentil = 50\n')
    with pytest.raises(InvalidInputError, match=r"unknown key\(s\) \['max_percentil'\]"):
        load_task(str(bad))
    bad.write_text('name = "x"\nkind = "nonsense"\n')
    with pytest.raises(InvalidInputError, match="unknown task kind 'nonsense'"):
        load_task(str(bad))
    bad.write_text("name = \n")
    with pytest.raises(InvalidInputError, match="not valid TOML"):
        load_task(str(bad))


def test_reverse_complement_landscape(tmp_path):
    # every 2-mer over ACGT, each scoring like its reverse complement (A<->T, C<->G, reversed)
    comp = {"A": "T", "T": "A", "C": "G", "G": "C"}
    score = {}
    for a in "ACGT":
        for b in "ACGT":
            d = a + b
            score[d] = score.get(comp[b] + comp[a], len(score))
    spec = landscape_spec(tmp_path, list(score.items()), alphabet="ACGT", reverse_complement=True)
    t = load_task(str(spec))
    assert t.space.reverse_complement and t.space.complement_ids == [3, 2, 1, 0]
    assert t.space.reverse_complement_of("AACG") == "CGTT"
    # a table that contradicts the symmetry is refused, naming the pair
    score["AC"] += 5
    spec = landscape_spec(tmp_path, list(score.items()), alphabet="ACGT", reverse_complement=True)
    with pytest.raises(InvalidInputError, match=r"reverse_complement = true, but AC scores 6 and its reverse complement GT scores 1"):
        load_task(str(spec))


def _complete_barrera_table(path):
    """A complete synthetic Barrera 8-mer table: one row per reverse-complement class (32,896)."""
    from itertools import product

    comp = str.maketrans("ACGT", "TGCA")
    lines, seen = ["8-mer\t8-mer\tE-score\tMedian\tZ-score"], set()
    for letters in product("ACGT", repeat=8):
        kmer = "".join(letters)
        if kmer in seen:
            continue
        rc = kmer.translate(comp)[::-1]
        seen.update((kmer, rc))
        e = (kmer.count("G") - kmer.count("A")) / 20  # any score; both strands share it by construction
        lines.append(f"{kmer}\t{rc}\t{e:.5f}\t1000.0\t{e * 4:.4f}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_barrera_format_is_double_stranded_unless_the_spec_says_false(tmp_path):
    _complete_barrera_table(tmp_path / "T_REF_R1_8mers.txt")
    spec = {"name": "pbm", "kind": "landscape", "format": "barrera", "table": "T_REF_R1_8mers.txt",
            "_base": str(tmp_path)}
    t = load_task(spec)
    assert t.space.reverse_complement and t.oracle.inner.size == 65_536
    assert not load_task({**spec, "reverse_complement": False}).space.reverse_complement
    with pytest.raises(InvalidInputError, match="reverse_complement must be true or false"):
        load_task({**spec, "reverse_complement": "yes"})
    # other formats stay single-stranded unless the spec says true
    rows = [(a + b, i) for i, (a, b) in enumerate((a, b) for a in "AC" for b in "AC")]
    assert not load_task(str(landscape_spec(tmp_path, rows))).space.reverse_complement


def test_reverse_complement_needs_fixed_length_dna():
    from seqmbo.spaces import SequenceSpace

    with pytest.raises(InvalidInputError, match="needs the DNA alphabet 'ACGT'"):
        SequenceSpace.fixed("ACGU", 8, reverse_complement=True)
    with pytest.raises(InvalidInputError, match="needs fixed-length designs"):
        SequenceSpace("ACGT", 2, 8, reverse_complement=True)
    with pytest.raises(InvalidInputError, match="letter 'N', which has no DNA complement"):
        SequenceSpace.fixed("TGCA", 3, reverse_complement=True).reverse_complement_of("ANA")
    assert SequenceSpace.fixed("ATCG", 3, reverse_complement=True).complement_ids == [1, 0, 3, 2]
    assert SequenceSpace.fixed("ACGT", 3).complement_ids is None


def test_tfbind8_is_double_stranded_and_recommends_run_settings():
    require_dataset("tfbind8")
    t = load_task("tfbind8")
    assert t.space.reverse_complement
    assert t.spec["run"] == {"min_distance": 1}  # chosen on the development factors (tasks/tfbind8.toml)
