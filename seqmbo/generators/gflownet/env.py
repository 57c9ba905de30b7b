"""The sequence-building environment: append a token, or stop.

States are prefixes; a design is built left to right, so every state has exactly one parent
and the backward policy is ``P_B = 1``. Actions ``0..V-1`` append a token; for
variable-length spaces action ``V`` stops (forbidden before ``min_length``, the only action
at ``max_length``). Fixed-length spaces have no stop action: a trajectory is ``L`` appends.

Everything is in terms of the token interface of a space (``vocab_size``, ``min_length``,
``max_length``), so the same environment serves DNA, proteins and SELFIES tokens. Designs
travel as token tensors ``(n, L)`` int64 padded with :data:`PAD` and their lengths ``(n,)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

PAD = -1  # the padding id of ``space.encode`` (any negative id is treated as padding)


@dataclass(frozen=True)
class TokenEnv:
    """Token-appending environment over ``vocab_size`` tokens, ``min_length..max_length`` long.

    Args:
        vocab_size: number of tokens ``V``.
        min_length: shortest design.
        max_length: longest design ``L``.
    """

    vocab_size: int
    min_length: int
    max_length: int

    def __post_init__(self) -> None:
        if self.vocab_size < 1 or not 1 <= self.min_length <= self.max_length:
            raise ValueError(f"bad token environment {self}")

    @classmethod
    def from_space(cls, space: Any) -> "TokenEnv":
        """The environment of any space offering ``vocab_size``, ``min_length``, ``max_length``."""
        return cls(int(space.vocab_size), int(space.min_length), int(space.max_length))

    @property
    def is_fixed_length(self) -> bool:
        return self.min_length == self.max_length

    @property
    def n_actions(self) -> int:
        """``V`` appends, plus a stop action for variable lengths."""
        return self.vocab_size + (0 if self.is_fixed_length else 1)

    @property
    def stop(self) -> int | None:
        return None if self.is_fixed_length else self.vocab_size

    @property
    def n_positions(self) -> int:
        """Prefix lengths at which an action is *chosen*: ``0..L-1`` fixed, ``0..L`` variable."""
        return self.max_length + (0 if self.is_fixed_length else 1)

    def masks(self, device: torch.device | str | None = None) -> torch.Tensor:
        """Valid actions by prefix length, ``(n_positions, n_actions)`` bool, on ``device`` (default CPU).

        The masks depend only on the prefix length, so one static table serves every state.
        """
        t = torch.arange(self.n_positions, device=device)[:, None]
        a = torch.arange(self.n_actions, device=device)[None, :]
        append = (a < self.vocab_size) & (t < self.max_length)
        if self.is_fixed_length:
            return append
        stop = (a == self.vocab_size) & (t >= self.min_length)
        return append | stop

    def actions(self, tokens: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The action taken at every prefix length, and which ones exist.

        Args:
            tokens: ``(n, L)`` token ids, padded with negatives after ``lengths``.
            lengths: ``(n,)`` design lengths.

        Returns:
            ``actions (n, P)`` long (``0`` where no action is taken) and ``taken (n, P)``
            bool, ``P = n_positions``.
        """
        if self.is_fixed_length:
            return tokens, torch.ones_like(tokens, dtype=torch.bool)
        n = tokens.shape[0]
        pos = torch.arange(self.n_positions, device=tokens.device)[None, :]
        acts = torch.cat([tokens.clamp(min=0), tokens.new_zeros(n, 1)], dim=1)
        acts = torch.where(pos == lengths[:, None], self.vocab_size, acts)
        return acts, pos <= lengths[:, None]

    def n_steps(self, lengths: torch.Tensor) -> torch.Tensor:
        """Actions in each trajectory ``(n,)``: ``L`` fixed, ``length + 1`` (the stop) variable."""
        return lengths if self.is_fixed_length else lengths + 1

    def valid_rows(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Which rows of encoded designs are in the environment, and their lengths.

        A row is valid when its tokens are a non-padded prefix followed only by padding,
        with a length in range (``encode`` maps unknown letters to padding).
        """
        real = tokens >= 0
        lengths = real.sum(dim=1)
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        contiguous = (real == (positions[None, :] < lengths[:, None])).all(dim=1)
        ok = contiguous & (lengths >= self.min_length) & (lengths <= self.max_length)
        ok &= (tokens < self.vocab_size).all(dim=1)
        return ok, lengths


def row_keys(tokens: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """A 64-bit key a row of ``tokens (n, L)`` (ids ``-1..V-1``), ``(n,)`` int64, for de-duplication.

    Exact (collision-free) while ``(V + 1) ** L < 2 ** 62``, e.g. DNA up to 26 letters;
    beyond that a multiply-and-wrap hash with fixed random odd multipliers, where two
    distinct rows share a key with probability around ``2 ** -60`` a pair.
    """
    length = tokens.shape[1]
    base = vocab_size + 1
    if length * math.log2(base) < 62:
        weights = base ** torch.arange(length - 1, -1, -1, dtype=torch.long, device=tokens.device)
    else:
        gen = torch.Generator().manual_seed(base * 1_000_003 + length)
        weights = torch.randint(-(2**62), 2**62, (length,), generator=gen, dtype=torch.long) * 2 + 1
        weights = weights.to(tokens.device)
    return ((tokens + 1) * weights).sum(dim=1)
