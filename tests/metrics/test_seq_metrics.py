import numpy as np
import pytest

from seqmbo.metrics import distance_matrix, mean_pairwise_distance, nearest_distance
from seqmbo.metrics.run_metrics import library_metrics, proxy_metrics, score_metrics
from seqmbo.spaces import dna


def test_hamming_and_levenshtein():
    assert distance_matrix(["AAAA", "AATT"], ["AAAA", "TTTT"]).tolist() == [[0, 4], [2, 2]]
    assert distance_matrix(["AAAA"], ["AAA", "AAAAT"]).tolist() == [[1, 1]]
    assert mean_pairwise_distance(["AAAA", "AATT", "TTTT"]) == pytest.approx((2 + 4 + 2) / 3)
    assert np.isnan(mean_pairwise_distance(["A"]))
    assert nearest_distance(["AAAA", "CCCC"], ["AAAT", "GGGG", "CCCC"]).tolist() == [1, 0]


def test_score_metrics_normalize_and_count_invalid_as_min():
    y = np.array([1.0, 3.0, np.nan, 2.0])
    m = score_metrics(y, lambda v: (v - 0.0) / 4.0, y_min=0.0)
    assert m["score_p100"] == 3.0 and m["score_norm_p100"] == 0.75
    assert m["score_p50"] == 1.5 and m["score_mean"] == 1.5


def test_proxy_metrics():
    m = proxy_metrics(np.array([1.0, 2.0, 3.0, 10.0]), np.array([0.5, 1.0, 2.0, np.nan]))
    assert m["proxy_spearman"] == pytest.approx(1.0)
    assert m["proxy_overestimate"] == pytest.approx(((0.5) + 1.0 + 1.0) / 3)


def test_library_metrics_for_sequences():
    m = library_metrics(dna(4), ["AAAA", "AATT", "AATT"], ["AAAC"], np.array([True, True, False]))
    assert m["validity"] == pytest.approx(2 / 3) and m["uniqueness"] == pytest.approx(2 / 3)
    assert m["diversity"] == pytest.approx((2 + 2 + 0) / 3)
    assert m["novelty"] == 1.0  # the fraction of candidates not in the offline set
    assert m["novelty_distance"] == pytest.approx((1 + 2 + 2) / 3)
    m = library_metrics(dna(4), ["AAAC", "AATT"], ["AAAC"], np.array([True, True]))
    assert m["novelty"] == 0.5 and m["novelty_distance"] == pytest.approx(1.0)


def test_distance_matrix_blocks_cover_each_row_once():
    rng = np.random.default_rng(0)
    a = ["".join(rng.choice(list("ACGT"), 6)) for _ in range(301)]
    b = ["".join(rng.choice(list("ACGT"), 6)) for _ in range(57)]
    naive = np.array([[sum(x != y for x, y in zip(p, q)) for q in b] for p in a])
    for block in (1, 7, 64, 4096):
        assert (distance_matrix(a, b, block=block) == naive).all()
