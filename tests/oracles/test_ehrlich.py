"""Ehrlich functions: holo reference values, hand-checked quantization, generator guarantees."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from seqmbo.errors import InvalidInputError
from seqmbo.oracles.ehrlich import ALPHABET, EhrlichFunction, EhrlichOracle
from tests.conftest import reference_file

REFERENCE_FILE = "ehrlich_holo_v0.0.5.json"


def _reference() -> dict:
    return json.loads(reference_file(REFERENCE_FILE).read_text())


@pytest.fixture(scope="module")
def reference() -> dict:
    return _reference()


# ---------------------------------------------------------------- holo reference values
@pytest.mark.parametrize("index", range(8))
def test_reference_values_reproduced_exactly(reference: dict, index: int) -> None:
    inst = reference["instances"][index]
    f = EhrlichFunction.from_dict(inst)
    x = np.asarray(inst["sequences"])
    ref = np.asarray(inst["values"], dtype=np.float64)
    got = f.score_tokens(x)
    assert len(ref) == 17
    # holo's -inf (infeasible) is our nan; every reference instance has some of each.
    np.testing.assert_array_equal(np.isnan(got), np.isneginf(ref))
    assert np.isneginf(ref).any() and np.isfinite(ref).any()
    np.testing.assert_array_equal(got[np.isfinite(ref)], ref[np.isfinite(ref)])
    np.testing.assert_array_equal(f.is_feasible(x), np.isfinite(ref))


def test_reference_spacing_convention_and_optimum(reference: dict) -> None:
    for inst in reference["instances"]:
        f = EhrlichFunction.from_dict(inst)
        k = inst["params"]["motif_length"]
        stored = np.asarray(inst["spacings"])
        assert stored.shape == (inst["params"]["num_motifs"], k - 1)  # gaps, no leading 0
        assert np.all(f.spacings[:, 0] == 0)
        np.testing.assert_array_equal(np.diff(f.spacings, axis=1), stored)
        # holo's stored first sequence is the motifs placed back to back: value 1.0
        assert inst["values"][0] == 1.0
        opt = f.optimal_solution()
        assert f.score_tokens(opt[None])[0] == 1.0
        again = EhrlichFunction.from_dict(f.to_dict())
        np.testing.assert_array_equal(again.spacings, f.spacings)
        np.testing.assert_array_equal(again.transition_matrix, f.transition_matrix)


# ---------------------------------------------------------------- hand-made instances
def _tiny(quantization: int) -> EhrlichFunction:
    """3 states, only 2 -> 1 banned; one motif [0, 1, 0, 1] at offsets [0, 1, 3, 4]."""
    T = np.full((3, 3), 1 / 3)
    T[2] = [0.5, 0.0, 0.5]
    return EhrlichFunction(3, 6, 1, 4, quantization, T, np.array([[0, 1, 0, 1]]),
                           np.array([[0, 1, 3, 4]]))


TINY_X = np.array([
    [0, 1, 0, 0, 1, 0],  # 4 of 4 at l=0
    [0, 1, 1, 0, 2, 2],  # 3 of 4
    [0, 1, 2, 2, 2, 2],  # 2 of 4
    [0, 2, 2, 2, 2, 2],  # 1 of 4
    [2, 2, 2, 2, 2, 0],  # 0: a window starting at l=5 would run off the end
    [0, 1, 0, 2, 1, 0],  # 2 -> 1 is banned
])


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (4, [1.0, 0.75, 0.5, 0.25, 0.0, np.nan]),
        (2, [1.0, 0.5, 0.5, 0.0, 0.0, np.nan]),
        (1, [1.0, 0.0, 0.0, 0.0, 0.0, np.nan]),
    ],
)
def test_quantization_floors_to_multiples_of_one_over_q(q: int, expected: list) -> None:
    np.testing.assert_array_equal(_tiny(q).score_tokens(TINY_X), np.array(expected))


def test_value_is_product_over_motifs() -> None:
    T = np.full((3, 3), 1 / 3)
    f = EhrlichFunction(3, 8, 2, 2, 2, T, np.array([[0, 1], [2, 2]]),
                        np.array([[0, 2], [0, 1]]))
    x = np.array([[0, 0, 1, 2, 2, 0, 0, 0], [0, 0, 0, 2, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(f.score_tokens(x), [1.0, 0.25, 0.0])


def test_invalid_tokens_score_nan() -> None:
    f = _tiny(4)
    np.testing.assert_array_equal(
        f.score_tokens(np.array([[0, 1, 0, 0, 1, 3], [-1, 1, 0, 0, 1, 0]])), [np.nan, np.nan])
    assert np.isnan(f.score_tokens(np.zeros((2, 5), dtype=int))).all()
    assert not f.is_feasible(np.zeros((2, 7), dtype=int)).any()
    assert f.score_tokens(np.zeros((0, 6), dtype=int)).shape == (0,)
    with pytest.raises(InvalidInputError):
        f.score_tokens(np.zeros(6, dtype=int))
    with pytest.raises(InvalidInputError):
        f.score_tokens(np.zeros((1, 6)))


# ---------------------------------------------------------------- generator guarantees
PARAMS = [(32, 32, 4, 4, 4), (32, 32, 2, 4, 4), (32, 256, 4, 8, 8), (20, 8, 2, 2, 2),
          (4, 8, 2, 2, 2), (2, 4, 2, 2, 1), (62, 10, 1, 10, 5)]


@pytest.mark.parametrize("params", PARAMS)
def test_from_seed_guarantees(params: tuple) -> None:
    v, L, c, k, q = params
    f = EhrlichFunction.from_seed(v, L, c, k, q, seed=3)
    T = f.transition_matrix
    allowed = T > 0
    np.testing.assert_allclose(T.sum(axis=1), 1.0)
    assert np.all(np.diag(T) > 0)  # aperiodic
    reach = np.eye(v, dtype=bool)  # irreducible: every state reaches every state
    for _ in range(v):
        reach = reach | (reach.astype(int) @ allowed.astype(int) > 0)
    assert reach.all()
    assert np.all((~allowed).sum(axis=1) == v // 4)  # banned transitions exist for v >= 4
    walk = f.motifs.ravel()
    assert allowed[walk[:-1], walk[1:]].all()  # motifs (and their concatenation) feasible
    assert np.all(f.spacings[:, -1] < L // c)
    opt = f.optimal_solution()
    assert opt.shape == (L,) and f.is_feasible(opt[None])[0]
    assert f.score_tokens(opt[None])[0] == 1.0
    x = f.sample_feasible(300, np.random.default_rng(0))
    assert x.shape == (300, L) and f.is_feasible(x).all()
    s = f.score_tokens(x)
    assert np.all((s >= 0) & (s <= 1))


def test_from_seed_is_deterministic_and_seed_dependent() -> None:
    a = EhrlichFunction.from_seed(32, 32, 4, 4, 4, seed=0)
    b = EhrlichFunction.from_seed(32, 32, 4, 4, 4, seed=0)
    c = EhrlichFunction.from_seed(32, 32, 4, 4, 4, seed=1)
    for name in ("transition_matrix", "motifs", "spacings"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.motifs, c.motifs)
    assert not np.array_equal(a.transition_matrix > 0, c.transition_matrix > 0)
    rng1, rng2 = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(a.sample_feasible(10, rng1), a.sample_feasible(10, rng2))


def test_sampling_follows_transition_matrix() -> None:
    f = EhrlichFunction.from_seed(4, 64, 2, 2, 2, seed=0)
    x = f.sample_feasible(4000, np.random.default_rng(1))
    counts = np.zeros((4, 4))
    np.add.at(counts, (x[:, :-1].ravel(), x[:, 1:].ravel()), 1)
    freq = counts / counts.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(freq, f.transition_matrix, atol=0.01)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((32, 15, 4, 4, 4, 0), "must be <= dim"),
        ((32, 32, 4, 4, 5, 0), "quantization"),
        ((32, 32, 4, 4, 0, 0), "quantization must be >= 1"),
        ((1, 32, 4, 4, 4, 0), "num_states must be >= 2"),
        ((32, 32, 0, 4, 4, 0), "num_motifs must be >= 1"),
        ((32, 32, 4, 4.0, 4, 0), "motif_length must be an integer"),
        ((32, 32, 4, 4, 4, -1), "seed must be >= 0"),
        ((True, 32, 4, 4, 4, 0), "num_states must be an integer"),
    ],
)
def test_invalid_params_raise(args: tuple, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        EhrlichFunction.from_seed(*args)


def test_invalid_instance_arrays_raise() -> None:
    f = _tiny(2)
    with pytest.raises(InvalidInputError, match="spacings must start at 0"):
        EhrlichFunction(3, 6, 1, 4, 2, f.transition_matrix, f.motifs, np.array([[0, 2, 2, 3]]))
    with pytest.raises(InvalidInputError, match="fit in dim"):
        EhrlichFunction(3, 6, 1, 4, 2, f.transition_matrix, f.motifs, np.array([[0, 1, 2, 6]]))
    with pytest.raises(InvalidInputError, match="rows must sum to 1"):
        EhrlichFunction(3, 6, 1, 4, 2, np.ones((3, 3)), f.motifs, f.spacings)
    with pytest.raises(InvalidInputError, match="lacks key"):
        EhrlichFunction.from_dict({"params": {}})


def test_scoring_is_vectorised_fast() -> None:
    f = EhrlichFunction.from_seed(32, 32, 4, 4, 4, seed=0)
    x = np.tile(f.sample_feasible(1000, np.random.default_rng(0)), (100, 1))
    start = time.perf_counter()
    s = f.score_tokens(x)
    assert time.perf_counter() - start < 1.0
    assert s.shape == (100_000,) and not np.isnan(s).any()


# ---------------------------------------------------------------- string oracle
def test_oracle_round_trip_and_values() -> None:
    f = EhrlichFunction.from_seed(20, 16, 2, 4, 4, seed=2)
    oracle = EhrlichOracle(f)
    assert oracle.alphabet == ALPHABET[:20] == "ABCDEFGHIJKLMNOPQRST"
    x = f.sample_feasible(50, np.random.default_rng(0))
    designs = oracle.decode(x)
    assert all(len(s) == 16 and set(s) <= set(oracle.alphabet) for s in designs)
    np.testing.assert_array_equal(oracle.encode(designs), x)
    np.testing.assert_array_equal(oracle(designs), f.score_tokens(x))
    assert oracle([oracle.optimal_design()])[0] == 1.0
    assert oracle.decode(oracle.encode(oracle.sample(3, np.random.default_rng(1)))) == \
        oracle.sample(3, np.random.default_rng(1))


def test_oracle_invalid_designs_are_nan() -> None:
    f = EhrlichFunction.from_seed(20, 16, 2, 4, 4, seed=2)
    oracle = EhrlichOracle(f)
    good = oracle.optimal_design()
    allowed = f.transition_matrix > 0
    a, b = np.argwhere(~allowed)[0]
    infeasible = ALPHABET[a] + ALPHABET[b] + good[2:]
    designs = [good, good[:-1], good + "A", "Z" + good[1:], "é" + good[1:], infeasible]
    out = oracle(designs)
    assert out[0] == 1.0
    assert np.isnan(out[1:]).all()
    enc = oracle.encode(designs)
    assert (enc[1] == -1).all() and enc[3, 0] == -1 and enc[4, 0] == -1
    np.testing.assert_array_equal(enc[3, 1:], enc[0, 1:])
    with pytest.raises(InvalidInputError):
        oracle(good)
    with pytest.raises(InvalidInputError):
        oracle.decode(np.full((1, 16), 20))


def test_oracle_rejects_more_states_than_letters() -> None:
    assert len(ALPHABET) == 62
    EhrlichOracle(EhrlichFunction.from_seed(62, 8, 1, 2, 2, seed=0))
    with pytest.raises(InvalidInputError, match="at most 62"):
        EhrlichOracle(EhrlichFunction.from_seed(63, 8, 1, 2, 2, seed=0))
