"""The gradient generator: relaxed gradient ascent through a fitted proxy beats the offline data."""

import numpy as np
import pytest

from seqmbo.data import Dataset
from seqmbo.errors import InvalidInputError
from seqmbo.generators import make_generator
from seqmbo.generators.gradient import GradientConfig, GradientGenerator
from seqmbo.proxies import ProxyReward, make_proxy
from seqmbo.spaces import dna
from tests.landscapes import SPACE, additive, distinct



@pytest.fixture(scope="module")
def fitted():
    """Offline data: 2000 designs from the lower half of the landscape; a 2-member ensemble on them."""
    every = distinct(20000, 1)
    y = additive(every)
    designs = [d for d, v in zip(every, y) if v <= np.median(y)][:2000]
    data = Dataset(designs, additive(designs), SPACE)
    proxy = make_proxy("ensemble", SPACE, seed=0, members=2, min_steps=200).fit(data.designs, data.y)
    return data, proxy


@pytest.mark.parametrize("kind", ["mean", "lcb"])
def test_beats_the_offline_best(fitted, kind):
    data, proxy = fitted
    reward = ProxyReward(proxy, SPACE, kind)
    out = make_generator("gradient", steps=60, seed_top=64).propose(reward, 32, data, np.random.default_rng(0))
    assert len(out) >= 32 and len(set(out)) == len(out) and SPACE.is_valid(out).all()
    assert not set(out[:32]) & set(data.designs)
    r = reward(out)
    assert (np.diff(r) <= 1e-12).all()  # best reward first
    true = additive(out[:32])
    assert true.max() > data.y.max() + 2.0  # the offline best is the lower half's top (-3.6; optimum 3.5)
    assert np.median(true) > data.y.max() + 1.0


def test_same_seed_same_designs(fitted):
    data, proxy = fitted
    reward = ProxyReward(proxy, SPACE)
    gen = dict(steps=30, seed_top=32)
    a = make_generator("gradient", **gen).propose(reward, 16, data, np.random.default_rng(5))
    b = make_generator("gradient", **gen).propose(reward, 16, data, np.random.default_rng(5))
    c = make_generator("gradient", **gen).propose(reward, 16, data, np.random.default_rng(6))
    assert a == b and a != c


@pytest.mark.parametrize("options", [dict(relax="gumbel", temperature=0.5), dict(relax="straight-through"),
                                     dict(optimizer="sgd", lr=2.0, init_noise=0.0)])
def test_relaxations_and_plain_ascent_improve_on_the_starts(fitted, options):
    data, proxy = fitted
    reward = ProxyReward(proxy, SPACE)
    gen = GradientGenerator(steps=40, seed_top=32, **options)
    trajectory = gen.ascend(reward.soft, data.top(32)[0], SPACE, np.random.default_rng(0))
    assert len(trajectory) == 41 and all(len(step) == 32 for step in trajectory)
    assert trajectory[0] == data.top(32)[0]  # step 0: the starts themselves
    assert reward(trajectory[-1]).mean() > reward(trajectory[0]).mean()


def test_variable_length_designs_keep_their_length():
    space = dna(min_length=3, max_length=6)
    designs = ["ACG", "ACGTAC", "TTTT", "GGGAA", "CCC"]
    Dataset(designs, np.arange(5.0), space)  # the designs lie in the space

    class CountA:
        def __call__(self, d):
            return np.array([x.count("A") for x in d], float)

        def soft(self, x):
            return x[..., 0].sum(-1)

    out = GradientGenerator(steps=30).ascend(CountA().soft, designs, space, np.random.default_rng(0))
    assert [len(d) for d in out[-1]] == [len(d) for d in designs]
    assert all(set(d) == {"A"} for d in out[-1])


def test_bad_settings_and_spaces():
    with pytest.raises(InvalidInputError, match="relax must be one of"):
        GradientGenerator(relax="sparsemax")
    with pytest.raises(InvalidInputError, match="optimizer"):
        GradientGenerator(optimizer="lbfgs")
    with pytest.raises(InvalidInputError, match="has no setting"):
        make_generator("gradient", stepz=3)
    with pytest.raises(InvalidInputError, match="needs seed_top"):
        GradientGenerator(GradientConfig(steps=-1))

    class NoOneHot:
        pass

    class Soft:
        def __call__(self, d):
            return np.zeros(len(d))

        def soft(self, x):
            return x.sum((1, 2))

    data = Dataset(["ACGTACGT"], [1.0], NoOneHot())
    with pytest.raises(InvalidInputError, match="needs a sequence space"):
        GradientGenerator(steps=2).propose(Soft(), 4, data, np.random.default_rng(0))


def test_a_design_run_with_gradient_and_com():
    from seqmbo.run import RunConfig, execute

    cfg = RunConfig(task="ehrlich-20-16-2-4", generator="gradient", proxy="com", n=16, calibration=False,
                    proxy_options={"min_steps": 50, "particle_steps": 5}, generator_options={"steps": 30})
    res = execute(cfg)
    assert res.metrics["oracle_calls_design"] == 0 and res.metrics["generator"] == "gradient"
    assert 1 <= res.metrics["n_candidates"] <= 16
