"""The systematic scan of single-letter changes, its repairs, and the combination of the gains found."""

import numpy as np

from seqmbo.data import Dataset
from seqmbo.gates import BigramSupport
from seqmbo.generators.change_memory import change_memory, one_letter_pairs
from seqmbo.generators.local import LocalSearchGenerator
from seqmbo.generators.scan import combine_gains, grouped_letters, near_letters, probe_children, scan_children
from seqmbo.oracles.ehrlich import EhrlichFunction, EhrlichOracle
from seqmbo.spaces import SequenceSpace


def test_scan_draws_each_single_change_once():
    parent = np.array([0, 1, 2, 3, 0, 1])
    todo = np.ones((6, 4), bool)
    todo[np.arange(6), parent] = False
    seen, free = np.ones((4, 4), bool), np.zeros(6, bool)
    out = scan_children(parent, todo, seen, free, 100, np.random.default_rng(0))
    assert out.shape == (18, 6)  # all 6 * 3 changes, no more
    diff = out != parent
    assert (diff.sum(1) == 1).all()
    changes = {(int(np.flatnonzero(d)[0]), int(row[d][0])) for row, d in zip(out, diff)}
    assert len(changes) == 18
    five = scan_children(parent, todo, seen, free, 5, np.random.default_rng(0))
    assert len({r.tobytes() for r in five}) == 5
    assert (five == out[:5]).all()  # the same order for the same seed


def test_scan_repairs_an_unseen_pair_through_a_free_neighbour():
    parent = np.array([0, 0, 0, 0])
    seen = np.ones((3, 3), bool)
    seen[0, 2] = False  # 0 then 2 is off the support
    todo = np.zeros((4, 3), bool)
    todo[2, 2] = True  # 0 -> 2 at position 2: the pair (0, 2) at positions 1-2 needs a repair
    out = scan_children(parent, todo, seen, np.zeros(4, bool), 4, np.random.default_rng(1))
    assert out.shape == (1, 4) and out[0, 2] == 2 and out[0, 1] in (1, 2) and (out[0, [0, 3]] == 0).all()
    assert seen[out[0, :-1], out[0, 1:]].all()
    protected = np.array([False, True, False, False])
    assert scan_children(parent, todo, seen, protected, 4, np.random.default_rng(1)).shape == (0, 4)


def test_near_letters_marks_single_changes_and_repaired_ones():
    parent = np.array([0, 1, 2, 3])
    tokens = np.array([[0, 1, 2, 0],   # one change at 3
                       [1, 0, 2, 3],   # two adjacent changes (a change and its repair)
                       [3, 1, 0, 3],   # two changes apart: not near
                       [0, 1, 2, 3]])  # the parent itself
    near = near_letters(parent, tokens, 4)
    assert near[3, 0] and near[0, 1] and near[1, 0] and near.sum() == 3


def test_one_letter_pairs_finds_exactly_the_pairs_one_letter_apart():
    rng = np.random.default_rng(3)
    tokens = rng.integers(3, size=(60, 5))
    i, j, p = one_letter_pairs(tokens)
    want = {(a, b) for a in range(60) for b in range(a + 1, 60) if (tokens[a] != tokens[b]).sum() == 1}
    assert set(zip(i.tolist(), j.tolist())) == want and len(i) == len(want) > 0
    assert all(tokens[a, q] != tokens[b, q] for a, b, q in zip(i, j, p))


def toy_ehrlich():
    fn = EhrlichFunction.from_seed(8, 16, 2, 4, 4, seed=3)
    oracle = EhrlichOracle(fn)
    return fn, oracle, SequenceSpace.fixed(oracle.alphabet, fn.dim, "ehrlich")


def toy_start():
    """The toy instance, 64 feasible start designs, their labels, the best one's tokens and a
    reward that is 0 on feasible designs, ``-inf`` off them."""
    fn, oracle, space = toy_ehrlich()
    designs = oracle.sample(64, np.random.default_rng(0))
    y = np.nan_to_num(oracle(designs))

    def feasible(ds):
        return np.where(np.isnan(oracle(ds)), -np.inf, 0.0)

    return fn, oracle, space, designs, y, space.encode([designs[int(np.argmax(y))]])[0], feasible


def motif_matches(fn, x):
    """The best number of matched elements of each motif in ``x``."""
    out = []
    for motif, offsets in zip(fn.motifs, fn.spacings):
        width = fn.dim - offsets[-1]
        out.append(max(sum(x[s + o] == a for a, o in zip(motif, offsets)) for s in range(width)))
    return np.array(out)


