"""MoleculeSpace: SMILES outside, SELFIES tokens inside; the token interface of SequenceSpace."""

import pickle
import subprocess
import sys

import numpy as np
import pytest

from seqmbo.errors import InvalidInputError
from seqmbo.spaces import PAD, MoleculeSpace

LIBRARY = [
    "CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CN1CCC[C@H]1c1cccnc1", "O=C(O)c1ccccc1OC(C)=O",
    "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "Clc1ccc(Br)cc1F", "C#N", "CS(=O)(=O)N", "C[N+](C)(C)C",
    "OC[C@H]1OC(O)[C@H](O)[C@@H](O)[C@@H]1O", "c1ccc2[nH]ccc2c1", "CC(C)(C)OC(=O)N1CCCC1", "ICCP(=O)(O)O",
]


@pytest.fixture(scope="module")
def space():
    return MoleculeSpace.from_smiles(LIBRARY)


def test_token_interface(space):
    assert space.kind == "molecule" and not space.is_fixed_length
    assert space.vocab_size == len(space.alphabet) == len(set(space.alphabet))
    assert list(space.alphabet) == sorted(space.alphabet)
    assert "[Branch1]" in space.alphabet and "[Ring1]" in space.alphabet and "[Cl]" in space.alphabet
    assert "[Na]" not in space.alphabet  # only elements present in the data
    assert space.min_length == 1 and space.max_length >= 20
    ids = space.encode(LIBRARY + ["not a smiles"])
    assert ids.shape == (len(LIBRARY) + 1, space.max_length) and ids.dtype == np.int64
    assert (ids[-1] == PAD).all()  # invalid design -> empty row
    assert ((ids >= -1) & (ids < space.vocab_size)).all()
    assert "SELFIES" in space.describe()


def test_round_trip_is_canonical(space):
    raw = ["OCC", "C1=CC=CC=C1O", "OC(=O)C1=CC=CC=C1OC(C)=O", "C1CCN(C(=O)OC(C)(C)C)C1"] + LIBRARY
    decoded = space.decode(space.encode(raw))
    canon = [space.canonical(s) for s in raw]
    assert decoded == canon
    assert decoded[0] == "CCO" and decoded[1] == "Oc1ccccc1"
    assert space.canonical("OCC") == "CCO" and space.canonical("nonsense(") is None


def test_every_token_sequence_decodes_to_a_valid_molecule(space):
    rng = np.random.default_rng(0)
    ids = rng.integers(0, space.vocab_size, size=(2000, space.max_length))
    lengths = rng.integers(1, space.max_length + 1, size=2000)
    ids[np.arange(space.max_length)[None, :] >= lengths[:, None]] = PAD
    decoded = space.decode(ids)
    nonempty = [d for d in decoded if d]
    assert len(nonempty) > 1900  # only all-branch/ring sequences decode to nothing
    assert space.is_valid(nonempty).all()
    assert all(space.canonical(d) == d for d in nonempty[:200])
    from rdkit import Chem

    # explicit-hydrogen tokens ([C@H1], [NH1]) with free valence are closed with H, not left as radicals
    assert not any(a.GetNumRadicalElectrons() for d in nonempty for a in Chem.MolFromSmiles(d).GetAtoms())
    nh = space.alphabet.index("[C@H1]")
    assert space.decode(np.array([[nh, PAD]])) == ["C"]
    assert space.decode(np.array([[space.alphabet.index("[Branch1]"), PAD]])) == [""]


def test_sample(space):
    out = space.sample(300, np.random.default_rng(1))
    assert len(out) == 300 and space.is_valid(out).all()
    again = space.sample(300, np.random.default_rng(1))
    assert out == again


def test_validity_and_problems():
    space = MoleculeSpace.from_smiles(LIBRARY[:4], max_heavy_atoms=12, max_selfies_length=30)
    assert space.problem("CCO") is None
    assert "not a valid SMILES" in space.problem("C1CC")
    assert "not a valid SMILES" in space.problem("C(C)(C)(C)(C)C")  # pentavalent carbon
    assert "empty" in space.problem("")
    assert "not a string" in space.problem(None)
    assert "heavy atoms" in space.problem("CCCCCCCCCCCCCCCCCC")
    assert space.max_length == 30
    mask = space.is_valid(["CCO", "xyz", "", "CCCCCCCCCCCCCCCCCC"])
    assert mask.tolist() == [True, False, False, False]
    with pytest.raises(InvalidInputError, match=r"design 2 .*not a valid SMILES"):
        space.validate(["CCO", "C1CC"], "candidates")
    with pytest.raises(TypeError):
        space.is_valid("CCO")


