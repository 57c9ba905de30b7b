"""Grouping load-bearing letters by feature and relocating a feature where it can be completed."""

import itertools

import numpy as np
import pytest

from seqmbo.generators.relocate import (drop_ratios, feature_groups, feature_size, measure_children,
                                        relocation_children)
from seqmbo.oracles.ehrlich import EhrlichFunction


def test_feature_size_names_n_from_the_ratio_of_one_lost_element():
    assert [feature_size(r) for r in (0.5, 2 / 3, 0.75, 0.8)] == [2, 3, 4, 5]
    assert [feature_size(r) for r in (0.0, 1.0, 0.4, 4 / 9)] == [0, 0, 0, 0]


def test_drop_ratios_keys_the_designs_by_the_positions_they_change():
    best = np.array([0, 1, 2, 3])
    tokens = np.array([[0, 1, 2, 3], [1, 1, 2, 3], [2, 1, 2, 3], [0, 0, 0, 3], [3, 3, 3, 3]])
    y = np.array([0.8, 0.4, 0.6, 0.2, 0.0])
    assert drop_ratios(best, 0.8, tokens, y) == {(0,): pytest.approx(0.5)}
    assert drop_ratios(best, 0.8, tokens, y, 2) == {(1, 2): pytest.approx(0.25)}
    assert drop_ratios(best, 0.0, tokens, y) == {}


def interleaved(features=((3, 5, 7), (4, 8, 11), (14, 15, 17, 20), (17, 19, 21))):
    """The drop ratios a product of per-feature terms gives: by default two features of 3 elements
    each at (3, 5, 7) and (4, 8, 11), and one of 4 at (14, 15, 17, 20) sharing position 17 with a
    feature of 3 at (17, 19, 21)."""
    features = [tuple(f) for f in features]
    where = sorted({p for f in features for p in f})

    def ratio(changed):
        out = 1.0
        for f in features:
            n, lost = len(f), len(set(f) & set(changed))
            out *= (n - lost) / n
        return out

    single = {(p,): ratio([p]) for p in where}
    double = {(p, q): ratio([p, q]) for p, q in itertools.combinations(where, 2)}
    return features, single, double


def test_feature_groups_separate_interleaved_features_by_their_double_changes():
    features, single, double = interleaved()
    groups, wanted = feature_groups(single, double, 8)
    assert sorted(tuple(g.tolist()) for g in groups) == sorted(features)
    assert wanted == [] and [len(g) for g in groups] == sorted(len(g) for g in groups)


def test_a_letter_two_features_of_one_size_share_is_in_both_groups():
    features, single, double = interleaved([(14, 15, 19), (15, 21, 22), (2, 3, 5, 7)])
    assert single[(15,)] == pytest.approx(4 / 9)
    groups, _ = feature_groups(single, double, 8)
    assert sorted(tuple(g.tolist()) for g in groups) == sorted(features)


def test_feature_groups_ask_for_the_double_changes_they_lack():
    features, single, double = interleaved()
    del double[(3, 5)], double[(3, 7)]  # 3 is joined to neither of its feature's other letters
    groups, wanted = feature_groups(single, double, 8)
    assert sorted(wanted) == [(3, 5), (3, 7)]
    assert sorted(tuple(g.tolist()) for g in groups) == [(4, 8, 11), (14, 15, 17, 20), (17, 19, 21)]


def blocked_design(seed: int = 0):
    """An Ehrlich instance (2 motifs of 4 in 24 letters) and a feasible design holding motif 1
    whole and 3 elements of motif 0, whose fourth element's position motif 1 holds."""
    fn = EhrlichFunction.from_seed(16, 24, 2, 4, 4, seed=seed)
    allowed = fn.transition_matrix > 0
    rng = np.random.default_rng(seed)
    (m0, m1), (s0, s1) = fn.motifs, fn.spacings
    for _ in range(2000):
        j, l1 = int(rng.integers(4)), int(rng.integers(24 - s1[-1]))
        i = int(rng.integers(4))
        l0 = l1 + s1[i] - s0[j]
        if not 0 <= l0 <= 24 - 1 - s0[-1] or m0[j] == m1[i]:
            continue
        x = np.full(24, -1)
        x[l1 + s1] = m1
        keep = [e for e in range(4) if e != j]
        if (x[l0 + s0[keep]] >= 0).any():
            continue
        x[l0 + s0[keep]] = m0[keep]
        fixed = x >= 0
        for p in range(24):
            if x[p] < 0:
                ok = allowed[x[p - 1]] if p > 0 else np.ones(16, bool)
                if p + 1 < 24 and fixed[p + 1]:
                    ok = ok & allowed[:, x[p + 1]]
                if not ok.any():
                    break
                x[p] = rng.choice(np.flatnonzero(ok))
        if (x >= 0).all() and fn.score_tokens(x[None])[0] == 0.75:
            return fn, x, np.sort(l0 + s0[keep]), fixed
    raise AssertionError("no blocked design found")


