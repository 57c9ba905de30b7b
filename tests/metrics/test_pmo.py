"""PMO's AUC of the top-k mean, checked against hand computations."""

import math

import numpy as np
import pytest

from seqmbo.metrics.pmo import auc_top_k, top_k_mean_curve


def test_auc_matches_a_hand_computation():
    # top-2 mean after 2 calls: (1+3)/2 = 2; after 4: (5+3)/2 = 4; held at 4 from call 4 to the budget 6
    # area = 2*(0+2)/2 + 2*(2+4)/2 + 2*4 = 2 + 6 + 8 = 16 -> 16/6
    assert auc_top_k([1, 3, 2, 5], budget=6, k=2, freq=2) == pytest.approx(16 / 6)


def test_partial_last_interval_invalid_as_zero_and_budget_cut():
    # calls 2 and 3: top-2 means 2 and 2.5; area 2 + 1*(2+2.5)/2 = 4.25 over 3 calls
    assert auc_top_k([1, 3, 2], budget=3, k=2, freq=2) == pytest.approx(4.25 / 3)
    calls, means = top_k_mean_curve([float("nan"), 4, 2], k=2, freq=2)
    assert calls.tolist() == [2, 3] and means.tolist() == [2.0, 3.0]  # nan counts as 0
    assert auc_top_k([1, 3, 2, 100], budget=3, k=2, freq=2) == pytest.approx(4.25 / 3)  # beyond the budget: ignored
    assert auc_top_k([], budget=10) == 0.0


def test_constant_optimum_from_the_first_call_gives_nearly_one():
    # PMO's curve starts at 0 at 0 calls: a first sample after 100 calls loses half of that interval
    y = np.ones(1000)
    assert auc_top_k(y, budget=1000) == pytest.approx(1 - 50 / 1000)
    assert math.isclose(auc_top_k(y[:500], budget=1000), 1 - 50 / 1000)
