"""What a proxy is: ``fit(designs, y)`` then ``predict(designs) -> Prediction``.

Sequence proxies also expose ``forward_soft(x)`` on soft one-hot tensors ``(n, L, V)`` so that
relaxed and latent generators can take gradients through them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from seqmbo.proxies.warp import WarpedNormal


@dataclass(frozen=True)
class Prediction:
    """Predicted scores in the units of ``y``: ``mean`` ``(n,)`` and ``std`` ``(n,)`` or ``None``.

    ``warped`` (optional) is the full predictive distribution when it is not Gaussian in score units
    (a Gaussian on warped scores, :class:`~seqmbo.proxies.warp.WarpedNormal`); ``mean`` and ``std``
    are then its moments, and calibration reads its exact intervals and density.
    """

    mean: np.ndarray
    std: np.ndarray | None = None
    warped: "WarpedNormal | None" = None


@runtime_checkable
class Proxy(Protocol):
    """A learned model of the score."""

    def fit(self, designs: Sequence[str], y: np.ndarray) -> "Proxy": ...

    def predict(self, designs: Sequence[str]) -> Prediction: ...


@dataclass(frozen=True)
class Standardizer:
    """``(y - mu) / sd`` and back, fitted on training scores."""

    mu: float
    sd: float

    @classmethod
    def fit(cls, y: np.ndarray) -> "Standardizer":
        y = np.asarray(y, dtype=np.float64)
        sd = float(y.std())
        return cls(float(y.mean()), sd if sd > 0 else 1.0)

    def forward(self, y):
        return (y - self.mu) / self.sd

    def inverse(self, z):
        return z * self.sd + self.mu
