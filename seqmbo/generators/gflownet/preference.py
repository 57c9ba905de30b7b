"""Preference conditioning of the GFlowNet over several objectives (MOGFN-PC, Jain et al. 2023).

A reward with several objectives (:class:`~seqmbo.proxies.multi.MultiReward`) gives each design a
vector of normalized objective scores. The GFlowNet is trained for every trade-off at once:

1. each objective is normalized on the offline designs as the scalar reward is
   (:class:`VectorShaper`: column ``j``'s ``low_quantile`` maps to 0, its best offline value to 1,
   floored at ``reward_min``; invalid designs get the floor in every column);
2. a trajectory's preference ``w`` is drawn from a Dirichlet; its target is
   ``log R(x | w) = beta * log s_w`` (``"power"``) or ``beta * s_w`` (``"exponential"``), with
   ``s_w`` the scalarization of the scores under ``w`` (:func:`preference_log_reward`);
3. the policy sees an embedding of ``w`` and ``log Z(w)`` is learned (:class:`PreferenceLogZ`).

Sampling with a fresh ``w`` for every design collects candidates across the trade-offs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from seqmbo.generators.gflownet.rewards import RewardShaper, TokenRewards
from seqmbo.preferences import scalarize_preferences


class PreferenceLogZ(nn.Module):
    """``log Z(w)``: a scalar level (trained at ``lr_logz``, as the unconditioned ``log Z``) plus a
    small MLP of ``w`` (its shape over the simplex, zero at the start).

    Args:
        n_preferences: ``m``, the number of objectives.
        hidden: width of the MLP.
    """

    def __init__(self, n_preferences: int, hidden: int = 64) -> None:
        super().__init__()
        self.center = 1.0 / n_preferences
        self.base = nn.Parameter(torch.zeros(()))
        self.net = nn.Sequential(nn.Linear(n_preferences, hidden), nn.SiLU(), nn.Linear(hidden, 1))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        """``log Z`` ``(n,)`` at preferences ``w (n, m)``."""
        return self.base + self.net(w.to(torch.float32) - self.center).squeeze(-1)


def preference_log_reward(scores: torch.Tensor, w: torch.Tensor, config, penalty: float = 0.0) -> torch.Tensor:
    """Targets ``(n,)`` of designs with normalized scores ``(n, m)`` (>= ``reward_min``; ``nan`` rows:
    invalid designs) under preferences ``w (n, m)``: the shaped scalarization (``config``'s
    ``scalarization``, ``reward_transform``, ``beta``, ``reward_min``), invalid designs at the floor
    less ``penalty`` (see :mod:`seqmbo.generators.gflownet.rewards`)."""
    invalid = scores.isnan().any(dim=-1)
    s = scalarize_preferences(scores.nan_to_num(config.reward_min), w, config.scalarization).clamp(min=config.reward_min)
    out = config.beta * (s.log() if config.reward_transform == "power" else s)
    return out - penalty * invalid.to(out.dtype) if penalty else out


class VectorShaper:
    """Per-objective normalization of raw score vectors (one :class:`RewardShaper` a column).

    Args:
        shapers: the fitted shaper of each column.
    """

    def __init__(self, shapers: Sequence[RewardShaper]) -> None:
        self.shapers = list(shapers)

    @classmethod
    def fit(cls, raw: np.ndarray, config) -> "VectorShaper":
        """Fit each column's range on raw offline vectors ``(k, m)`` (rows with a non-finite value ignored)."""
        raw = np.asarray(raw, dtype=np.float64)
        ok = np.isfinite(raw).all(axis=1)
        return cls([RewardShaper.fit(raw[ok, j], config.reward_transform, 1.0, config.reward_min,
                                     config.low_quantile) for j in range(raw.shape[1])])

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        """Normalized scores ``(n, m)`` (``>= reward_min``) of raw vectors ``(n, m)``; a row with a
        non-finite value is invalid and becomes ``nan`` (:func:`preference_log_reward` gives it the
        floor less the penalty)."""
        raw = np.asarray(raw, dtype=np.float64)
        out = np.stack([s.normalize(raw[:, j]) for j, s in enumerate(self.shapers)], axis=1)
        out[~np.isfinite(raw).all(axis=1)] = np.nan
        return out

    @property
    def ranges(self) -> list[tuple[float, float]]:
        return [(s.lo, s.hi) for s in self.shapers]


class TokenVectors(TokenRewards):
    """Reward vectors ``(n, m)`` of designs given as token tensors, each distinct design scored once
    (decoded and passed to ``reward.vector``; one call a batch with new designs).

    Args:
        reward: a reward with ``vector(designs) -> (n, m)`` and ``n_objectives``.
        space: the design space (``decode``).
        vocab_size: ``V`` of the token ids (for the row keys).
    """

    def __init__(self, reward, space, vocab_size: int) -> None:
        super().__init__(reward, space, vocab_size)
        self.reward, self.strings, self.m = reward, None, int(reward.n_objectives)

    def _score(self, tokens: torch.Tensor, lengths: torch.Tensor) -> list:
        got = np.asarray(self.reward.vector(self.space.decode(tokens.cpu().numpy())), dtype=np.float64)
        self.calls += 1
        return list(np.where(np.isnan(got), -np.inf, got).reshape(tokens.shape[0], self.m))

    def _gather(self, keys: list[int]) -> np.ndarray:
        """Raw vectors ``(n, m)`` float64 (``-inf`` rows for invalid designs)."""
        if not keys:
            return np.zeros((0, self.m))
        return np.stack([self.values[k] for k in keys])
