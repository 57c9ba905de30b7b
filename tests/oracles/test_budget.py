"""Cached and Budgeted oracles: each design scored once (by canonical form), calls capped."""

import numpy as np
import pytest

from seqmbo.oracles.budget import Budgeted, BudgetSpentError, Cached
from seqmbo.spaces.base import space_key


class Counting:
    def __init__(self):
        self.seen = []

    def __call__(self, designs):
        self.seen += list(designs)
        return np.array([float(len(d)) for d in designs])


def test_cache_sends_each_design_once_and_budget_counts_only_new_ones():
    inner = Counting()
    oracle = Cached(Budgeted(inner, budget=4))
    np.testing.assert_array_equal(oracle(["AC", "ACG", "AC"]), [2, 3, 2])
    np.testing.assert_array_equal(oracle(["ACG", "A"]), [3, 1])
    assert inner.seen == ["AC", "ACG", "A"] and oracle.oracle.calls == 3 and oracle.oracle.remaining == 1
    assert [lab.design for lab in oracle.history] == ["AC", "ACG", "A"]
    with pytest.raises(BudgetSpentError, match="budget of 4 calls has 1 left; 2 designs"):
        oracle(["CC", "GG"])
    assert oracle.oracle.calls == 3 and "CC" not in oracle
    np.testing.assert_array_equal(oracle(["CC", "AC"]), [2, 2])
    assert oracle.oracle.remaining == 0


def test_molecules_are_cached_by_canonical_smiles():
    from seqmbo.spaces.molecule import MoleculeSpace

    inner = Counting()
    oracle = Cached(Budgeted(inner), key=space_key(MoleculeSpace(("[C]",))))
    oracle(["OCC"])
    y = oracle(["CCO", "C(O)C", "c1ccccc1"])
    assert inner.seen == ["OCC", "c1ccccc1"]  # ethanol written three ways reaches the oracle once
    np.testing.assert_array_equal(y, [3, 3, 8])