def test_a_relocation_completes_a_feature_whose_element_another_one_blocks():
    fn, best, group, protected = blocked_design()
    seen = fn.transition_matrix > 0
    singles = np.repeat(best[None], 24 * 16, 0)
    singles[np.arange(24 * 16), np.arange(24 * 16) // 16] = np.arange(24 * 16) % 16
    assert not (np.nan_to_num(fn.score_tokens(singles)) > 0.75).any()  # no single change helps
    tried: set = set()
    out = relocation_children(best, group, tried, seen, protected, 12, 200, 8, np.random.default_rng(0))
    children = np.array([c for c, _ in out])
    scores = fn.score_tokens(children)
    assert np.isfinite(scores).all() and (scores >= 0.75).all()  # on the support, nothing load-bearing lost
    assert (scores == 1.0).any()
    rel = group - group[0]
    for child, held in out:
        assert (child[protected] == best[protected]).all()
        bases = [b for b in range(24 - rel[-1]) if b != group[0] and (child[b + rel] == best[group]).all()]
        assert any(all(0 <= b + r < 24 and child[b + r] == a for r, a in held) for b in bases)
    guesses = [g for _, held in out for g in held]
    assert len(guesses) == len(set(guesses))  # each guess once
    again = relocation_children(best, group, set(guesses), seen, protected, 12, 200, 8, np.random.default_rng(1))
    assert not {g for _, held in again for g in held} & set(guesses)  # ruled-out guesses are not made again


def test_an_eviction_moves_the_blocking_feature_and_guesses_where_it_stood():
    fn, best, group, protected = blocked_design()
    seen = fn.transition_matrix > 0
    mover = np.setdiff1d(np.flatnonzero(protected), group)  # motif 1, whole, holding motif 0's missing place
    out = relocation_children(best, group, set(), seen, protected, 12, 200, 8, np.random.default_rng(0), mover)
    scores = fn.score_tokens(np.array([c for c, _ in out]))
    assert np.isfinite(scores).all() and (scores >= 0.75).all() and (scores == 1.0).any()
    for child, held in out:
        assert (child[group] == best[group]).all()  # the stuck group stays where it is
        assert all(group[0] + r in mover and child[group[0] + r] == a for r, a in held)


def test_measure_children_change_the_asked_positions_on_the_support():
    fn, best, group, protected = blocked_design()
    seen = fn.transition_matrix > 0
    todo = [(int(group[0]),), (int(group[0]), int(group[1]))]
    out = measure_children(best, todo, seen, np.random.default_rng(0))
    assert [tuple(np.flatnonzero(c != best).tolist()) for c in out] == todo
    assert np.isfinite(fn.score_tokens(np.array(out))).all()


def test_the_local_generator_relocates_a_blocked_feature_once_its_scan_has_run_out():
    from seqmbo.data import Dataset
    from seqmbo.generators.local import LocalSearchGenerator
    from seqmbo.oracles.ehrlich import EhrlichOracle
    from seqmbo.spaces import SequenceSpace

    fn, best, group, protected = blocked_design()
    oracle = EhrlichOracle(fn)
    space = SequenceSpace.fixed(oracle.alphabet, fn.dim, "ehrlich")
    singles = np.repeat(best[None], 24 * 16, 0)
    singles[np.arange(24 * 16), np.arange(24 * 16) // 16] = np.arange(24 * 16) % 16
    designs = list(dict.fromkeys(space.decode(np.concatenate([best[None], singles]))))
    y = oracle(designs)
    designs, y = [d for d, v in zip(designs, y) if np.isfinite(v)], y[np.isfinite(y)]  # every single change labelled

    def feasible(ds):
        return np.where(np.isnan(oracle(ds)), -np.inf, 0.0)

    gen = LocalSearchGenerator(probe=0, incumbents=1)  # reach 0.5: features span up to 24 // 2 letters
    found = []
    for r in range(4):
        new = gen.propose(feasible, 64, Dataset(designs, y, space, info={"online": True}), np.random.default_rng(r))
        moved = {d for d in new if space.encode([d])[0].tobytes() in gen.pending}
        values = oracle(new)
        found += [d for d, v in zip(new, values) if d in moved and v == 1.0]
        designs, y = designs + new, np.concatenate([y, values])
        if found:
            break
    assert found and y.max() == 1.0  # a relocation child completed the blocked feature
    assert gen.ruled_out  # and the neutral ones ruled their guesses out
    offline = LocalSearchGenerator(probe=0, incumbents=1)
    batch = offline.propose(feasible, 64, Dataset(designs, y, space), np.random.default_rng(0))
    assert len(batch) == 64 and not offline.pending  # offline: no relocations
