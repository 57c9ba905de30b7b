import numpy as np
import pytest

from seqmbo.errors import OracleSealedError
from seqmbo.oracles import LookupOracle, SealedOracle
from seqmbo.spaces import SequenceSpace, dna


def test_lookup_oracle_fixed_length_table():
    space = dna(2)
    designs = [a + b for a in "ACGT" for b in "ACGT"]
    y = np.arange(16, dtype=float)
    o = LookupOracle(designs, y, space)
    assert o.size == 16
    got = o(["AA", "TT", "GC", "AN", "ACG"])
    assert got[:3].tolist() == [0.0, 15.0, 9.0]
    assert np.isnan(got[3]) and np.isnan(got[4])


def test_lookup_oracle_dict_fallback():
    space = SequenceSpace("AB", 1, 3)
    o = LookupOracle(["A", "AB", "BBB"], np.array([1.0, 2.0, 3.0]), space)
    assert o(["AB", "BBB", "B"])[:2].tolist() == [2.0, 3.0]
    assert np.isnan(o(["B"])[0])


def test_sealed_oracle_counts_and_refuses():
    o = SealedOracle(LookupOracle(["A", "B"], np.array([1.0, 2.0])))
    assert o(["A"]).tolist() == [1.0] and o.calls == 1
    with o.sealed():
        with pytest.raises(OracleSealedError, match="design phase"):
            o(["A", "B"])
    assert o.design_calls == 2 and o.calls == 1
    assert o(["B"]).tolist() == [2.0]
