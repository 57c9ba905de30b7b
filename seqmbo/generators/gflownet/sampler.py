"""Batched trajectory sampling: all sequences advance together, one loop over positions.

Sampling runs without gradients; the training losses recompute the log-probabilities of
the sampled (or offline, or replayed) designs in one batched forward over all prefixes.
That keeps the per-step loop cheap and lets off-policy designs share the same loss code.
"""

from __future__ import annotations

import torch
from torch import nn

from seqmbo.generators.gflownet.constraints import TransitionMask
from seqmbo.generators.gflownet.env import PAD, TokenEnv


def _gumbel_argmax(logits: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """One categorical draw a row from unnormalized ``logits (n, A)`` (``-inf`` = invalid)."""
    # u = 0 gives -inf noise: harmless
    u = torch.rand(logits.shape, generator=generator, dtype=logits.dtype, device=logits.device)
    return (logits - u.log_().neg_().log_()).argmax(dim=1)


def _blocked(valid: torch.Tensor) -> torch.Tensor:
    """``0`` where ``valid``, ``-inf`` elsewhere (float32)."""
    return torch.zeros(valid.shape, dtype=torch.float32, device=valid.device).masked_fill_(~valid, float("-inf"))


@torch.no_grad()
def sample_trajectories(
    policy: nn.Module,
    env: TokenEnv,
    n: int,
    generator: torch.Generator | None = None,
    epsilon: float = 0.0,
    temperature: float = 1.0,
    masks: torch.Tensor | None = None,
    beta: torch.Tensor | None = None,
    constraint: TransitionMask | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Build ``n`` designs token by token from ``policy``.

    Args:
        policy: a policy with ``start(n)`` / ``step(state, tokens, t)``.
        env: the environment.
        n: how many designs.
        generator: the torch random generator (the only randomness used), on the policy's device.
        epsilon: probability of replacing an action by a uniformly random valid one.
        temperature: divides the logits (``1`` samples the policy itself).
        masks: ``env.masks()`` on the policy's device, if the caller already has it.
        beta: ``(n,)`` inverse temperatures, for a beta-conditioned policy only.
        constraint: next-token constraints (on top of ``masks``), if any.

    Returns:
        ``tokens (n, L)`` int64 padded with :data:`PAD`, and ``lengths (n,)`` int64, on the
        device of ``masks`` (default: the policy's).
    """
    if masks is None:
        masks = env.masks(next(policy.parameters()).device)
    device = masks.device
    blocked = _blocked(masks)
    restricted = (~masks).any(dim=1).tolist()  # positions where some action is invalid
    L, stop = env.max_length, env.stop
    tokens = torch.full((n, L), PAD, dtype=torch.long, device=device)
    lengths = torch.full((n,), L, dtype=torch.long, device=device)
    done = torch.zeros(n, dtype=torch.bool, device=device)
    state = policy.start(n, beta)
    for t in range(L):
        logits, state = policy.step(state, tokens, t)
        if temperature != 1.0:
            logits = logits / temperature
        block = blocked[t] if constraint is None else _blocked(constraint.at(t, tokens))
        actions = _gumbel_argmax(logits + block if restricted[t] or constraint is not None else logits, generator)
        if epsilon > 0.0:
            uniform = _gumbel_argmax(block.expand(n, -1), generator)
            explore = torch.rand(n, generator=generator, device=device) < epsilon
            actions = torch.where(explore, uniform, actions)
        if stop is None:
            tokens[:, t] = actions
            continue
        stopping = (actions == stop) & ~done
        lengths = torch.where(stopping, t, lengths)
        done |= stopping
        tokens[:, t] = torch.where(done, PAD, actions)
        if bool(done.all()):
            break
    return tokens, lengths
