"""Generators on devices: own random generators, global state untouched, tokens == strings."""

import numpy as np
import pytest
import torch

from seqmbo.data.dataset import Dataset
from seqmbo.errors import InvalidInputError
from seqmbo.gates import BigramSupport
from seqmbo.generators import make_generator
from seqmbo.proxies import ProxyReward, make_proxy
from seqmbo.spaces import dna

QUICK = dict(steps=30, hidden_dim=32, batch_size=32, min_samples=256)


@pytest.fixture(scope="module")
def setting():
    space = dna(6)
    rng = np.random.default_rng(0)
    designs = [d for d in dict.fromkeys(space.sample(600, rng)) if "TG" not in d][:300]
    y = np.array([d.count("G") - d.count("T") for d in designs], dtype=float)
    data = Dataset(designs, y, space)
    proxy = make_proxy("ensemble", space, seed=0, members=2, epochs=1, min_steps=40).fit(designs, y)
    return data, proxy, BigramSupport(designs, space)


def reward_of(setting):
    data, proxy, support = setting
    return ProxyReward(proxy, data.space, "lcb", 0.5, support=support)


@pytest.mark.parametrize("name, options", [("gflownet", QUICK), ("gradient", dict(steps=5, seed_top=16))])
def test_propose_leaves_the_global_rng_alone_and_repeats(setting, name, options):
    data = setting[0]
    torch.manual_seed(1)
    state = torch.random.get_rng_state()
    a = make_generator(name, device="cpu", **options).propose(reward_of(setting), 16, data, np.random.default_rng(3))
    assert torch.equal(torch.random.get_rng_state(), state)
    torch.manual_seed(777)  # another global state: the same designs
    b = make_generator(name, **options).propose(reward_of(setting), 16, data, np.random.default_rng(3))
    assert a == b and len(a) >= 16


def test_gflownet_on_tokens_equals_gflownet_on_strings(setting):
    """A reward with ``on_tokens`` and the same reward seen only as strings give the same run."""
    data = setting[0]
    tokens_reward = reward_of(setting)
    strings_reward = reward_of(setting)
    gen_t = make_generator("gflownet", **QUICK, support_mask=False)  # off-support designs come up: -inf
    gen_s = make_generator("gflownet", **QUICK, support_mask=False)
    a = gen_t.propose(tokens_reward, 16, data, np.random.default_rng(5))
    class StringsOnly:  # the same reward without on_tokens
        def __call__(self, designs):
            return strings_reward(designs)

        def support_bigrams(self):
            return strings_reward.support_bigrams()

    b = gen_s.propose(StringsOnly(), 16, data, np.random.default_rng(5))
    assert a == b
    assert tokens_reward._cache == {}  # no string was scored while training
    assert gen_t.last_run["designs_scored"] == gen_s.last_run["designs_scored"]
    assert gen_t.last_run["designs_invalid"] == gen_s.last_run["designs_invalid"] > 0  # sampled off the support
    np.testing.assert_array_equal(tokens_reward(a), strings_reward(a))


def test_gflownet_masks_with_the_rewards_support_bigrams(setting):
    data = setting[0]
    gen = make_generator("gflownet", **QUICK)
    out = gen.propose(reward_of(setting), 16, data, np.random.default_rng(0))
    assert gen.last_run["support_mask"] and gen.last_run["device"] == "cpu"
    assert not any("TG" in d for d in out)  # "TG" never occurs offline: masked while building


def test_generators_resolve_the_device():
    assert make_generator("gflownet", device="cpu").device == torch.device("cpu")
    assert make_generator("gradient").device == torch.device("cpu")
    with pytest.raises(InvalidInputError, match="unknown device"):
        make_generator("gflownet", device="gpu0")
    make_generator("evolution", device="cpu")  # no tensors: accepts and ignores it
