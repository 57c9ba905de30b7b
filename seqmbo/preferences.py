"""Preference vectors over several objectives and the scalar rewards they define.

A preference ``w`` is a point of the simplex (``w_j >= 0``, ``sum_j w_j = 1``) drawn from a
Dirichlet(``alpha``): ``alpha = 1`` is uniform on the simplex, larger values concentrate on equal
weights, smaller ones on the corners. Given objective scores ``s (n, m)`` normalized so that
higher is better and the offline range is about ``[0, 1]``, a preference turns them into one
number (:func:`scalarize_preferences`):

* ``"sum"``: the weighted sum ``sum_j w_j s_j``;
* ``"chebyshev"``: ``min_j s_j / w_j + rho * sum_j w_j s_j`` (``rho`` = :data:`RHO`): the
  augmented Chebyshev scalarization written for maximization along the ray through ``w`` — its
  level sets are corners on that ray, so the best design under ``w`` is the one furthest out in
  the direction ``w`` and a corner ``w = e_k`` gives objective ``k`` alone; unlike the weighted
  sum it reaches concave parts of a front. The small augmentation breaks ties in favour of
  designs that are not weakly dominated (as ParEGO's, Knowles 2006).

Used by the preference-conditioned GFlowNet (MOGFN-PC, Jain et al. 2023) and by the latent
generator's ParEGO-style batches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from seqmbo.errors import InvalidInputError

if TYPE_CHECKING:  # torch is imported by the generators that use these, not here
    import torch

SCALARIZATIONS = ("sum", "chebyshev")
PREFERENCES = ("auto", "none", "dirichlet")  # a generator's ``preference`` setting
RHO = 0.05
_TINY = 1e-6


def check_scalarization(kind: str, owner: str) -> None:
    """Raise one clear error naming ``owner`` unless ``kind`` is one of :data:`SCALARIZATIONS`."""
    if kind not in SCALARIZATIONS:
        raise InvalidInputError(f"{owner}: scalarization must be one of {SCALARIZATIONS}, got {kind!r}")


def reward_objectives(reward) -> int:
    """How many objectives ``reward`` scores: its ``n_objectives`` when it has a ``vector`` method
    (:class:`~seqmbo.proxies.multi.MultiReward`), else 1."""
    return int(getattr(reward, "n_objectives", 1)) if callable(getattr(reward, "vector", None)) else 1


def draw_preferences(rng: np.random.Generator, n: int, m: int, alpha: float = 1.0) -> np.ndarray:
    """``n`` preferences ``(n, m)`` float64 from Dirichlet(``alpha``, ..., ``alpha``)."""
    return rng.dirichlet(np.full(m, float(alpha)), size=n)


def scalarize_preferences(scores: torch.Tensor, weights: torch.Tensor, kind: str = "sum") -> torch.Tensor:
    """The scalar ``(n,)`` of objective scores ``(n, m)`` under preferences ``(n, m)`` or ``(m,)``.

    Args:
        scores: normalized objective scores, higher is better (``chebyshev`` expects them >= 0).
        weights: preferences on the simplex.
        kind: ``"sum"`` or ``"chebyshev"`` (see the module docstring).
    """
    weights = weights.to(scores.dtype)
    total = (weights * scores).sum(dim=-1)
    if kind == "sum":
        return total
    return (scores / weights.clamp(min=_TINY)).amin(dim=-1) + RHO * total
