"""Proxies that know what they don't know: uncertainty grows off the data; COMs stay pessimistic there.

Landscape: additive over DNA 8-mers. "On the data" are designs with at most 2 G/T letters; the
further a design is from that region (more G/T letters), the less the proxy has seen.
"""

import numpy as np
import pytest
import torch

from seqmbo.generators.gradient import GradientGenerator
from seqmbo.metrics.run_metrics import spearman
from seqmbo.proxies import ProxyReward, make_proxy
from tests.landscapes import SPACE, additive, distinct



@pytest.fixture(scope="module")
def region():
    """(training designs, all designs, number of G/T letters of each of all)."""
    every = distinct(20000, 1)
    gt = (SPACE.encode(every) >= 2).sum(1)
    train = [d for d, k in zip(every, gt) if k <= 2]
    return train, every, gt


def std_by_distance(proxy, every, gt):
    std = proxy.predict(every).std
    assert std is not None and std.shape == (len(every),) and (std > 0).all()
    return np.array([std[gt == k].mean() for k in range(9)])


@pytest.mark.parametrize("name,options", [("mc-dropout", dict(passes=10)), ("ensemble", dict(members=3))])
def test_std_is_larger_off_the_data(region, name, options):
    train, every, gt = region
    proxy = make_proxy(name, SPACE, seed=0, min_steps=300, **options).fit(train, additive(train))
    s = std_by_distance(proxy, every, gt)
    assert s[:3].mean() > 0
    assert s[6:].mean() > 1.5 * s[:3].mean()  # far from the data (6-8 G/T) vs on it (0-2)
    assert s[8] > s[4] > s[1]  # and it grows on the way


def test_mc_dropout_predictions_do_not_depend_on_the_batch():
    x = SPACE.sample(200, np.random.default_rng(0))
    proxy = make_proxy("mc-dropout", SPACE, seed=0, min_steps=50, passes=8).fit(x, additive(x))
    whole = proxy.predict(x)
    alone = proxy.predict(x[5:6])
    assert np.allclose(whole.mean[5:6], alone.mean, atol=1e-5) and np.allclose(whole.std[5:6], alone.std, atol=1e-5)
    again = proxy.predict(x)
    assert np.array_equal(whole.mean, again.mean)


def test_bootstrap_ensemble_members_see_different_data():
    x = SPACE.sample(400, np.random.default_rng(0))
    y = additive(x)
    plain = make_proxy("ensemble", SPACE, seed=0, members=3, min_steps=100).fit(x, y).predict(x)
    boot = make_proxy("ensemble", SPACE, seed=0, members=3, min_steps=100, bootstrap=True).fit(x, y).predict(x)
    assert boot.std is not None and (boot.std > 0).all()
    assert not np.allclose(plain.mean, boot.mean)
    assert spearman(boot.mean, y) > 0.8


def test_com_is_pessimistic_where_gradient_ascent_goes():
    every = distinct(20000, 1)
    y = additive(every)
    train = [d for d, v in zip(every, y) if v <= np.median(y)][:1000]  # the lower half, as in Design-Bench
    ty = additive(train)
    plain = make_proxy("mlp", SPACE, seed=0, min_steps=200).fit(train, ty)
    com = make_proxy("com", SPACE, seed=0, min_steps=200, particle_steps=10).fit(train, ty)
    assert com.penalty is not None and com.penalty.history and com.penalty.alpha > 0
    # both fit the data alike ...
    assert abs(com.predict(train).mean.mean() - plain.predict(train).mean.mean()) < 0.2 * ty.std()
    # ... but where ascent on the plain net leads, the COM predicts much lower
    starts = [train[i] for i in np.argsort(-ty)[:64]]
    ascended = GradientGenerator(steps=40).ascend(ProxyReward(plain, SPACE).soft, starts, SPACE, np.random.default_rng(0))[-1]
    gap = plain.predict(ascended).mean.mean() - com.predict(ascended).mean.mean()
    assert gap > 1.0 * ty.std()


def test_transformer_ensemble_learns_and_is_differentiable():
    x = distinct(1000, 0)
    test = SPACE.sample(300, np.random.default_rng(1))
    proxy = make_proxy("ensemble", SPACE, seed=0, arch="transformer", members=2, dim=16, min_steps=150, lr=3e-3).fit(x, additive(x))
    pred = proxy.predict(test)
    assert pred.std is not None and spearman(pred.mean, additive(test)) > 0.8
    soft = SPACE.one_hot(test[:4]).requires_grad_(True)
    r = ProxyReward(proxy, SPACE, "lcb", kappa=1.0).soft(soft)
    r.sum().backward()
    assert r.shape == (4,) and torch.isfinite(soft.grad).all() and soft.grad.abs().sum() > 0


def test_reward_soft_matches_the_reward_on_hard_designs():
    x = SPACE.sample(300, np.random.default_rng(0))
    proxy = make_proxy("ensemble", SPACE, seed=0, members=3, min_steps=50).fit(x, additive(x))
    for kind in ("mean", "lcb", "ucb"):
        reward = ProxyReward(proxy, SPACE, kind, kappa=2.0)
        with torch.no_grad():
            soft = reward.soft(SPACE.one_hot(x[:10])).numpy()
        assert np.allclose(soft, reward(x[:10]), atol=1e-5)


def test_reward_soft_needs_forward_soft():
    from seqmbo.errors import InvalidInputError
    from seqmbo.proxies.base import Prediction

    class Lookup:
        def fit(self, designs, y):
            return self

        def predict(self, designs):
            return Prediction(np.zeros(len(designs)))

    reward = ProxyReward(Lookup(), SPACE)
    assert not reward.differentiable
    with pytest.raises(InvalidInputError, match="not differentiable"):
        reward.soft(SPACE.one_hot(["ACGTACGT"]))
