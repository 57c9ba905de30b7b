"""The local-search generator: mutants and recombinations of the designs tied at the best score."""

import numpy as np

from seqmbo.data import Dataset
from seqmbo.generators import GENERATORS, make_generator
from seqmbo.spaces import dna

SPACE = dna(6)
LETTERS = {"block": 0.0, "memory": False, "drift": False, "scan": 0.0, "combine": 0}  # letter moves only (blocks: test_blocks.py)


def count_a(designs):
    return np.array([d.count("A") for d in designs], dtype=float)


def hamming(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a, b))


def data() -> Dataset:
    designs = ["AACCCC", "CCAACC", "GGGGGA", "CCCCCC", "TTTTTT"]
    return Dataset(designs, np.array([2.0, 2.0, 1.0, 0.0, 0.0]), SPACE)


def test_children_are_near_the_tied_best_and_new():
    gen = make_generator("local", max_mutations=2, crossover=0.25, **LETTERS)
    assert "local" in GENERATORS
    out = gen.propose(count_a, 40, data(), np.random.default_rng(0))
    assert len(out) == len(set(out)) == 40 and not set(out) & set(data().designs)
    assert gen.parents(data()) == ["AACCCC", "CCAACC"]
    assert make_generator("local", drift=True).parents(data()) == ["CCAACC", "AACCCC"]  # the latest tie first
    for d in out:  # a mutant is 1-2 letters from a parent; a recombination takes each letter from one
        near = min(hamming(d, p) for p in ("AACCCC", "CCAACC")) <= 2
        mixed = all(c in (a, b) for c, a, b in zip(d, "AACCCC", "CCAACC"))
        assert near or mixed
    ranked = count_a(out)
    assert (np.diff(ranked) <= 0).all()  # best reward first
    assert ranked.max() >= 3  # one more A than the parents


def test_off_support_children_are_dropped_and_the_seed_repeats():
    def no_t(designs):  # "T" is off the support: reward -inf
        return np.where([("T" in d) for d in designs], -np.inf, count_a(designs))

    a = make_generator("local", probe=0).propose(no_t, 30, data(), np.random.default_rng(5))
    b = make_generator("local", probe=0).propose(no_t, 30, data(), np.random.default_rng(5))
    assert a == b and len(a) == 30 and not any("T" in d for d in a)
    gen = make_generator("local")  # offline data: never a probe, so never a design off the support
    d = gen.propose(no_t, 30, data(), np.random.default_rng(5))
    assert gen.off_support == [] and len(d) == 30 and not any("T" in x for x in d)
    rounds = data()
    rounds.info["online"] = True  # data labelled by online rounds
    gen = make_generator("local")  # the scan of so short a design is spent at once: probes join, off the support
    c = gen.propose(no_t, 30, rounds, np.random.default_rng(5))
    probes = set(gen.off_support)  # each holds a letter pair no design of data() has
    assert len(c) == 30 and probes and probes <= set(c) and not any("T" in d for d in set(c) - probes)


def test_pool_lets_the_reward_choose():
    few = make_generator("local", pool=1.0, **LETTERS).propose(count_a, 10, data(), np.random.default_rng(1))
    many = make_generator("local", pool=8.0, **LETTERS).propose(count_a, 10, data(), np.random.default_rng(1))
    assert len(few) == 10 and len(many) == 80
    assert count_a(many[:10]).mean() > count_a(few).mean() and count_a(many).max() == 4  # e.g. AAAACC
