"""Trajectory balance and sub-trajectory balance for the token-appending environment.

With ``P_B = 1`` (one parent a state), a trajectory ``s_0 -> ... -> s_K = x`` gives

* TB (Malkin et al. 2022): ``(log Z + sum_t log P_F(a_t | s_t) - log R(x))^2``;
* SubTB (Madan et al. 2023): for every ``0 <= i < j <= K``,
  ``(log F(s_i) + sum_{i<=t<j} log P_F(a_t | s_t) - log F(s_j))^2``, weighted by
  ``lambda^(j-i)`` and normalized by the sum of weights of the trajectory, where
  ``log F(s_0) = log Z`` and ``log F(s_K) = log R(x)`` (the terminal flow is the reward;
  for variable lengths ``s_K`` is the state after the stop action).
"""

from __future__ import annotations

import torch
from torch import nn

from seqmbo.generators.gflownet.env import TokenEnv


def trajectory_log_probs(
    policy: nn.Module,
    env: TokenEnv,
    tokens: torch.Tensor,
    lengths: torch.Tensor,
    masks: torch.Tensor | None = None,
    beta: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-step forward log-probabilities of given designs, in one batched call.

    Args:
        policy: the policy (its ``forward(tokens, n_pos)``).
        env: the environment.
        tokens: ``(n, L)`` designs, padded with negatives.
        lengths: ``(n,)`` their lengths.
        masks: ``env.masks()``, if the caller already has it, or per-design masks ``(n, P, A)``
            (next-token constraints).
        beta: ``(n,)`` inverse temperatures, for a beta-conditioned policy only.

    Returns:
        ``log_pf (n, P)`` (``0`` where no action is taken) and the flow head's
        ``log_flow (n, P)`` at each prefix, ``P = env.n_positions``.
    """
    masks = env.masks() if masks is None else masks
    logits, log_flow = policy(tokens, env.n_positions, beta)
    if not bool(masks.all()):
        logits = logits.masked_fill(~masks, float("-inf"))
    actions, taken = env.actions(tokens, lengths)
    log_pf = logits.log_softmax(dim=-1).gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    if env.is_fixed_length:
        return log_pf, log_flow
    return torch.where(taken, log_pf, log_pf.new_zeros(())), log_flow


def trajectory_balance(log_pf: torch.Tensor, log_z: torch.Tensor, log_reward: torch.Tensor) -> torch.Tensor:
    """Mean TB loss of a batch: ``log_pf (n, P)`` per step, ``log_reward (n,)``, ``log_z`` scalar or ``(n,)``."""
    return (log_z + log_pf.sum(dim=1) - log_reward).pow(2).mean()


def subtrajectory_balance(
    log_pf: torch.Tensor,
    log_flow: torch.Tensor,
    log_z: torch.Tensor,
    log_reward: torch.Tensor,
    n_steps: torch.Tensor,
    lam: float = 0.9,
) -> torch.Tensor:
    """Mean SubTB(lambda) loss of a batch.

    Args:
        log_pf: ``(n, P)`` per-step forward log-probabilities (``0`` after the last action).
        log_flow: ``(n, P)`` learned ``log F`` of the prefixes (index 0 is replaced by ``log_z``).
        log_z: scalar ``log Z``, or ``(n,)`` (one a trajectory: a beta-conditioned ``log Z``).
        log_reward: ``(n,)`` terminal log-rewards.
        n_steps: ``(n,)`` actions in each trajectory ``K`` (``<= P``).
        lam: sub-trajectory weight base.
    """
    n, p = log_pf.shape
    idx = torch.arange(p + 1, device=log_pf.device)
    flows = torch.cat([log_z.reshape(-1, 1).expand(n, 1), log_flow[:, 1:], log_flow.new_zeros(n, 1)], dim=1)
    flows = torch.where(idx[None, :] == n_steps[:, None], log_reward[:, None], flows)
    cum = torch.cat([log_pf.new_zeros(n, 1), log_pf.cumsum(dim=1)], dim=1)
    a = flows - cum  # residual(i, j) = a_i - a_j
    resid = a[:, :, None] - a[:, None, :]
    gap = (idx[None, :] - idx[:, None]).to(log_pf.dtype)  # j - i
    upper = gap > 0
    weight = torch.where(upper, log_pf.new_tensor(lam).pow(gap), log_pf.new_zeros(()))
    inside = (idx[None, None, :] <= n_steps[:, None, None]).to(log_pf.dtype)  # j <= K (then i < j <= K)
    w = weight[None] * inside
    per_traj = (w * resid.pow(2)).sum(dim=(1, 2)) / w.sum(dim=(1, 2))
    return per_traj.mean()
