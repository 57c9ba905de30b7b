"""Pareto tools and the Off-MOO-Bench metrics against hand-computed values."""

import numpy as np
import pytest

from seqmbo.metrics.pareto import pareto_metrics, percentile_subset
from seqmbo.pareto import crowding_distance, hypervolume, nondominated_ranks, nsga_order, pareto_mask

pytest.importorskip("botorch")


def brute_ranks(Y):
    dom = (Y[:, None] >= Y[None]).all(-1) & (Y[:, None] > Y[None]).any(-1)
    ranks, left, level = np.full(len(Y), -1), np.ones(len(Y), bool), 0
    while left.any():
        front = left & ~dom[left].any(0)
        ranks[front], left, level = level, left & ~front, level + 1
    return ranks


def test_ranks_by_hand_with_ties_and_nan():
    Y = np.array([[1, 2], [2, 1], [0.5, 0.5], [1, 2], [np.nan, 3], [0, 0]])
    assert nondominated_ranks(Y).tolist() == [0, 0, 1, 0, 3, 2]
    assert pareto_mask(Y).tolist() == [True, True, False, True, False, False]


@pytest.mark.parametrize("m", [2, 3, 4])
def test_ranks_match_brute_force(m):
    rng = np.random.default_rng(m)
    for Y in (rng.random((200, m)), rng.integers(0, 4, (200, m)).astype(float)):
        assert (nondominated_ranks(Y, block=17) == brute_ranks(Y)).all()


def test_limit_sorts_only_the_best_fronts():
    Y = np.random.default_rng(0).random((300, 3))
    full, part = nondominated_ranks(Y), nondominated_ranks(Y, limit=30)
    k = part.max()
    assert (part[full < k] == full[full < k]).all() and (part[full >= k] == k).all()
    assert (full < k).sum() >= 30


def test_hypervolume_by_hand():
    assert hypervolume(np.array([[1, 3], [2, 2], [3, 1], [1, 1]]), np.zeros(2)) == pytest.approx(6.0)
    assert hypervolume(np.array([[1, 1, 1], [2, 0.5, 0.5]]), np.zeros(3)) == pytest.approx(1.25)
    assert hypervolume(np.array([[-1, 5]]), np.zeros(2)) == 0.0  # not beyond the reference point


def test_crowding_and_nsga_order():
    Y = np.array([[1, 0], [0, 1], [0.5, 0.5], [0, 0]])
    assert crowding_distance(Y[:3]).tolist() == [np.inf, np.inf, 2.0]
    assert nsga_order(Y).tolist() == [0, 1, 2, 3]


def test_off_moo_bench_metrics_by_hand():
    Y = np.array([[1, 0], [0, 1], [0.5, 0.5], [0, 0]])
    offline = np.array([[0.2, 0.2], [0.1, 0.3]])
    m = pareto_metrics(Y, offline, np.zeros(2), np.ones(2))
    assert m["hv_p100"] == pytest.approx(0.46)  # 0.5*0.1 + 0.5*0.6 + 0.1*1.1 above (-0.1, -0.1)
    assert m["hv_p75"] == pytest.approx(0.41)
    assert m["hv_p50"] == pytest.approx(0.36)
    assert m["pareto_size"] == 3
    assert m["dataset_hv"] == pytest.approx(0.3 * 0.3 + 0.2 * 0.1)  # (0.2,0.2) and (0.1,0.3)
    assert m["pareto_beyond_offline"] == 3  # (0, 0) is dominated by the offline (0.2, 0.2)
    assert len(percentile_subset(Y, 50)) == 2


def test_normalization_uses_the_given_bounds():
    Y = np.array([[10.0, 100.0]])
    m = pareto_metrics(Y, Y, np.array([0.0, 0.0]), np.array([10.0, 100.0]))
    assert m["hv_p100"] == pytest.approx(1.1 * 1.1)
