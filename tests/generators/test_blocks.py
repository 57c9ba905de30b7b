"""Block moves and the memory of single-letter changes, alone and inside the local generator."""

import numpy as np

from seqmbo.data import Dataset
from seqmbo.generators.blocks import copy_block, move_block
from seqmbo.generators.change_memory import allowed_changes, change_memory
from seqmbo.generators.local import LocalSearchGenerator
from seqmbo.oracles.ehrlich import EhrlichFunction, EhrlichOracle
from seqmbo.spaces import SequenceSpace

MOTIF = np.array([5, 6, 7])


def offsets(row: np.ndarray) -> set[int]:
    """Where the motif 5 6 7 starts in ``row``."""
    return {i for i in range(len(row) - 2) if (row[i:i + 3] == MOTIF).all()}


def test_move_block_relocates_a_motif_and_keeps_every_letter():
    row = np.zeros(10, dtype=np.int64)
    row[3:6] = MOTIF
    row[8] = 9  # a letter outside the window: it slides over, never disappears
    seen = set()
    for seed in range(1000):
        out = move_block(row, 3, np.random.default_rng(seed))
        assert sorted(out) == sorted(row)  # a rotation of a segment: the same letters
        seen |= offsets(out)
    assert seen == set(range(8))  # the whole motif, moved to every offset it fits at
    again = [move_block(row, 4, np.random.default_rng(7)) for _ in range(2)]
    assert (again[0] == again[1]).all()


def test_copy_block_transplants_a_donor_window():
    receiver = np.ones(16, dtype=np.int64)
    donor = np.zeros(16, dtype=np.int64)
    donor[3:6] = MOTIF
    same, other = set(), set()
    for seed in range(300):
        out = copy_block(receiver, donor, 5, True, np.random.default_rng(seed))
        changed = np.flatnonzero(out != receiver)
        assert (out[changed] == donor[changed]).all()  # a two-point crossover: letters of the donor in place
        same |= offsets(out)
        other |= offsets(copy_block(receiver, donor, 5, False, np.random.default_rng(seed)))
    assert same == {3} and len(other - {3}) >= 4


def test_change_memory_marks_tried_and_load_bearing_letters():
    base = np.array([[0, 1, 2, 3]])
    hurt_at_1 = np.array([[0, 2, 2, 3]])  # 1 -> 2 at position 1 lowered the score
    flat_at_2 = np.array([[0, 1, 0, 3]])  # 2 -> 0 at position 2 changed nothing
    better_at_3 = np.array([[0, 1, 2, 1]])  # 3 -> 1 at position 3 raised it
    far = np.array([[3, 3, 3, 3]])  # not one letter from anything: ignored
    tokens = np.concatenate([base, hurt_at_1, flat_at_2, better_at_3, far])
    mem = change_memory(tokens, np.array([1.0, 0.5, 1.0, 2.0, 9.0]), 4)
    assert mem.hurt[1, 1] and mem.hurt[3, 1] and mem.hurt.sum() == 2  # 1 at position 3 is load-bearing now
    assert mem.tried[2, 2, 0] and mem.tried[2, 0, 2] and mem.tried[3, 1, 3] and not mem.tried[3, 3, 1]
    ok = allowed_changes(mem, base[0])
    assert not ok[1].any() and not ok[2, 0] and ok[2, 1] and ok[3, 1] and not ok[0, 0]
    assert ok.sum() == 3 + 0 + 2 + 3


def ehrlich_setup():
    fn = EhrlichFunction.from_seed(8, 16, 2, 4, 4, seed=3)
    oracle = EhrlichOracle(fn)
    space = SequenceSpace.fixed(oracle.alphabet, fn.dim, "ehrlich")
    designs = oracle.sample(64, np.random.default_rng(0))
    return oracle, space, Dataset(designs, np.nan_to_num(oracle(designs)), space)


def test_block_moves_in_the_local_generator_stay_feasible_and_move_windows():
    oracle, space, data = ehrlich_setup()

    def feasible(ds):  # the run's reward is -inf off the support; here off the feasible set
        return np.where(np.isnan(oracle(ds)), -np.inf, 0.0)

    def propose(seed):
        gen = LocalSearchGenerator(block=1.0, memory=True, window=0.5, scan=0.0, combine=0)
        return gen, gen.propose(feasible, 100, data, np.random.default_rng(seed))

    gen, out = propose(0)
    assert out == propose(0)[1] and len(out) == 100
    assert not np.isnan(oracle(out)).any() and not set(out) & set(data.designs)
    parents = space.encode(gen.parents(data))
    kids = space.encode(out)
    far = (kids[:, None, :] != parents[None]).sum(2).min(1)
    assert far.max() >= 4  # windows move: several letters change at once
