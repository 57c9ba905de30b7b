"""`propose` on a user's own table and `evaluate` of a library: outputs and bad input."""

import json
import os

import numpy as np
import pandas as pd
import pytest

import seqmbo
from seqmbo.cli import main
from seqmbo.errors import InvalidInputError, UnknownNameError

FAST = dict(generator_options={"generations": 3}, proxy_options={"members": 2, "min_steps": 50}, calibration=False)


def nci(n=300):
    from rdkit.Chem import RDConfig

    path = os.path.join(RDConfig.RDDataDir, "NCI", "first_5K.smi")
    return [line.split()[0] for line in open(path) if line.strip()][:n]


def dna_table(tmp_path, rows):
    p = tmp_path / "t.csv"
    p.write_text("sequence,score\n" + "".join(f"{s},{y}\n" for s, y in rows))
    return p


def test_propose_sequences_from_a_file(tmp_path, caplog):
    rng = np.random.default_rng(0)
    rows = [("".join(rng.choice(list("ACGT"), 8)), float(i)) for i in range(60)]
    rows.append(rows[0])  # a duplicate: merged and said
    table = seqmbo.propose(str(dna_table(tmp_path, rows)), n=10, out=tmp_path / "out", **FAST)
    assert list(table.columns) == ["sequence", "proxy_mean", "proxy_std", "nearest_offline", "nearest_distance"]
    assert len(table) == 10 and table["proxy_mean"].is_monotonic_decreasing
    assert not set(table["sequence"]) & {r[0] for r in rows}
    assert (table["nearest_distance"] >= 1).all() and set(table["nearest_offline"]) <= {r[0] for r in rows}
    assert "1 duplicate rows merged" in caplog.text
    assert pd.read_csv(tmp_path / "out" / "candidates.csv").shape == (10, 5)
    again = seqmbo.propose(str(dna_table(tmp_path, rows)), n=10, **FAST)
    assert again["sequence"].tolist() == table["sequence"].tolist()


def test_propose_run_directory_has_the_shape_of_a_design_run_and_repeats(tmp_path, monkeypatch):
    """One loop: propose writes candidates, metrics without oracle keys, a config.toml that
    repeats the run from another folder, and a report; design settings work in propose."""
    rng = np.random.default_rng(1)
    rows = [("".join(rng.choice(list("ACGT"), 8)), float(rng.normal())) for i in range(80)]
    df = pd.DataFrame(rows, columns=["sequence", "score"])
    out = tmp_path / "run"
    table = seqmbo.propose(df, n=12, out=out, min_distance=2, proxy_options={"members": 2, "min_steps": 50},
                           generator_options={"generations": 3})
    names = {p.name for p in out.iterdir()}
    assert {"candidates.csv", "metrics.json", "config.toml", "report.png", "offline.csv"} <= names
    m = json.loads((out / "metrics.json").read_text())
    assert not {k for k in m if k.startswith("score_") or k.startswith("oracle")}
    assert m["n_candidates"] == 12 and m["novelty"] == 1.0 and m["novelty_distance"] >= 2
    assert -1 <= m["proxy_heldout_spearman"] <= 1 and "gate_removed_novel" in m
    d = seqmbo.spaces.dna(8).distance(table["sequence"].tolist(), table["sequence"].tolist())
    assert d[np.triu_indices(12, 1)].min() >= 2  # min_distance works in propose as in design
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["propose", "--config", str(out / "config.toml"), "--out", "again", "--quiet"]) == 0
    again = pd.read_csv(elsewhere / "again" / "candidates.csv")
    assert again["sequence"].tolist() == table["sequence"].tolist()


def test_propose_molecules_skips_invalid_and_writes_sdf(tmp_path, caplog):
    from rdkit import Chem
    from rdkit.Chem import Descriptors

    smiles = nci(200)
    y = [Descriptors.MolLogP(Chem.MolFromSmiles(s)) for s in smiles]
    smiles[3] = "not_a_smiles"
    table = seqmbo.propose(smiles, y, n=8, out=tmp_path / "m", **FAST)
    assert list(table.columns) == ["smiles", "proxy_mean", "proxy_std", "nearest_offline", "nearest_distance",
                                   "passes_filters", "sa", "nearest_similarity"]
    # realistic chemistry by default in propose too: filters, the input's elements, SA within its 95th percentile
    m = table.attrs["metrics"]
    assert table["passes_filters"].all() and m["novel_elements"] == 0 and m["rare_env_frac"] == 0.0
    assert "oracle_top1_filtered" not in m
    assert ((table["nearest_distance"] >= 0) & (table["nearest_distance"] <= 1)).all()  # 0: e.g. a stereoisomer
    assert all(Chem.MolFromSmiles(s) is not None for s in table["smiles"])
    assert "rows 4" in caplog.text and "not a valid SMILES" in caplog.text
    sdf = [m for m in Chem.SDMolSupplier(str(tmp_path / "m" / "candidates.sdf"))]
    assert len(sdf) == 8 and sdf[0].HasProp("proxy_mean")


