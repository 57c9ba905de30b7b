"""Proxies seed themselves: global random state untouched, same seed -> same predictions."""

import numpy as np
import pytest
import torch

from seqmbo.errors import InvalidInputError
from seqmbo.proxies import make_proxy
from tests.landscapes import SPACE, additive, distinct

QUICK = {
    "ensemble": dict(members=2, epochs=1, min_steps=30, bootstrap=True),
    "mlp": dict(epochs=1, min_steps=30, dropout=0.2),
    "mc-dropout": dict(epochs=1, min_steps=30, passes=4),
    "com": dict(epochs=1, min_steps=30, particle_steps=2),
}


def fitted(name, seed):
    designs = distinct(300, 0)
    return make_proxy(name, SPACE, seed=seed, **QUICK[name]).fit(designs, additive(designs))


@pytest.mark.parametrize("name", sorted(QUICK))
def test_fit_and_predict_leave_the_global_rng_alone_and_repeat(name):
    test_x = distinct(100, 1)
    torch.manual_seed(99)
    state = torch.random.get_rng_state()
    a = fitted(name, 3)
    pred_a = a.predict(test_x)
    assert torch.equal(torch.random.get_rng_state(), state)
    torch.manual_seed(12345)  # another global state: must not matter
    pred_b = fitted(name, 3).predict(test_x)
    np.testing.assert_array_equal(pred_a.mean, pred_b.mean)
    if pred_a.std is not None:
        np.testing.assert_array_equal(pred_a.std, pred_b.std)
    pred_c = fitted(name, 4).predict(test_x)
    assert not np.array_equal(pred_a.mean, pred_c.mean)  # the seed matters


def test_predict_one_hot_equals_predict():
    proxy = fitted("ensemble", 0)
    test_x = distinct(50, 2)
    a, b = proxy.predict(test_x), proxy.predict_one_hot(SPACE.one_hot(test_x))
    np.testing.assert_array_equal(a.mean, b.mean)  # the same batches: the same floats
    np.testing.assert_array_equal(a.std, b.std)
    c = proxy.predict_one_hot(SPACE.one_hot(test_x), batch_size=7)  # other batches: float32 rounding only
    np.testing.assert_allclose(c.mean, a.mean, rtol=1e-5, atol=1e-5)


def test_proxy_device_is_resolved():
    assert make_proxy("ensemble", SPACE, device="cpu").device == torch.device("cpu")
    with pytest.raises(InvalidInputError, match="unknown device"):
        make_proxy("ensemble", SPACE, device="gpu")
