"""Contract: every reward-guided generator solves the same tiny known-optimum problem.

Space: DNA of length 6. Reward: the number of A's (optimum AAAAAA, reward 6). The offline data
holds designs with at most 2 A's, so the optimum lies well outside the data. The baselines
(random, dataset-top) are checked for what they promise instead. Guided generators get the
reward as an object that is also differentiable on soft one-hot designs (``.soft``), as a
:class:`~seqmbo.proxies.ProxyReward` is; relaxed generators (``gradient``) need that.
"""

import numpy as np
import pytest

from seqmbo.data import Dataset
from seqmbo.generators import make_generator
from seqmbo.spaces import dna

SPACE = dna(6)


def count_a(designs):
    return np.array([d.count("A") for d in designs], dtype=float)


class CountA:
    """The number of A's, on strings and (``soft``) on soft one-hot tensors ``(n, L, V)``; a linear "proxy"."""

    differentiable = True

    def __call__(self, designs):
        return count_a(designs)

    def soft(self, x):
        return x[..., SPACE.alphabet.index("A")].sum(-1)


def offline() -> Dataset:
    rng = np.random.default_rng(0)
    designs = [d for d in dict.fromkeys(SPACE.sample(3000, rng)) if d.count("A") <= 2][:500]
    return Dataset(designs, count_a(designs), SPACE)


GUIDED = {
    "evolution": dict(generations=15, population=64, offspring=128, seed_top=64),
    "gradient": dict(steps=60, seed_top=64),
    "gflownet": dict(steps=300, hidden_dim=64, batch_size=64, min_samples=512),
}


@pytest.mark.parametrize("name", sorted(GUIDED))
def test_guided_generator_finds_the_optimum(name):
    gen = make_generator(name, **GUIDED[name])
    out = gen.propose(CountA(), 16, offline(), np.random.default_rng(0))
    assert len(out) >= 16 and len(set(out)) == len(out)
    assert SPACE.is_valid(out).all()
    assert max(count_a(out)) == 6
    assert np.mean(sorted(count_a(out))[-16:]) >= 5


@pytest.mark.parametrize("name", sorted(GUIDED))
def test_guided_generator_is_reproducible(name):
    a = make_generator(name, **GUIDED[name]).propose(CountA(), 8, offline(), np.random.default_rng(3))
    b = make_generator(name, **GUIDED[name]).propose(CountA(), 8, offline(), np.random.default_rng(3))
    assert a == b


def test_gradient_needs_a_differentiable_reward():
    from seqmbo.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="needs a differentiable reward"):
        make_generator("gradient", steps=3).propose(count_a, 8, offline(), np.random.default_rng(0))


def test_random_is_uniform_and_distinct():
    out = make_generator("random").propose(count_a, 2000, offline(), np.random.default_rng(0))
    assert len(out) == len(set(out)) == 2000
    # mean number of A's of uniform 6-mers is 1.5
    assert abs(count_a(out).mean() - 1.5) < 0.1


def test_dataset_top_returns_the_best_offline_designs():
    data = offline()
    out = make_generator("dataset-top").propose(count_a, 10, data, np.random.default_rng(0))
    assert set(out) <= set(data.designs)
    assert count_a(out).min() == data.y.max() == 2


def test_unknown_generator_and_bad_settings():
    from seqmbo.errors import InvalidInputError, UnknownNameError

    with pytest.raises(UnknownNameError, match="unknown generator 'nope'.*evolution"):
        make_generator("nope")
    with pytest.raises(InvalidInputError, match="has no setting"):
        make_generator("evolution", generationz=3)
    with pytest.raises(InvalidInputError, match="takes no settings"):
        make_generator("random", steps=3)
