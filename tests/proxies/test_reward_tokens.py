"""``ProxyReward.on_tokens`` gives what the reward gives on the decoded strings."""

import numpy as np
import torch

from seqmbo.gates import BigramSupport
from seqmbo.proxies import ProxyReward, make_proxy
from seqmbo.spaces import dna


def setting(kind="lcb"):
    space = dna(min_length=3, max_length=6)
    rng = np.random.default_rng(0)
    designs = [d for d in dict.fromkeys(space.sample(400, rng)) if "TT" not in d and "GA" not in d]
    y = np.array([d.count("A") - d.count("C") + 0.5 * len(d) for d in designs])
    proxy = make_proxy("ensemble", space, seed=0, members=2, epochs=1, min_steps=40).fit(designs, y)
    support = BigramSupport(designs, space)
    return space, ProxyReward(proxy, space, kind, kappa=0.5, support=support), support


def test_tokens_and_strings_agree_including_invalid_and_off_support():
    space, reward, support = setting()
    designs = ["ACGA", "ACGTTA", "CCC", "GGGGGG", "ACGATA", "CAGACA", "ACGA", "GACC"]
    tokens = torch.as_tensor(space.encode(designs))
    lengths = torch.as_tensor([len(d) for d in designs])
    on_tokens = reward.on_tokens(tokens, lengths)
    assert on_tokens.dtype == torch.float64 and on_tokens.shape == (len(designs),)
    fresh = ProxyReward(reward.proxy, space, "lcb", kappa=0.5, support=support)
    on_strings = fresh(designs)
    np.testing.assert_array_equal(on_tokens.numpy(), on_strings)
    off = [("TT" in d) or ("GA" in d) for d in designs]
    assert np.isneginf(on_strings[off]).all() and np.isfinite(on_strings[~np.array(off)]).all()
    # too short and too long for the space (lengths given or read from the padding): -inf
    short = torch.full((2, 6), -1)
    short[0, :2] = torch.tensor([0, 1])
    short[1, :] = torch.tensor([0, 1, 2, 1, 0, 1])
    assert torch.isneginf(reward.on_tokens(short[:1])).all()
    assert torch.isneginf(reward.on_tokens(short[1:], torch.tensor([7]))).all()  # length beyond the space
    np.testing.assert_array_equal(reward.on_tokens(short[1:]).numpy(), fresh(["ACGCAC"]))  # valid, on support
    assert np.isfinite(fresh(["ACGCAC"])).all()


def test_token_cache_scores_each_design_once_and_support_bigrams():
    space, reward, support = setting("mean")
    designs = ["ACGA", "ACGA", "CCCA"]
    tokens = torch.as_tensor(space.encode(designs))
    first = reward.on_tokens(tokens)
    assert reward.calls == 2  # two distinct designs
    again = reward.on_tokens(tokens)
    assert reward.calls == 2 and torch.equal(first, again)
    assert first[0] == first[1]
    np.testing.assert_array_equal(reward(["CCCA", "ACGA"]), first.numpy()[[2, 0]])
    assert reward.calls == 2  # the string path takes the values on_tokens found
    assert reward.support_bigrams().shape == (4, 4) and np.array_equal(reward.support_bigrams(), support.seen)
    assert not reward.support_bigrams()[3, 3]  # "TT" never seen
    assert ProxyReward(reward.proxy, space).support_bigrams() is None


def test_tokens_of_a_proxy_without_predict_one_hot_are_decoded():
    space, reward, support = setting("mean")

    class StringsOnly:
        def predict(self, designs):
            return reward.proxy.predict(designs)

    plain = ProxyReward(StringsOnly(), space, "mean", support=support)
    designs = ["ACGA", "CAGACA", "TTAC"]
    got = plain.on_tokens(torch.as_tensor(space.encode(designs)))
    np.testing.assert_array_equal(got.numpy(), reward(designs))
