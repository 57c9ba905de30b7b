import numpy as np
import pytest

from seqmbo.errors import InvalidInputError
from seqmbo.spaces import PAD, SequenceSpace, dna, protein


def test_dna_encode_decode_round_trip():
    s = dna(8)
    designs = ["ACGTACGT", "TTTTAAAA"]
    ids = s.encode(designs)
    assert ids.tolist() == [[0, 1, 2, 3, 0, 1, 2, 3], [3, 3, 3, 3, 0, 0, 0, 0]]
    assert s.decode(ids) == designs


def test_one_hot_shape_and_padding():
    s = SequenceSpace("AB", 1, 4)
    x = s.one_hot(["AB", "BBBA"])
    assert tuple(x.shape) == (2, 4, 2)
    assert x[0, :2].argmax(1).tolist() == [0, 1]
    assert float(x[0, 2:].sum()) == 0.0
    assert s.encode(["AB"])[0].tolist() == [0, 1, PAD, PAD]


def test_validation_names_design_and_position():
    s = dna(4)
    with pytest.raises(InvalidInputError, match=r"design 2 .*letter 'N' at position 3"):
        s.validate(["ACGT", "ACNT"])
    with pytest.raises(InvalidInputError, match=r"design 1 .*length 3, expected 4"):
        s.validate(["ACG"])
    assert s.is_valid(["ACGT", "acgt", "ACGTA"]).tolist() == [True, False, False]


def test_protein_alphabet_and_variable_length():
    p = protein(min_length=2, max_length=5)
    assert p.vocab_size == 20
    assert p.is_valid(["AC", "ACDEF", "A", "ACDEFG", "ACB"]).tolist() == [True, True, False, False, False]
    assert "B" in p.problem("ACB")


def test_sample_is_reproducible_and_in_space():
    s = protein(min_length=3, max_length=6)
    a = s.sample(50, np.random.default_rng(1))
    b = s.sample(50, np.random.default_rng(1))
    assert a == b
    assert s.is_valid(a).all()
    assert {len(x) for x in a} <= set(range(3, 7))


def test_bad_space_definitions():
    with pytest.raises(InvalidInputError):
        SequenceSpace("AAB", 1, 2)
    with pytest.raises(InvalidInputError):
        SequenceSpace("AB", 3, 2)
