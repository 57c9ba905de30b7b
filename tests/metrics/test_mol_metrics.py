"""MOSES-style library metrics: molsets golden values, edge cases, exact and blocked kernels."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rdkit")

from rdkit import Chem, DataStructs, RDConfig  # noqa: E402
from rdkit.Chem import rdFingerprintGenerator  # noqa: E402

from seqmbo.metrics.mol_chem import (  # noqa: E402
    _pains_catalog,
    matches_pains,
    passes_moses_filters,
)
from seqmbo.metrics.mol_similarity import (  # noqa: E402
    SortedFingerprints,
    internal_diversity,
    max_tanimoto,
)
from seqmbo.metrics.molecules import ReferenceStats, library_metrics  # noqa: E402
from seqmbo.spaces.molecule import parse_smiles  # noqa: E402
from tests.conftest import reference_file

GOLDEN_FILE = "moses_golden.json"
# molsets key -> our key
GOLDEN_KEYS = {
    "valid": "validity",
    "unique": "uniqueness",
    "IntDiv1": "intdiv1",
    "IntDiv2": "intdiv2",
    "Filters": "filters",
    "Novelty": "novelty",
    "SNN": "snn",
    "Frag": "frag",
    "Scaf": "scaf",
}


def _golden() -> dict:
    return json.loads(reference_file(GOLDEN_FILE).read_text())


def _nci(n: int, start: int = 0) -> list[str]:
    """SMILES from the NCI sample that ships inside the RDKit wheel (valid ones only)."""
    path = Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"
    out = []
    with open(path) as fh:
        for line in fh:
            smi = line.split()[0]
            if parse_smiles(smi) is not None:
                out.append(smi)
    return out[start : start + n]


def _packed(smiles: list[str]) -> np.ndarray:
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    rows = [
        np.frombuffer(DataStructs.BitVectToBinaryText(gen.GetFingerprint(Chem.MolFromSmiles(s))), np.uint8)
        for s in smiles
    ]
    return np.stack(rows)


def _brute_tanimoto(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """float32 Tanimoto matrix by unpacked integer products (the MOSES formula)."""
    ua = np.unpackbits(a, axis=1).astype(np.int64)
    ub = np.unpackbits(b, axis=1).astype(np.int64)
    c = (ua @ ub.T).astype(np.float32)
    den = ua.sum(1)[:, None].astype(np.float32) + ub.sum(1)[None, :].astype(np.float32) - c
    with np.errstate(invalid="ignore"):
        t = c / den
    t[den == 0] = 1.0
    return t


# --------------------------------------------------------------------------- golden


def test_golden_values_match_molsets() -> None:
    g = _golden()
    m = library_metrics(g["generated"], g["reference"], g["train_for_novelty"], k=len(g["generated"]))
    for moses_key, our_key in GOLDEN_KEYS.items():
        want = g["values"][moses_key]
        got = m[our_key]
        if want is None:
            assert got is None, f"{our_key}: expected None (MOSES NaN), got {got}"
        else:
            assert got == pytest.approx(want, abs=1e-6), f"{our_key}: {got} vs molsets {want}"
    assert m["diversity"] == m["intdiv1"]
    assert m[f"unique@{len(g['generated'])}"] == pytest.approx(g["values"]["unique"], abs=1e-12)
    assert m["intdiv_pairs_sampled"] is False


def test_reference_stats_and_set_train_give_the_same_values(tmp_path: Path) -> None:
    g = _golden()
    direct = library_metrics(g["generated"], g["reference"], g["train_for_novelty"])
    stats = ReferenceStats.from_smiles(g["reference"])
    stats.save(tmp_path / "ref.npz")
    loaded = ReferenceStats.load(tmp_path / "ref.npz")
    train = {Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in g["train_for_novelty"]}
    for ref in (stats, loaded):
        assert library_metrics(g["generated"], ref, train) == direct
    assert loaded.canonical == stats.canonical
    assert loaded.fragments == stats.fragments
    np.testing.assert_array_equal(loaded.fingerprints.packed, stats.fingerprints.packed)


# --------------------------------------------------------------------------- edge cases


def test_invalid_smiles_are_counted() -> None:
    gen = ["CCO", "C1CC", "", "not a smiles", "c1ccccc1", "CCO", None]
    m = library_metrics(gen)  # type: ignore[arg-type]
    assert m["n"] == 7 and m["n_valid"] == 3
    assert m["validity"] == pytest.approx(3 / 7)
    assert m["uniqueness"] == pytest.approx(2 / 3)


def test_uncomputable_metrics_are_none() -> None:
    m = library_metrics(["CCO", "c1ccccc1O"])
    for key in ("novelty", "snn", "frag", "scaf", "w1_logp", "w1_sa", "w1_qed", "w1_mw"):
        assert m[key] is None, key
    assert m["intdiv1"] is not None and m["filters"] is not None

    m = library_metrics(["C1CC", "xyz"], reference=["CCO"], train=["CCO"], k=10)
    assert m["validity"] == 0.0
    for key in ("uniqueness", "unique@10", "novelty", "diversity", "intdiv1", "intdiv2", "snn",
                "frag", "scaf", "filters", "w1_logp", "w1_sa", "w1_qed", "w1_mw"):
        assert m[key] is None, key

    m = library_metrics([], reference=["CCO"])
    assert m["n"] == 0 and m["validity"] is None and m["snn"] is None

    # Scaf needs a scaffold with >= 2 rings on both sides (MOSES gives NaN)
    m = library_metrics(["c1ccc2ccccc2c1", "CCO"], reference=["c1ccccc1C"])
    assert m["scaf"] is None and m["frag"] is not None


def test_moses_filter_rules() -> None:
    assert passes_moses_filters(parse_smiles("CC(=O)Oc1ccccc1C(=O)O"))
    assert not passes_moses_filters(parse_smiles("CC[NH3+]"))  # charge
    assert not passes_moses_filters(parse_smiles("CCP(C)C"))  # atom outside C N S O F Cl Br H
    assert not passes_moses_filters(parse_smiles("C1CCCCCCC1"))  # ring of 8
    assert passes_moses_filters(parse_smiles("C1CCCCCC1"))
    # a user list (e.g. MOSES's mcf.csv) is matched on the molecule with explicit hydrogens
    assert not passes_moses_filters(parse_smiles("CC=O"), ("[#6&!H0]=[#8]",))
    assert not passes_moses_filters(parse_smiles("CCCl"), ("[H]C([H])([#6])[F,Cl,Br,I]",))


def test_pains_screen_agrees_with_filter_catalog() -> None:
    catalog = _pains_catalog()
    mols = [parse_smiles(s) for s in _nci(400)]
    ours = [matches_pains(m) for m in mols]
    theirs = [catalog.HasMatch(m) for m in mols]
    assert ours == theirs
    assert any(ours)  # the sample does contain PAINS hits


# --------------------------------------------------------------------------- kernels


def test_snn_blocked_equals_unblocked_and_rdkit() -> None:
    q_smiles, r_smiles = _nci(150), _nci(400, start=150)
    q, r = _packed(q_smiles), _packed(r_smiles)
    ref = SortedFingerprints.build(r)
    whole = max_tanimoto(q, ref, block_query=10_000, block_reference=10_000)
    blocked = max_tanimoto(q, ref, block_query=7, block_reference=13)
    np.testing.assert_array_equal(whole, blocked)
    np.testing.assert_array_equal(whole, _brute_tanimoto(q, r).max(axis=1))
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    rfps = [gen.GetFingerprint(Chem.MolFromSmiles(s)) for s in r_smiles]
    for i in range(0, 150, 15):
        best = max(DataStructs.BulkTanimotoSimilarity(gen.GetFingerprint(Chem.MolFromSmiles(q_smiles[i])), rfps))
        assert whole[i] == pytest.approx(best, abs=1e-6)


def test_kernels_exact_for_dense_fingerprints() -> None:
    """Fingerprints with > 256 bits on both sides take the float32 path; empty ones give 1."""
    rng = np.random.default_rng(0)
    bits = rng.random((60, 1024)) < rng.uniform(0.02, 0.6, size=(60, 1))
    packed = np.packbits(bits, axis=1)
    packed[0] = 0
    packed[1] = 0
    packed[30] = 0  # empty fingerprints on both sides: MOSES similarity 1
    q, r = packed[:25], packed[25:]
    brute = _brute_tanimoto(q, r)
    got = max_tanimoto(q, SortedFingerprints.build(r), block_query=8, block_reference=8)
    np.testing.assert_array_equal(got, brute.max(axis=1))
    div = internal_diversity(packed, max_pairs=10**9)
    t = _brute_tanimoto(packed, packed).astype(np.float64)
    assert div.values[0] == pytest.approx(1 - t.mean(), abs=1e-9)
    assert div.values[1] == pytest.approx(1 - np.sqrt((t**2).mean(axis=1)).mean(), abs=1e-9)


def test_sampled_intdiv_is_close_to_exact() -> None:
    packed = _packed(_nci(400))
    exact = internal_diversity(packed, max_pairs=10**9)
    assert not exact.sampled and exact.n_used == 400
    sampled = internal_diversity(packed, max_pairs=150**2, rng=np.random.default_rng(1))
    assert sampled.sampled and sampled.n_used == 150
    for e, s in zip(exact.values, sampled.values):
        assert s == pytest.approx(e, abs=0.01)


def test_library_metrics_reports_sampling_and_weights_duplicates() -> None:
    smiles = _nci(120)
    lib = smiles + smiles[:30]  # duplicates count in IntDiv, as in MOSES
    exact = library_metrics(lib)
    assert exact["intdiv_pairs_sampled"] is False and exact["intdiv_n_molecules"] == 150
    t = _brute_tanimoto(_packed(lib), _packed(lib)).astype(np.float64)
    assert exact["intdiv1"] == pytest.approx(1 - t.mean(), abs=1e-9)
    assert exact["intdiv2"] == pytest.approx(1 - np.sqrt((t**2).mean(axis=1)).mean(), abs=1e-9)
    sampled = library_metrics(lib, max_pairs=100**2)
    assert sampled["intdiv_pairs_sampled"] is True and sampled["intdiv_n_molecules"] == 100
    assert sampled["intdiv1"] == pytest.approx(exact["intdiv1"], abs=0.02)


def test_worker_processes_give_the_same_values() -> None:
    lib = _nci(60) + ["C1CC"]
    ref = _nci(80, start=60)
    one = library_metrics(lib, ref, ref, k=50, n_jobs=1, chunk_size=16)
    two = library_metrics(lib, ref, ref, k=50, n_jobs=2, chunk_size=16)
    assert one == two