def improving_changes(fn, x):
    """The feasible single-letter changes that raise ``x``'s value: ``[(value, p, a, motif raised)]``."""
    v0, out = fn.score_tokens(x[None])[0], []
    for p in range(fn.dim):
        for a in range(fn.num_states):
            y = x.copy()
            y[p] = a
            v = fn.score_tokens(y[None])[0]
            if np.isfinite(v) and v > v0:
                out.append((v, p, a, int(np.argmax(motif_matches(fn, y) - motif_matches(fn, x)))))
    return out


def test_combining_two_gains_on_an_ehrlich_function_beats_each():
    fn, oracle, _ = toy_ehrlich()
    rng = np.random.default_rng(0)
    x = next(r for r in fn.sample_feasible(200, rng) if fn.score_tokens(r[None])[0] > 0)
    gains = improving_changes(fn, x)
    first = gains[0]
    second = next(g for g in gains if g[3] != first[3])  # a gain on the other motif
    kids = []
    for _, p, a, _ in (first, second):
        kid = x.copy()
        kid[p] = a
        kids.append(kid)
    tokens = np.stack([x, *kids])
    memory = change_memory(tokens, fn.score_tokens(tokens), fn.num_states)
    combined = combine_gains(x, memory.hurt, 1, rng)[0]
    both = fn.score_tokens(combined[None])[0]
    assert combined[first[1]] == first[2] and combined[second[1]] == second[2]
    assert both > max(first[0], second[0])


def test_the_local_generator_scans_the_best_design_without_repeating_a_change():
    fn, oracle, space, designs, y, best, feasible = toy_start()
    gen = LocalSearchGenerator(scan=1.0, combine=0, block=0.0, memory=True, incumbents=1, group=1)
    changes = set()
    for r in range(3):  # proxy-free rounds: every batch is labelled and the scan goes on
        new = gen.propose(feasible, 24, Dataset(designs, y, space), np.random.default_rng(r))
        tokens = space.encode(new)
        where = [np.flatnonzero(t != best) for t in tokens]
        assert all(1 <= w.size <= 3 and w[-1] - w[0] == w.size - 1 for w in where)  # a change and its repairs
        singles = tokens[(tokens != best).sum(1) == 1]
        drawn = {(int(np.flatnonzero(t != best)[0]), int(t[t != best][0])) for t in singles}
        assert not drawn & changes and len(singles) >= 8
        changes |= drawn
        designs, y = designs + new, np.concatenate([y, np.nan_to_num(oracle(new))])
        if y.max() > fn.score_tokens(best[None])[0]:
            break
    assert len(changes) >= 16


def test_the_local_generator_groups_its_scan_once_letters_are_known_free():
    fn, oracle, space, designs, y, best, feasible = toy_start()
    gen = LocalSearchGenerator(scan=1.0, combine=0, block=0.0, memory=True, incumbents=1)  # the default group
    counts, tested = [], set()
    for r in range(3):
        new = gen.propose(feasible, 24, Dataset(designs, y, space), np.random.default_rng(r))
        designs, y = designs + new, np.concatenate([y, np.nan_to_num(oracle(new))])
        if y.max() > fn.score_tokens(best[None])[0]:
            break
        tokens = space.encode(new)
        counts.append(int((tokens != best).sum(1).max()))
        now = {(int(p), int(t[p])) for t in tokens for p in np.flatnonzero(t != best)}
        assert r == 0 or len(now - tested) > len(new)  # more changes tested than children
        tested |= now
    assert len(counts) >= 2 and counts[0] <= 3 < max(counts[1:])  # singles (and repairs) first, then groups


def test_a_probe_writes_its_pair_in_with_the_fewest_changes_and_no_other_unseen_pair():
    best = np.array([0, 1, 2, 3, 0, 1])
    seen = np.ones((4, 4), bool)
    seen[3, 3] = seen[1, 1] = seen[2, 0] = False
    protected = np.array([False, False, True, False, False, False])
    pairs = [(3, 3), (2, 0), (1, 1)]
    out, held = probe_children(best, pairs, seen, protected, np.random.default_rng(0))
    assert held == pairs
    assert out[0].tolist() == [0, 1, 2, 3, 3, 1]  # one change; 3-3 at 0-1 needs two, at 4-5 makes (3, 3) twice
    assert out[1].tolist() in ([0, 1, 2, 0, 0, 1], [0, 1, 2, 2, 0, 1])  # the protected 2 kept as the first letter
    assert out[2].tolist() in ([1, 1, 2, 3, 0, 1], [0, 1, 2, 3, 1, 1])  # the two one-change places
    for child, (a, b) in zip(out, pairs):
        off = [(int(x), int(y)) for x, y in zip(child[:-1], child[1:]) if not seen[x, y]]
        assert set(off) == {(a, b)}
    none, left = probe_children(best, pairs, seen, np.ones(6, bool), np.random.default_rng(0))
    assert none.shape == (0, 6) and left == []


