"""An anchor to the behaviour-cloned policy: a prior-tempered reward that keeps sampling near the data.

After behaviour cloning (:meth:`~seqmbo.generators.gflownet.trainer.GFlowNetTrainer.behaviour_clone`)
the policy ``p_clone`` is a density model of the offline designs the reward accepts. With
``anchor = lambda > 0`` a frozen copy of it is kept and every balance target becomes

    ``log R'(x) = log R(x) + lambda * log p_clone(x)``,

so the GFlowNet learns to sample ``x`` with probability proportional to ``R(x) * p_clone(x) ** lambda``:
the reward tempered by a prior of the data. ``lambda = 1`` is the reward times the cloned density
(a posterior with the clone as prior); smaller ``lambda`` flattens the prior, larger sharpens it.
Designs the proxies over-rate far from the data (where they stop ranking) lose
``lambda * (log p_clone(data-like) - log p_clone(x))`` nats against data-like ones. Trajectory balance
(and SubTB, whose terminal flow is the target) handles the sum directly: it is another log-reward.

``log p_clone(x)`` is the sum over the trajectory's steps (the clone's exact ``log P_F(x)``,
``P_B = 1``) under the trajectory's own conditioning (preference or ``beta``); the clone sees the
same next-token constraints as the policy.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from seqmbo.generators.gflownet.env import TokenEnv
from seqmbo.generators.gflownet.losses import trajectory_log_probs


class CloneAnchor:
    """``weight * log p_clone(x)`` of a frozen copy of a policy.

    Args:
        policy: the behaviour-cloned policy (copied; the copy is frozen and in eval mode).
        env: the environment.
        weight: ``lambda`` (> 0).
    """

    def __init__(self, policy: nn.Module, env: TokenEnv, weight: float) -> None:
        self.policy = copy.deepcopy(policy).eval()
        for p in self.policy.parameters():
            p.requires_grad_(False)
        self.env, self.weight = env, float(weight)

    @torch.no_grad()
    def __call__(self, tokens: torch.Tensor, lengths: torch.Tensor, masks: torch.Tensor,
                 cond: torch.Tensor | None = None) -> torch.Tensor:
        """``weight * log p_clone(x)`` ``(n,)`` of designs ``tokens (n, L)``, ``lengths (n,)``.

        Args:
            tokens: the designs, padded with negatives.
            lengths: their lengths.
            masks: the valid actions, ``(P, A)`` or per design ``(n, P, A)`` (as the policy's).
            cond: each design's conditioning (preferences ``(n, m)`` or betas ``(n,)``), if any.
        """
        log_pf, _ = trajectory_log_probs(self.policy, self.env, tokens, lengths, masks, cond)
        return self.weight * log_pf.sum(dim=1)
