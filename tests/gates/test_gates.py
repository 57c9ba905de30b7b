import numpy as np
import pytest

from seqmbo.gates import AllOf, BigramSupport, MedChemFilters, MinDistance, Novel, Unique, Valid, select_diverse
from seqmbo.spaces import MoleculeSpace, dna


def test_valid_unique_novel_compose():
    space = dna(3)
    designs = ["AAA", "AAA", "ACG", "ANA", "CCC", "GGG"]
    gate = AllOf(Valid(space), Unique(), Novel(1, space))
    assert gate(designs, ["CCC"]).tolist() == [True, False, True, False, False, True]


def test_novel_with_distance():
    space = dna(4)
    mask = Novel(2, space)(["AAAA", "AAAT", "TTTT"], ["AAAC"])
    assert mask.tolist() == [False, False, True]


def test_min_distance_selection_keeps_the_first_of_near_duplicates():
    designs = ["AAAA", "AAAT", "TTTT", "TTTA", "CCCC"]
    assert MinDistance(2, dna(4))(designs).tolist() == [True, False, True, False, True]
    # Levenshtein for variable length
    assert MinDistance(2, dna(min_length=1, max_length=4))(["AAAA", "AAA", "CC"]).tolist() == [True, False, True]
    with pytest.raises(TypeError, match="needs the design space"):
        MinDistance(2, None)


def test_bigram_support():
    space = dna(4)
    gate = BigramSupport(["ACGT", "AACC"], space)
    # seen pairs: AC CG GT AA CC
    assert gate(["AACG", "ACGA", "GTAC"]).tolist() == [True, False, False]
    assert 0 < gate.coverage < 1
    assert gate([]).shape == (0,)


def test_select_diverse_mixes_diverse_picks_and_the_best_rest():
    ranked = ["AAAA", "AAAT", "AATT", "TTTT", "TTTA", "CCCC"]
    space = dna(4)
    # two diverse picks at distance >= 3 (AAAA, TTTT), then the best of the rest (AAAT), in rank order
    assert select_diverse(ranked, 3, 3, diverse=2, space=space) == ["AAAA", "AAAT", "TTTT"]
    # all diverse: AAAA, TTTT, CCCC
    assert select_diverse(ranked, 3, 3, space=space) == ["AAAA", "TTTT", "CCCC"]
    # too few diverse designs: filled with the best remaining
    assert select_diverse(["AAAA", "AAAT"], 2, 3, space=space) == ["AAAA", "AAAT"]


def test_double_stranded_space_treats_a_design_and_its_reverse_complement_as_one():
    from seqmbo.metrics.distance import distance_matrix, nearest_distance
    from seqmbo.spaces import SequenceSpace

    ds = SequenceSpace.fixed("ACGT", 6, "dna", reverse_complement=True)
    a = ["AACGTT", "AAAAAA", "GATACC"]  # AACGTT is its own reverse complement
    b = ["TTTTTT", "GGTATC", "AACGTA"]
    plain = distance_matrix(a, b, dna(6))
    both = distance_matrix(a, b, ds)
    assert plain.tolist() == [[4, 5, 1], [6, 5, 3], [5, 2, 5]]
    assert both.tolist() == [[4, 5, 1], [0, 4, 3], [4, 0, 5]]  # TTTTTT = rc(AAAAAA), GGTATC = rc(GATACC)
    assert nearest_distance(a, b, ds).tolist() == [1, 0, 0]
    assert Novel(1, ds)(a, b).tolist() == [True, False, False] and Novel(1, dna(6))(a, b).all()
    assert MinDistance(1, ds)(["GATACC", "GGTATC", "GATACA"]).tolist() == [True, False, True]


# ---------------------------------------------------------------- molecules: Tanimoto distance, chemistry

