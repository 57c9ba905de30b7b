"""The GFlowNet's anchor to its behaviour-cloned policy (``anchor = lambda``): off changes nothing, on adds
``lambda * log p_clone(x)`` to every balance target from a frozen copy of the clone."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

from seqmbo.data.dataset import Dataset
from seqmbo.errors import InvalidInputError
from seqmbo.generators.gflownet import GFlowNetConfig, GFlowNetGenerator, GFlowNetTrainer, TokenEnv
from seqmbo.generators.gflownet.losses import trajectory_balance, trajectory_log_probs
from seqmbo.spaces.sequence import SequenceSpace


def _sparse_problem() -> tuple[SequenceSpace, object, Dataset]:
    """DNA of length 3-12 whose support is designs of A and C only (more C is better)."""
    space = SequenceSpace("ACGT", 3, 12, "dna")

    def reward(designs):
        return np.array([d.count("C") + 0.1 * len(d) if set(d) <= {"A", "C"} else -np.inf for d in designs])

    rng = np.random.default_rng(1)
    designs = ["".join(rng.choice(list("AC"), n)) for n in rng.integers(3, 9, 300)]
    designs += list(space.sample(100, rng))
    designs = list(dict.fromkeys(designs))
    return space, reward, Dataset(designs, np.nan_to_num(reward(designs), neginf=0.0), space)


def _propose(**settings) -> tuple[list[str], dict]:
    _, reward, data = _sparse_problem()
    gen = GFlowNetGenerator(hidden_dim=32, n_layers=1, steps=10, batch_size=32, min_samples=200,
                            pretrain_steps=20, **settings)
    out = gen.propose(reward, 16, data, np.random.default_rng(0))
    return out, gen.last_run


def test_anchor_off_gives_the_samples_of_before():
    # digest, count and log Z measured with the code before the option existed (same settings, seed 0)
    assert GFlowNetConfig().anchor == 0.0
    out, run = _propose()
    assert hashlib.sha256("\n".join(out).encode()).hexdigest()[:16] == "4e3225187795f9c7"
    assert len(out) == 340
    assert run["log_z"] == pytest.approx(-5.947195053100586, abs=1e-6)
    assert run["anchor"] == 0.0
    on, run = _propose(anchor=1.0)
    assert run["anchor"] == 1.0 and on != out


def _cloned_trainer(anchor: float) -> tuple[GFlowNetTrainer, torch.Tensor, torch.Tensor]:
    """A trainer cloned on designs of tokens 0 and 1 only (of 4), lengths 2-8."""
    env = TokenEnv(4, 2, 8)
    rng = np.random.default_rng(0)
    lengths = torch.as_tensor(rng.integers(2, 9, 200))
    tokens = torch.full((200, 8), -1)
    for i, n in enumerate(lengths.tolist()):
        tokens[i, :n] = torch.as_tensor(rng.integers(0, 2, n))
    with torch.random.fork_rng():
        torch.manual_seed(0)
        trainer = GFlowNetTrainer(env, GFlowNetConfig(batch_size=64, anchor=anchor), torch.Generator().manual_seed(0))
    trainer.behaviour_clone(tokens, lengths, 100)
    return trainer, tokens, lengths


def test_anchored_reward_prefers_what_the_clone_finds_likely_and_enters_the_balance_loss():
    trainer, tokens, lengths = _cloned_trainer(anchor=0.5)
    likely = torch.tensor([[0, 1, 0, 1, -1, -1, -1, -1]])  # the data's letters
    unlikely = torch.tensor([[2, 3, 2, 3, -1, -1, -1, -1]])  # letters the data never holds
    both, n = torch.cat([likely, unlikely]), torch.tensor([4, 4])
    equal = torch.full((2,), -3.0)  # the same proxy score
    target = trainer.anchored(both, n, equal)
    log_p = trainer.log_prob(both, n)  # the policy is the clone right after cloning
    assert target.tolist() == pytest.approx((equal + 0.5 * log_p).tolist(), abs=1e-5)
    assert float(target[0] - target[1]) > 5.0  # 0.5 * (log p_clone(likely) - log p_clone(unlikely))

    log_r = torch.full((tokens.shape[0],), -2.0)
    anchored = trainer.anchored(tokens, lengths, log_r)
    log_pf, _ = trajectory_log_probs(trainer.policy, trainer.env, tokens, lengths)
    expected = trajectory_balance(log_pf, trainer.log_z, anchored)
    assert float(trainer.loss(tokens, lengths, log_r).detach()) == pytest.approx(float(expected.detach()), rel=1e-5)
    value = trainer.fit_log_z(tokens, lengths, lambda t, l: torch.full((t.shape[0],), -2.0))
    # log Z = mean(log R + 0.5 log p_clone - log P_F) = -2 - 0.5 mean(log p_clone) while P_F is the clone
    assert value == pytest.approx(-2.0 - 0.5 * float(trainer.log_prob(tokens, lengths).mean()), abs=1e-4)


def test_anchor_is_frozen_while_the_policy_trains():
    trainer, tokens, lengths = _cloned_trainer(anchor=1.0)
    before = trainer.anchored(tokens, lengths, torch.zeros(tokens.shape[0])).clone()
    reward = lambda t, l: (t == 3).sum(dim=1).float()  # noqa: E731  rewards the letter the data lacks
    trainer.train(reward, steps=20)
    after = trainer.anchored(tokens, lengths, torch.zeros(tokens.shape[0]))
    assert torch.equal(before, after)
    assert not torch.allclose(trainer.log_prob(tokens, lengths), before)
    assert not any(p.requires_grad for p in trainer.anchor.policy.parameters())


def test_anchor_validation():
    for bad in (-0.1, float("inf"), float("nan"), "strong", True):
        with pytest.raises(InvalidInputError, match="anchor must be a finite number >= 0"):
            GFlowNetConfig(anchor=bad)
    with pytest.raises(InvalidInputError, match="anchor must be a finite number >= 0"):
        GFlowNetGenerator(anchor=-1)
    _, reward, data = _sparse_problem()
    gen = GFlowNetGenerator(hidden_dim=32, n_layers=1, steps=2, anchor=0.5)  # DNA, one objective: no cloning
    with pytest.raises(InvalidInputError, match="anchor=0.5 needs behaviour cloning"):
        gen.propose(reward, 16, data, np.random.default_rng(0))
