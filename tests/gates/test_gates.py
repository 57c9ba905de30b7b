from seqmbo.gates import AllOf, BigramSupport, MinDistance, Novel, Unique, Valid
from seqmbo.spaces import dna


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
    assert MinDistance(2)(designs).tolist() == [True, False, True, False, True]
    # Levenshtein for variable length
    assert MinDistance(2)(["AAAA", "AAA", "CC"]).tolist() == [True, False, True]


def test_bigram_support():
    space = dna(4)
    gate = BigramSupport(["ACGT", "AACC"], space)
    # seen pairs: AC CG GT AA CC
    assert gate(["AACG", "ACGA", "GTAC"]).tolist() == [True, False, False]
    assert 0 < gate.coverage < 1
    assert gate([]).shape == (0,)


def test_select_diverse_mixes_diverse_picks_and_the_best_rest():
    from seqmbo.gates import select_diverse

    ranked = ["AAAA", "AAAT", "AATT", "TTTT", "TTTA", "CCCC"]
    # two diverse picks at distance >= 3 (AAAA, TTTT), then the best of the rest (AAAT), in rank order
    assert select_diverse(ranked, 3, 3, diverse=2) == ["AAAA", "AAAT", "TTTT"]
    # all diverse: AAAA, TTTT, CCCC
    assert select_diverse(ranked, 3, 3) == ["AAAA", "TTTT", "CCCC"]
    # too few diverse designs: filled with the best remaining
    assert select_diverse(["AAAA", "AAAT"], 2, 3) == ["AAAA", "AAAT"]


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