def test_the_local_generator_probes_each_unseen_pair_once_and_learns_from_the_feasible_ones():
    fn, oracle, space = toy_ehrlich()
    designs = oracle.sample(12, np.random.default_rng(1))
    y = oracle(designs)

    def support(ds):
        return BigramSupport([d for d, v in zip(ds, y) if np.isfinite(v)], space)

    late = LocalSearchGenerator(probe=6, scan=0.5, combine=0, block=0.0, incumbents=1)
    flat = lambda ds, s=support(designs): np.where(s(ds), 0.0, -np.inf)  # noqa: E731
    late.propose(flat, 16, Dataset(designs, np.nan_to_num(y), space, info={"online": True}), np.random.default_rng(0))
    assert late.last_run["probes"] == 0 and late.off_support == []  # the scan of the best is not spent yet
    gen = LocalSearchGenerator(probe=6, probe_late=False, scan=0.5, combine=0, block=0.0, incumbents=1)
    probed: set[tuple[int, int]] = set()
    outcome = []
    for r in range(3):
        seen = support(designs).seen
        flat = lambda ds, s=support(designs): np.where(s(ds), 0.0, -np.inf)  # noqa: E731
        new = gen.propose(flat, 16, Dataset(designs, np.nan_to_num(y), space, info={"online": True}), np.random.default_rng(r))
        probes, rest = new[: gen.last_run["probes"]], new[gen.last_run["probes"]:]
        assert len(probes) == 6 and len(new) == 16 and support(designs)(rest).all()
        for t in space.encode(probes):
            off = {(int(a), int(b)) for a, b in zip(t[:-1], t[1:]) if not seen[a, b]}
            assert len(off) == 1 and not off & probed  # one unseen pair each, never probed before
            probed |= off
        labels = oracle(new)
        outcome += list(np.isfinite(labels[: len(probes)]))
        designs, y = designs + new, np.concatenate([y, labels])
    assert 0 < sum(outcome) < len(outcome)  # some probed pairs are feasible, some are not
    kept = gen._without_failed_probes(Dataset(designs, np.nan_to_num(y), space, info={"online": True}))
    assert set(designs) - set(kept.designs) == {d for d, v in zip(designs, y) if not np.isfinite(v)}


def test_scan_groups_changes_at_free_positions_and_tests_the_others_alone():
    width, vocab = 16, 5
    parent = np.arange(width) % vocab
    todo = np.ones((width, vocab), bool)
    todo[np.arange(width), parent] = False
    free = np.arange(width) >= 4  # the first four positions' status is unknown
    seen = np.ones((vocab, vocab), bool)
    out = scan_children(parent, todo, seen, np.zeros(width, bool), 1000, np.random.default_rng(0), free, 3)
    diff = out != parent
    alone = diff[:, :4].any(1)
    assert (diff[alone].sum(1) == 1).all() and alone.sum() == 4 * (vocab - 1)  # unknown positions: one change a child
    grouped = diff[~alone]
    assert grouped.sum(1).max() == 3 and (grouped.sum(1) >= 1).all()
    for row in grouped:  # changes at least 4 apart, so their repairs never meet
        where = np.flatnonzero(row)
        assert (np.diff(where) >= 4).all()
    tested = [(int(p), int(out[i, p])) for i, p in zip(*np.nonzero(diff))]
    assert len(tested) == len(set(tested)) == todo.sum()  # every change tested exactly once
    assert len(grouped) <= 48 / 2  # the 48 changes at free positions in at most 24 children
    few = scan_children(parent, todo, seen, np.zeros(width, bool), 5, np.random.default_rng(0), free, 3)
    assert few.shape == (5, width)


def test_grouped_letters_rules_out_the_changes_of_designs_differing_at_free_positions_alone():
    parent = np.array([0, 1, 2, 3, 0, 1])
    free = np.array([True, True, False, True, True, True])
    tokens = np.array([[1, 1, 2, 3, 2, 1],    # changes at 0 and 4, both free
                       [0, 1, 0, 3, 0, 0],    # a change at 2: not free, so nothing is learnt
                       [0, 1, 2, 3, 0, 1]])   # the parent
    got = grouped_letters(parent, tokens, free, 4)
    assert got[0, 1] and got[4, 2] and got.sum() == 2
