"""From a reward on strings (any units, any sign) to a GFlowNet log-reward.

A run's reward is the proxy's prediction (e.g. ``mean - k * std``) in whatever units the
task's scores have, possibly negative. A GFlowNet needs a positive reward ``R(x)``, and its
sharpness should not depend on the units. So rewards are normalized on the offline data:

1. score (a sample of) the offline designs with the reward: ``r_1 .. r_m``;
2. ``s(x) = (r(x) - lo) / (hi - lo)`` with ``lo`` the ``low_quantile`` of those rewards and
   ``hi`` their maximum — the offline range maps to ``[0, 1]``, designs better than every
   offline one get ``s > 1`` (extrapolation is kept, not saturated: finding those is the
   point, which is why ranks, which cap at the best offline design, are not used);
3. ``s <- max(s, reward_min)``; invalid designs (``nan``, ``-inf``) get ``reward_min``;
4. ``log R = beta * log(s)`` (``"power"``, ``R = s^beta``) or ``log R = beta * s``
   (``"exponential"``); invalid designs get a further ``- penalty``.

Why the penalty: the floor alone is not low enough where nearly every string is invalid or off
the support (SELFIES under the chemistry gates: ``67 ** 76`` token strings, a vanishing share of
them molecules like the data). ``R / Z`` sums the floor over all of them, and that junk outweighs
every good design: a GFlowNet that learns ``R / Z`` faithfully then samples junk. With ``penalty``
at least the log-count of the strings (``max_length * log(actions)``, the generator's default), all
invalid designs together weigh no more than one design at the floor.

Degenerate ranges (one offline design, all rewards equal) fall back to a unit span below
the best reward. The transform is monotone, so sorting by it or by the raw reward agrees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from seqmbo.generators.gflownet.env import row_keys


class RewardCache:
    """Calls a reward once per batch on the designs it has not seen, remembering all.

    Args:
        reward: maps designs to ``(n,)`` rewards (``nan``/``-inf`` for invalid designs).
    """

    def __init__(self, reward: Callable[[Sequence[str]], np.ndarray]) -> None:
        self.reward = reward
        self.values: dict[str, float] = {}
        self.calls = 0

    def __call__(self, designs: Sequence[str]) -> np.ndarray:
        """Rewards ``(n,)`` float64 of ``designs`` (repeats cost nothing)."""
        missing = list(dict.fromkeys(d for d in designs if d not in self.values))
        if missing:
            got = np.asarray(self.reward(missing), dtype=np.float64).reshape(-1)
            if got.shape[0] != len(missing):
                raise ValueError(f"the reward returned {got.shape[0]} values for {len(missing)} designs")
            self.calls += 1
            self.values.update(zip(missing, got.tolist()))
        values = self.values
        return np.fromiter((values[d] for d in designs), dtype=np.float64, count=len(designs))


class TokenRewards:
    """Raw rewards of designs given as token tensors, each distinct design scored once.

    Through ``reward.on_tokens(tokens, lengths)`` when the reward has it (e.g.
    :meth:`~seqmbo.proxies.reward.ProxyReward.on_tokens`: no strings are made), else the new
    designs are decoded with ``space.decode`` and scored as strings through a
    :class:`RewardCache`. Each batch with new designs is one reward call.

    Args:
        reward: a reward on strings, optionally with ``on_tokens``.
        space: the design space (``decode``, for rewards without ``on_tokens``).
        vocab_size: ``V`` of the token ids (for the row keys).
    """

    def __init__(self, reward: Callable[[Sequence[str]], np.ndarray], space, vocab_size: int) -> None:
        self.space, self.vocab_size = space, vocab_size
        on_tokens = getattr(reward, "on_tokens", None)
        self.on_tokens = on_tokens if callable(on_tokens) else None
        self.strings = None if self.on_tokens is not None else RewardCache(reward)
        self.values: dict[int, float] = {}  # row key -> raw reward
        self.calls = 0

    def __call__(self, tokens: torch.Tensor, lengths: torch.Tensor) -> np.ndarray:
        """Raw rewards ``(n,)`` float64 of designs ``tokens (n, L)``, ``lengths (n,)``."""
        keys = row_keys(tokens, self.vocab_size).tolist()
        values = self.values
        first: dict[int, int] = {}  # new designs -> their first row
        for i, k in enumerate(keys):
            if k not in values and k not in first:
                first[k] = i
        miss = list(first.values())
        if miss:
            idx = torch.as_tensor(miss, dtype=torch.long, device=tokens.device)
            values.update(zip((keys[i] for i in miss), self._score(tokens[idx], lengths[idx])))
        return self._gather(keys)

    def _score(self, tokens: torch.Tensor, lengths: torch.Tensor) -> list:
        """Raw rewards of new distinct designs (one reward call)."""
        if self.on_tokens is None:
            return self.strings(self.space.decode(tokens.cpu().numpy())).tolist()
        got = self.on_tokens(tokens, lengths)
        got = np.asarray(got.detach().cpu() if isinstance(got, torch.Tensor) else got, dtype=np.float64)
        if got.shape != (tokens.shape[0],):
            raise ValueError(f"reward.on_tokens returned shape {got.shape} for {tokens.shape[0]} designs")
        self.calls += 1
        return got.tolist()

    def _gather(self, keys: list[int]) -> np.ndarray:
        values = self.values
        return np.fromiter((values[k] for k in keys), dtype=np.float64, count=len(keys))

    @property
    def reward_calls(self) -> int:
        """Calls of the reward that scored new designs."""
        return self.calls if self.strings is None else self.strings.calls

    @property
    def scored(self) -> list[float]:
        """The raw reward of every distinct design scored."""
        return list((self.values if self.strings is None else self.strings.values).values())


@dataclass(frozen=True)
class RewardShaper:
    """The map from raw rewards to log-rewards (see the module docstring).

    Args:
        lo: raw reward that maps to ``s = 0``.
        hi: raw reward that maps to ``s = 1``.
        transform: ``"power"`` or ``"exponential"``.
        beta: inverse temperature.
        reward_min: floor of ``s``.
        penalty: subtracted from the log-reward of invalid designs.
    """

    lo: float
    hi: float
    transform: str = "power"
    beta: float = 10.0
    reward_min: float = 1e-3
    penalty: float = 0.0

    @classmethod
    def fit(
        cls,
        raw: np.ndarray,
        transform: str = "power",
        beta: float = 10.0,
        reward_min: float = 1e-3,
        low_quantile: float = 0.05,
        penalty: float = 0.0,
    ) -> "RewardShaper":
        """Fit ``lo``/``hi`` on raw rewards of offline designs (non-finite ones ignored)."""
        raw = np.asarray(raw, dtype=np.float64)
        raw = raw[np.isfinite(raw)]
        if raw.size == 0:
            lo, hi = 0.0, 1.0
        else:
            hi = float(raw.max())
            lo = float(np.quantile(raw, low_quantile))
            if not hi - lo > 1e-12 * max(1.0, abs(hi)):
                lo = hi - max(1.0, abs(hi))
        return cls(lo, hi, transform, beta, reward_min, penalty)

    def normalize(self, raw: np.ndarray) -> np.ndarray:
        """``s = max((raw - lo) / (hi - lo), reward_min)``; invalid -> ``reward_min``."""
        raw = np.asarray(raw, dtype=np.float64)
        s = (raw - self.lo) / (self.hi - self.lo)
        s = np.nan_to_num(s, nan=self.reward_min, posinf=1e6, neginf=self.reward_min)
        return np.maximum(s, self.reward_min)

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        """Log-rewards ``(n,)`` of raw rewards ``(n,)``."""
        s = self.normalize(raw)
        out = self.beta * (np.log(s) if self.transform == "power" else s)
        if self.penalty:
            out = out - self.penalty * ~np.isfinite(np.asarray(raw, dtype=np.float64))
        return out
