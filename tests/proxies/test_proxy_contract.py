"""Contract: every proxy fits, predicts the right shapes, and learns a simple landscape."""

import numpy as np
import pytest
import torch

from seqmbo.errors import InvalidInputError, UnknownNameError
from seqmbo.metrics.run_metrics import spearman
from seqmbo.proxies import ProxyReward, make_proxy
from seqmbo.spaces import dna

SPACE = dna(8)
WEIGHTS = np.random.default_rng(7).normal(size=(8, 4))


def additive(designs):
    ids = SPACE.encode(designs)
    return WEIGHTS[np.arange(8), ids].sum(1)


def data(n, seed):
    designs = list(dict.fromkeys(SPACE.sample(n, np.random.default_rng(seed))))
    return designs, additive(designs)


PROXIES = {
    "ensemble": dict(members=3, epochs=30, min_steps=300),
    "mlp": dict(epochs=30, min_steps=300),
    "mc-dropout": dict(epochs=30, min_steps=300, passes=10),
    "com": dict(epochs=30, min_steps=300, particle_steps=10),
}
HAS_STD = {"ensemble", "mc-dropout"}  # the others are single deterministic networks


@pytest.mark.parametrize("name", sorted(PROXIES))
def test_proxy_fits_and_predicts(name):
    train_x, train_y = data(1500, 0)
    test_x, test_y = data(500, 1)
    proxy = make_proxy(name, SPACE, seed=0, **PROXIES[name]).fit(train_x, train_y)
    pred = proxy.predict(test_x)
    assert pred.mean.shape == (len(test_x),) and pred.mean.dtype == np.float64
    assert spearman(pred.mean, test_y) > 0.9
    if name in HAS_STD:
        assert pred.std is not None and pred.std.shape == pred.mean.shape and (pred.std >= 0).all()
        assert pred.std.mean() > 0
    else:
        assert pred.std is None
    # gradients flow through soft one-hot input
    x = SPACE.one_hot(test_x[:4]).requires_grad_(True)
    mean, _ = proxy.forward_soft(x)
    mean.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_same_seed_same_predictions():
    x, y = data(300, 0)
    a = make_proxy("ensemble", SPACE, seed=5, members=2, min_steps=50).fit(x, y).predict(x[:20]).mean
    b = make_proxy("ensemble", SPACE, seed=5, members=2, min_steps=50).fit(x, y).predict(x[:20]).mean
    assert np.array_equal(a, b)


def test_reward_kinds_and_invalid_designs():
    x, y = data(300, 0)
    proxy = make_proxy("ensemble", SPACE, seed=0, members=3, min_steps=100).fit(x, y)
    pred = proxy.predict(x[:5])
    mean = ProxyReward(proxy, SPACE, "mean")(x[:5])
    lcb = ProxyReward(proxy, SPACE, "lcb", kappa=2.0)(x[:5])
    assert np.allclose(mean, pred.mean) and np.allclose(lcb, pred.mean - 2.0 * pred.std)
    r = ProxyReward(proxy, SPACE)(["ACGTACGT", "ACGTACGN", "ACG"])
    assert np.isfinite(r[0]) and r[1] == -np.inf and r[2] == -np.inf
    with pytest.raises(InvalidInputError, match="unknown reward"):
        ProxyReward(proxy, SPACE, "best")


def test_unknown_proxy_and_unfitted_use():
    with pytest.raises(UnknownNameError, match="unknown proxy 'gp'"):
        make_proxy("gp", SPACE)
    with pytest.raises(InvalidInputError, match="must be fitted"):
        make_proxy("ensemble", SPACE).predict(["ACGTACGT"])