def test_from_smiles_errors_and_skips():
    with pytest.raises(InvalidInputError, match=r"molecule 2 .*not a valid SMILES"):
        MoleculeSpace.from_smiles(["CCO", "C1CC", "CCN"])
    space = MoleculeSpace.from_smiles(["CCO", "C1CC", "CCN"], skip_invalid=True)
    assert space.is_valid(["CCO", "CCN"]).all()
    with pytest.raises(InvalidInputError):
        MoleculeSpace.from_smiles(["C1CC"], skip_invalid=True)
    with pytest.raises(InvalidInputError, match="standardization"):
        MoleculeSpace(("[C]",), standardize=("tautomer",))


def test_standardization_options():
    plain = MoleculeSpace.from_smiles(["CCO"])
    assert plain.canonical("CCO.[Na+].[Cl-]") == "CCO.[Cl-].[Na+]"
    frag = MoleculeSpace.from_smiles(["CCO"], standardize=["largest_fragment"])
    assert frag.canonical("CCO.[Na+].[Cl-]") == "CCO"
    both = MoleculeSpace.from_smiles(["CC(=O)O"], standardize=["largest_fragment", "neutralize"])
    assert both.canonical("CC(=O)[O-].[Na+]") == "CC(=O)O"
    assert both.canonical("C[NH3+]") == "CN"
    assert both.decode(both.encode(["[Na+].CC(=O)[O-]"])) == ["CC(=O)O"]


def test_importing_spaces_does_not_import_rdkit():
    code = "import sys, seqmbo.spaces; assert 'rdkit' not in sys.modules and 'selfies' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pickles_without_its_memos():
    import pickle

    space = MoleculeSpace.from_smiles(LIBRARY, standardize=["largest_fragment"])
    space.decode(space.encode(LIBRARY))
    space.is_valid(LIBRARY)
    clone = pickle.loads(pickle.dumps(space))
    assert not clone._mols and not clone._valid and not clone._canon
    assert clone.alphabet == space.alphabet and clone.canonical("CCO.[Na+]") == "CCO"
    assert clone.decode(clone.encode(["OCC"])) == ["CCO"]


def test_index_symbols_are_not_atoms_no_phosphorus_from_nowhere():
    """[P] after [Branch1] is an index symbol (15), not phosphorus: a space built from molecules
    without phosphorus must not offer phosphorus atoms ([=P], [#P], [PH1], ...)."""
    import selfies as sf

    from seqmbo.spaces.molecule import MoleculeSpace, atom_elements

    smiles = "C(CCCCCCCCCCCCCCCC)O"  # a 16-atom branch: its length is written with the index symbol [P]
    tokens = list(sf.split_selfies(sf.encoder(smiles)))
    assert tokens[:3] == ["[C]", "[Branch1]", "[P]"]
    assert atom_elements(tokens) == {"C", "O"}
    assert atom_elements(["[C]", "[Ring1]", "[S]", "[P]"]) == {"C", "P"}  # [S] is the ring's index, [P] an atom
    space = MoleculeSpace.from_tokens([tokens, list(sf.split_selfies(sf.encoder("c1ccccc1CCN")))])
    assert [t for t in space.alphabet if "P" in t] == ["[P]"]  # kept to encode the data, but no P chemistry
    assert space.canonical(space.decode(space.encode([smiles]))[0]) == space.canonical(smiles)


