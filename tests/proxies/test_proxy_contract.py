"""Contract: every proxy fits, predicts the right shapes, and learns a simple landscape."""

import numpy as np
import pytest
import torch

from seqmbo.errors import InvalidInputError, UnknownNameError
from seqmbo.metrics.run_metrics import spearman
from seqmbo.proxies import ProxyReward, make_proxy
from tests.landscapes import SPACE, additive, distinct

def data(n, seed):
    designs = distinct(n, seed)
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


@pytest.mark.parametrize("arch", ["cnn", "mlp", "transformer"])
def test_double_stranded_space_gives_strand_symmetric_proxies(arch):
    from seqmbo.spaces import SequenceSpace

    ds = SequenceSpace.fixed("ACGT", 8, "dna", reverse_complement=True)
    x, y = data(300, 0)
    rc = [ds.reverse_complement_of(d) for d in x[:50]]
    opts = dict(members=2, arch=arch, min_steps=30)
    both = make_proxy("ensemble", ds, seed=0, **opts).fit(x, y)
    assert np.allclose(both.predict(x[:50]).mean, both.predict(rc).mean, atol=1e-5)
    one = make_proxy("ensemble", SPACE, seed=0, **opts).fit(x, y)  # a single-stranded space: no symmetry
    assert not np.allclose(one.predict(x[:50]).mean, one.predict(rc).mean, atol=1e-3)


def test_top_weight_puts_the_fit_on_the_best_designs():
    # a landscape the small network cannot fit everywhere: the weighted fit must be better at the top
    r = np.random.default_rng(3)
    pair = r.normal(size=(7, 4, 4))
    designs = distinct(3000, 0)
    ids = SPACE.encode(designs)
    y = additive(designs) + pair[np.arange(7), ids[:, :-1], ids[:, 1:]].sum(1)
    top = y >= np.quantile(y, 0.9)
    err = {}
    for w in (0.0, 2.0):
        p = make_proxy("mlp", SPACE, seed=0, hidden=8, layers=1, min_steps=600, top_weight=w).fit(designs, y)
        err[w] = float(np.sqrt(np.mean((p.predict([d for d, t in zip(designs, top) if t]).mean - y[top]) ** 2)))
    assert err[2.0] < 0.8 * err[0.0], err