RANKED = ["CCCCCCO", "CCCCCCCO", "CCCCCCN", "c1ccccc1O", "Cc1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "COc1ccc(NC(C)=O)cc1"]


@pytest.fixture(scope="module")
def mol_space():
    return MoleculeSpace.from_smiles(["CCO", "c1ccccc1O"])


def test_min_distance_on_molecules_is_a_tanimoto_threshold(mol_space):
    d = mol_space.distance(RANKED, RANKED)
    assert d[0, 1] == 0.0  # hexanol and heptanol share every Morgan (r=2) bit
    assert d[5, 6] == pytest.approx(1 - 15 / 26)  # paracetamol and its methyl ether: 15 of 26 bits shared
    assert MinDistance(0.5, mol_space)(RANKED).tolist() == [True, False, True, True, True, True, False]
    assert MinDistance(0.3, mol_space)(RANKED).tolist() == [True, False, True, True, True, True, True]
    picks = select_diverse(RANKED, 4, 0.5, space=mol_space)
    assert picks == ["CCCCCCO", "CCCCCCN", "c1ccccc1O", "Cc1ccccc1O"]
    pd = mol_space.distance(picks, picks)
    assert pd[np.triu_indices(len(picks), 1)].min() >= 0.5  # no two picks closer than the threshold


def test_novel_on_molecules(mol_space):
    offline = ["CCCCCCO", "c1ccccc1O"]
    designs = ["CCCCCCCO", "Nc1ccccc1", "CCCCCCO"]
    assert Novel(1, mol_space)(designs, offline).tolist() == [True, True, False]  # not on file
    # Tanimoto distance to the nearest offline molecule: 0, 0.62 and 0
    assert Novel(0.5, mol_space)(designs, offline).tolist() == [False, True, False]
    assert Novel(0.7, mol_space)(designs, offline).tolist() == [False, False, False]


def test_unique_and_novel_compare_molecules_by_their_canonical_form(mol_space):
    # "OCCCCCC" is hexanol written another way: on file, and a repeat of the first design
    assert Novel(1, mol_space)(["OCCCCCC", "CCCCCCCO"], ["CCCCCCO"]).tolist() == [False, True]
    assert Unique(mol_space)(["CCCCCCO", "OCCCCCC", "c1ccccc1O"]).tolist() == [True, False, True]
    assert Unique()(["CCCCCCO", "OCCCCCC"]).tolist() == [True, True]  # without a space: the strings
    # a neutralizing space: the phenolate is the phenol on file (one oracle-cache key, one design)
    neutral = MoleculeSpace.from_smiles(["CCO", "c1ccccc1O"], standardize=("neutralize",))
    assert Novel(1, neutral)(["[O-]c1ccccc1", "Cc1ccccc1O"], ["Oc1ccccc1"]).tolist() == [False, True]
    assert Unique(neutral)(["c1ccccc1O", "[O-]c1ccccc1"]).tolist() == [True, False]
    assert Novel(1, mol_space)(["[O-]c1ccccc1"], ["Oc1ccccc1"]).tolist() == [True]  # kept apart without it


def test_medchem_filters(mol_space):
    smiles = [
        "CC(=O)Nc1ccc(O)cc1",          # paracetamol: passes
        "CC(C)Cc1ccc(C(C)C(=O)O)cc1",  # ibuprofen: passes
        "S=C1SC(=Cc2ccccc2)C(=O)N1",   # ene-rhodanine: PAINS
        "O=C1C=CC(=O)C=C1",            # quinone: PAINS
        "CC[NH3+]",                    # formal charge
        "C1CCCCCCC1",                  # ring of eight
        "CCP(C)C",                     # phosphorus
        "not a smiles",
        "",
    ]
    expected = [True, True, False, False, False, False, False, False, False]
    assert MedChemFilters(mol_space)(smiles).tolist() == expected
    memo = mol_space.memo("filters()")
    assert {d: memo[d] for d in smiles[:3]} == dict(zip(smiles[:3], expected))  # remembered on the space
    assert MedChemFilters(mol_space)(smiles[::-1]).tolist() == expected[::-1]  # from the memo, same verdicts
    assert MedChemFilters(mol_space, ["C(=O)N"])(smiles[:2]).tolist() == [False, True]  # its own memo
    assert MedChemFilters()(smiles).tolist() == expected  # without a space: parsed here
    assert MedChemFilters(extra_smarts=["C(=O)N"])(smiles[:2]).tolist() == [False, True]
    assert MedChemFilters().name == "filters"


def test_all_of_counts_what_each_gate_removed(mol_space):
    designs = ["CCCCCCO", "xyz", "CCCCCCO", "OCCO", "O=C1C=CC(=O)C=C1", "CCCCCCCO", "Nc1ccccc1", "CC[NH3+]"]
    gates = AllOf(Valid(mol_space), Unique(), Novel(1, mol_space), MedChemFilters(mol_space), MinDistance(0.5, mol_space))
    mask = gates(designs, ["OCCO"])
    assert mask.tolist() == [True, False, False, False, False, False, True, False]
    assert gates.removed == {"valid": 1, "unique": 1, "novel": 1, "filters": 2, "diverse": 1}
    assert sum(gates.removed.values()) == len(designs) - mask.sum()
    support = BigramSupport(["ACGT"], dna(4))
    seq = AllOf(Valid(dna(4)), Unique(), support)
    assert seq(["ACGT", "ACGT", "AXGT", "TTTT"]).tolist() == [True, False, False, False]
    assert seq.removed == {"valid": 1, "unique": 1, "support": 1}
    seq([])
    assert seq.removed == {"valid": 0, "unique": 0, "support": 0}  # counts are per call