def test_a_design_is_parsed_once_along_a_run(monkeypatch):
    """Validity, canonical form, proxy features, oracle, distances and metrics share one parse."""
    from collections import Counter

    from rdkit import Chem

    from seqmbo.encoders.graphs import smiles_to_graphs
    from seqmbo.metrics.run_metrics import library_metrics
    from seqmbo.oracles.molecules import get_molecule_oracle
    from seqmbo.proxies.molecule_models import morgan_fingerprints
    from seqmbo.spaces.molecule import parser_of

    space = MoleculeSpace.from_smiles(LIBRARY, standardize=["neutralize"], max_heavy_atoms=40)
    offline = [space.canonical(s) for s in LIBRARY]
    designs = ["CCN", "Nc1ccccc1", "CNC(C)=O", "OCCOCCO"]  # canonical, as a run's designs are
    calls: Counter[str] = Counter()
    original = Chem.MolFromSmiles

    def counting(smiles, *args, **kwargs):
        calls[smiles] += 1
        return original(smiles, *args, **kwargs)

    monkeypatch.setattr(Chem, "MolFromSmiles", counting)
    assert space.is_valid(designs).all() and [space.canonical(d) for d in designs] == designs
    morgan_fingerprints(designs, parse=parser_of(space))
    smiles_to_graphs(designs, parse=parser_of(space))
    oracle = get_molecule_oracle("qed")
    oracle.parse = space.mol
    assert np.isfinite(oracle(designs)).all()
    space.distance(designs, designs)
    space.nearest_distance(designs, offline)
    out = library_metrics(space, designs, offline, np.ones(len(designs), dtype=bool))
    assert out["novelty"] == 1.0 and 0 < out["novelty_distance"] <= 1 and 0 < out["intdiv1"] <= 1
    assert {d: calls[d] for d in designs} == dict.fromkeys(designs, 1)
    assert space.is_valid(designs * 3).all() and calls[designs[0]] == 1  # validity is memoised too


def test_molecule_cache_is_bounded(monkeypatch):
    import seqmbo.spaces.molecule as module

    monkeypatch.setattr(module, "MOL_CACHE_SIZE", 3)
    space = MoleculeSpace.from_smiles(LIBRARY)
    first = space.mol("CCO")
    for s in ["CCN", "CCC", "CCCl"]:
        space.mol(s)
    assert len(space._mols) == 3 and "CCO" not in space._mols  # least recently used goes first
    assert space.mol("CCCl") is space.mol("CCCl") and space.mol("CCO") is not first
    assert space.mol(None) is None and space.mol("xyz") is None


def test_tanimoto_distances():
    from rdkit import DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    space = MoleculeSpace.from_smiles(LIBRARY)
    a, b = ["CCO", "c1ccccc1O", "not a smiles"], ["CCO", "CC(=O)O", "c1ccccc1N"]
    d = space.distance(a, b)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    fps = {s: gen.GetFingerprint(space.mol(s)) for s in a[:2] + b}
    for i, x in enumerate(a[:2]):
        for j, y in enumerate(b):
            assert d[i, j] == pytest.approx(1 - DataStructs.TanimotoSimilarity(fps[x], fps[y]), abs=1e-6)
    assert d[0, 0] == 0.0 and (d[2] == 1.0).all()  # an unparsable design is at distance 1
    np.testing.assert_allclose(space.nearest_distance(a, b), d.min(1), atol=1e-6)
    assert np.isnan(space.nearest_distance(a, [])).all()


def test_fingerprints_are_remembered_and_equal_to_fresh_ones():
    from seqmbo.metrics.mol_chem import packed_fingerprints
    from seqmbo.spaces.molecule import parse_smiles

    smiles = ["CCO", "c1ccccc1O", "not a smiles", "CCN", "CCO"]
    space = MoleculeSpace.from_smiles(["CCO", "CCN"])
    fresh = packed_fingerprints([parse_smiles(s) for s in smiles])
    np.testing.assert_array_equal(space.fingerprints(smiles), fresh)
    assert len(space.memo("fingerprints")) == 4
    np.testing.assert_array_equal(space.fingerprints(smiles[::-1]), fresh[::-1])  # from the memo
    assert space.fingerprints([]).shape == (0, 128) and not fresh[2].any()
    assert pickle.loads(pickle.dumps(space))._memos == {}  # memos are not pickled


def test_elements_count_atom_tokens_not_index_symbols():
    from selfies.grammar_rules import INDEX_ALPHABET

    from seqmbo.spaces.molecule import INDEX_SYMBOLS

    assert INDEX_SYMBOLS == set(INDEX_ALPHABET)
    assert MoleculeSpace.from_smiles(["CCO", "c1ccccc1Cl", "CN"]).elements() == ("C", "Cl", "N", "O")
    assert "P" in MoleculeSpace.from_smiles(["CCO", "CP(=O)(O)O"]).elements()
    # after a branch or ring token [P] and [S] are numbers, not phosphorus and sulfur
    assert MoleculeSpace(("[Branch1]", "[C]", "[P]", "[S]", "[=O]"), 1, 10).elements() == ("C", "O")
    assert MoleculeSpace(("[Branch1]", "[C]", "[P]", "[=P]"), 1, 10).elements() == ("C", "P")