@pytest.mark.parametrize(
    "text,match",
    [
        ("sequence,score\nACGT,1\nACGT,nan\n", "line 3: score is nan"),
        ("sequence,score\n", "header but no rows"),
        ("", "the file is empty"),
        ("seq,fitness\nACGT,1\nACXT,2\n", None),
    ],
)
def test_propose_bad_tables(tmp_path, text, match):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    kind = "dna" if match is None else None
    with pytest.raises(InvalidInputError, match=match or r"row 3: design 'ACXT' has letter 'X' at position 3"):
        seqmbo.propose(str(p), kind=kind, n=2, **FAST)


def test_propose_all_invalid_molecules():
    with pytest.raises(InvalidInputError, match="none of the 2 rows is a valid molecule"):
        seqmbo.propose(["xx", "C1CC"], [1.0, 2.0], kind="molecule", n=2)


def test_evaluate_molecules_against_reference(tmp_path):
    lib = nci(80) + ["C1CC"]
    m = seqmbo.evaluate(lib, reference=nci(400)[200:], oracle=["qed", "logp"], out=tmp_path / "ev")
    for key in ("n", "validity", "uniqueness", "novelty", "diversity", "intdiv1", "intdiv2", "snn", "frag", "scaf", "filters"):
        assert key in m
    assert m["n"] == 81 and m["validity"] == pytest.approx(80 / 81)
    assert m["novelty"] == 1.0 and 0 < m["snn"] < 1
    assert 0 < m["oracle_qed_mean"] < m["oracle_qed_max"] <= 1
    scores = pd.read_csv(tmp_path / "ev" / "scores.csv")
    assert list(scores.columns) == ["design", "valid", "canonical", "qed", "logp"]
    assert not scores["valid"].iloc[-1] and np.isnan(scores["qed"].iloc[-1])
    assert json.loads((tmp_path / "ev" / "metrics.json").read_text())["n"] == 81
    for name in ("report.png", "best.png"):
        assert (tmp_path / "ev" / name).read_bytes()[:4] == b"\x89PNG"


def test_evaluate_sequences_and_oracle_by_task_name():
    m = seqmbo.evaluate(["ACGT", "ACGA", "ACGT", "ACNN"], reference=["ACGA"], kind="dna")
    assert m["validity"] == 0.75 and m["uniqueness"] == pytest.approx(2 / 3) and m["novelty"] == 0.5
    assert m["intdiv1"] is None
    with pytest.raises(UnknownNameError, match="for sequences an oracle is a built-in task"):
        seqmbo.evaluate(["ACGT"], oracle="qed", kind="dna")
    with pytest.raises(UnknownNameError):
        seqmbo.evaluate(["CCO"], oracle="nope", kind="molecule")


def test_cli_evaluate_and_propose_errors(capsys, tmp_path):
    code = main(["evaluate", str(tmp_path / "none.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "no such file" in err and "Traceback" not in err
    (tmp_path / "lib.smi").write_text("CCO\nc1ccccc1\n")
    code = main(["evaluate", str(tmp_path / "lib.smi"), "--oracle", "qed", "--out", str(tmp_path / "e")])
    out = capsys.readouterr().out
    assert code == 0 and "oracle_qed_mean" in out
    code = main(["propose", str(tmp_path / "lib.smi"), "--set", "bogus=1"])
    assert code == 2 and "unknown setting" in capsys.readouterr().err
    code = main(["propose", str(tmp_path / "lib.smi"), "--set", "kapa=1"])
    assert code == 2 and "did you mean 'kappa'" in capsys.readouterr().err
    code = main(["propose", str(tmp_path / "lib.smi"), "--set", "kappa=abc"])
    assert code == 2 and "kappa: must be a number, got 'abc'" in capsys.readouterr().err


def test_propose_lower_is_better_and_warns_when_the_model_is_weak(tmp_path, caplog):
    """direction="min": candidates are ranked by the lowest predicted score, reported in the
    user's units; a small, noisy table gets a plain warning."""
    rng = np.random.default_rng(2)
    seqs = ["".join(rng.choice(list("ACGT"), 6)) for _ in range(40)]
    ic50 = [float(s.count("A")) + 0.1 * i / 40 for i, s in enumerate(seqs)]  # lower is better: fewer A
    table = seqmbo.propose(seqs, ic50, kind="dna", n=8, direction="min", out=tmp_path / "min",
                           proxy_options={"members": 2, "min_steps": 100}, generator_options={"generations": 5})
    assert table["proxy_mean"].is_monotonic_increasing  # best (lowest) first
    assert table["proxy_mean"].iloc[0] < np.mean(ic50)
    assert np.mean([s.count("A") for s in table["sequence"]]) < np.mean([s.count("A") for s in seqs])
    offline = pd.read_csv(tmp_path / "min" / "offline.csv")
    assert offline["score"].tolist() == pytest.approx(ic50)  # the user's units, not the negated ones
    assert "only 40 scored designs" in caplog.text
    m = table.attrs["metrics"]
    assert m["proxy_heldout_rmse"] is not None and m["proxy_heldout_rmse"] >= 0
    with pytest.raises(InvalidInputError, match="direction must be 'max'"):
        seqmbo.propose(seqs, ic50, kind="dna", direction="down")


def test_evaluate_a_library_without_a_valid_design_is_an_error(tmp_path):
    with pytest.raises(InvalidInputError, match="none of the 2 designs is a valid molecule"):
        seqmbo.evaluate(["xx", "C1CC"], kind="molecule", out=tmp_path / "e")
    assert not (tmp_path / "e").exists()
