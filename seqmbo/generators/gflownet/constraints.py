"""Next-token constraints: which token may follow which (e.g. the offline data's bigram support).

A run's reward can reject designs outside the offline data's support (every adjacent letter
pair seen offline; :class:`~seqmbo.gates.BigramSupport`), giving them ``-inf``. A GFlowNet
that may build any sequence then spends most of its samples on designs that all get the
reward floor when the support is sparse in long designs (e.g. Ehrlich functions, whose
feasible transitions are a fraction of all pairs). :class:`TransitionMask` instead forbids
those actions while building: the masks depend on the previous token, and tokens from which
no allowed completion exists (dead ends) are pruned too, so every sampled design is on the
support and a valid length.

Masking only removes designs whose reward is the floor anyway, so the sampler still targets
``R(x) / Z`` restricted to the supported designs.
"""

from __future__ import annotations

import torch

from seqmbo.generators.gflownet.env import TokenEnv


class TransitionMask:
    """Allowed actions given the prefix length and the previous token.

    Args:
        env: the environment.
        allowed: ``(V, V)`` bool, ``allowed[a, b]``: token ``b`` may follow token ``a``.

    Attributes:
        table: ``(P, V + 1, A)`` bool, the valid actions at prefix length ``t`` after token
            ``p`` (``p = V``: no previous token, i.e. ``t = 0``, or padding after a stop).
        feasible: whether any complete design satisfies the constraint.
    """

    def __init__(self, env: TokenEnv, allowed: torch.Tensor) -> None:
        v, length = env.vocab_size, env.max_length
        allowed = torch.as_tensor(allowed, dtype=torch.bool)
        if allowed.shape != (v, v):
            raise ValueError(f"allowed must be ({v}, {v}), got {tuple(allowed.shape)}")
        self.env = env
        # viable[t, a]: token a at position t (0-based) leaves a completion within the lengths
        viable = torch.zeros(length, v, dtype=torch.bool)
        viable[length - 1] = True
        for t in range(length - 2, -1, -1):
            can_stop = t + 1 >= env.min_length
            viable[t] = (allowed & viable[t + 1][None, :]).any(dim=1) | can_stop
        self.feasible = bool(viable[0].any())
        base = env.masks()
        table = base[:, None, :].repeat(1, v + 1, 1)
        for t in range(min(env.n_positions, length)):
            follows = allowed if t > 0 else torch.ones(v, v, dtype=torch.bool)
            table[t, :v, :v] &= follows & viable[t][None, :]
            table[t, v, :v] &= viable[t]
        # states no valid design reaches (after a dead end) keep the plain masks, so the log-
        # probabilities of designs off the support are -inf (at the step that left it), not nan
        empty = ~table.any(dim=-1)
        table[empty] = base[:, None, :].expand_as(table)[empty]
        self.table = table

    @classmethod
    def from_bigrams(cls, env: TokenEnv, allowed: object) -> "TransitionMask | None":
        """The mask of allowed adjacent token pairs ``(V, V)`` bool (e.g. a reward's
        ``support_bigrams()``); ``None`` if there are none, they allow everything, or nothing
        complete satisfies them."""
        if allowed is None:
            return None
        allowed = torch.as_tensor(allowed, dtype=torch.bool)
        if allowed.shape != (env.vocab_size, env.vocab_size) or bool(allowed.all()):
            return None
        mask = cls(env, allowed)
        return mask if mask.feasible else None

    def to(self, device: torch.device | str) -> "TransitionMask":
        """This mask with its table on ``device`` (in place; returns ``self``)."""
        self.table = self.table.to(device)
        return self

    def _previous(self, tokens: torch.Tensor, positions: int) -> torch.Tensor:
        """``(n, positions)`` previous token at prefix lengths ``0..positions-1`` (``V`` for none)."""
        v = self.env.vocab_size
        prev = torch.cat([tokens.new_full((tokens.shape[0], 1), v), tokens[:, : positions - 1]], dim=1)
        return torch.where(prev >= 0, prev, v)

    def masks(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(n, P, A)`` valid actions at every prefix of ``tokens (n, L)``."""
        p = self.env.n_positions
        return self.table[torch.arange(p, device=tokens.device)[None, :], self._previous(tokens, p)]

    def at(self, t: int, tokens: torch.Tensor) -> torch.Tensor:
        """``(n, A)`` valid actions at prefix length ``t`` of a batch being built."""
        if t == 0:
            return self.table[0, self.env.vocab_size].expand(tokens.shape[0], -1)
        prev = tokens[:, t - 1]
        return self.table[t, torch.where(prev >= 0, prev, self.env.vocab_size)]

    def contains(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``(n,)`` whether each design only takes allowed actions."""
        actions, taken = self.env.actions(tokens, lengths)
        ok = self.masks(tokens).gather(-1, actions.unsqueeze(-1)).squeeze(-1)
        return (ok | ~taken).all(dim=1)
