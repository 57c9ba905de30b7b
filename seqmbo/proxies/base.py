"""What a proxy is: ``fit(designs, y)`` then ``predict(designs) -> Prediction``.

Sequence proxies also expose ``forward_soft(x)`` on soft one-hot tensors ``(n, L, V)`` so that
relaxed and latent generators can take gradients through them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Prediction:
    """Predicted scores in the units of ``y``: ``mean`` ``(n,)`` and ``std`` ``(n,)`` or ``None``."""

    mean: np.ndarray
    std: np.ndarray | None = None


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
