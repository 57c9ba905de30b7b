"""Monotone warps of scores: a proxy fits a Gaussian model on ``warp.forward(y)`` and maps its
predictive distribution back through the inverse.

A Gaussian in score units cannot reach scores many training standard deviations above the data
(a skewed landscape's best designs); a Gaussian on the log of the scores can. Quantiles map exactly
through a monotone map, so a warped predictive keeps ordered, calibrated intervals in score units;
its mean and standard deviation are the moments of the warped distribution (for ``log``, those of a
shifted log-normal).

Warps (each standardizes its output to mean 0, sd 1 on the training scores):

- ``none``: the identity (``(y - mu) / sd``).
- ``log``: ``log(y - floor + step)``, where ``floor`` is the lowest training score and ``step`` the
  smallest positive gap above it among the training scores (the data's resolution at its floor),
  so any real scores work, negative ones included; the warped distribution's support starts one
  ``step`` below ``floor``.
- ``auto``: the one of the two with the higher Gaussian log-likelihood of the training scores
  (Jacobian included) — the log where the scores are skewed to the right, the identity otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seqmbo.errors import InvalidInputError

WARPS = ("none", "log", "auto")


@dataclass(frozen=True)
class ScoreWarp:
    """A fitted monotone map from scores to standardized warped scores (see the module docstring).

    Attributes:
        kind: ``none`` or ``log``.
        mu: mean of the (un-standardized) warped training scores.
        sd: their standard deviation.
        offset: ``log`` only: ``floor - step`` (the warped distribution's lower end).
    """

    kind: str
    mu: float
    sd: float
    offset: float = 0.0

    @classmethod
    def fit(cls, y: np.ndarray, kind: str = "auto") -> "ScoreWarp":
        """Fit the warp ``kind`` (``none``, ``log`` or ``auto``) on training scores ``y`` ``(n,)``.

        Raises:
            InvalidInputError: an unknown ``kind``, or scores that are not finite.
        """
        if kind not in WARPS:
            raise InvalidInputError(f"unknown score warp {kind!r}: choose one of {', '.join(WARPS)}")
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if not len(y) or not np.all(np.isfinite(y)):
            raise InvalidInputError("score warp: the training scores must be finite and not empty")
        if kind == "auto":
            return max((cls.fit(y, k) for k in ("none", "log")), key=lambda w: w.loglik(y))
        offset = 0.0
        if kind == "log":
            gaps = np.unique(y) - y.min()
            offset = float(y.min() - (gaps[1] if len(gaps) > 1 else 1.0))
        raw = cls._raw(kind, offset, y)
        sd = float(raw.std())
        return cls(kind, float(raw.mean()), sd if sd > 0 else 1.0, offset)

    @staticmethod
    def _raw(kind: str, offset: float, y: np.ndarray) -> np.ndarray:
        if kind == "none":
            return y
        return np.log(np.maximum(y - offset, np.finfo(np.float64).tiny))

    def forward(self, y: np.ndarray) -> np.ndarray:
        """Standardized warped scores ``(n,)`` (``log``: scores below its support go to its lower end)."""
        return (self._raw(self.kind, self.offset, np.asarray(y, dtype=np.float64)) - self.mu) / self.sd

    def inverse(self, z: np.ndarray) -> np.ndarray:
        """Scores of standardized warped values ``z`` (exact inverse of :meth:`forward` on its support)."""
        raw = np.asarray(z, dtype=np.float64) * self.sd + self.mu
        if self.kind == "none":
            return raw
        return np.exp(np.minimum(raw, 700.0)) + self.offset

    def log_jacobian(self, y: np.ndarray) -> np.ndarray:
        """``log dz/dy`` ``(n,)`` of :meth:`forward` (turns a density of ``z`` into one of ``y``)."""
        y = np.asarray(y, dtype=np.float64)
        if self.kind == "none":
            return np.full(y.shape, -math.log(self.sd))
        return -math.log(self.sd) - np.log(np.maximum(y - self.offset, np.finfo(np.float64).tiny))

    def loglik(self, y: np.ndarray) -> float:
        """Log-likelihood of ``y`` under ``N(0, 1)`` on :meth:`forward` (Jacobian included)."""
        z = self.forward(y)
        return float(np.sum(-0.5 * z**2 - 0.5 * math.log(2 * math.pi) + self.log_jacobian(y)))

    def moments(self, loc: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation in score units of ``y`` whose warp is ``N(loc, scale^2)``."""
        m, s = np.asarray(loc) * self.sd + self.mu, np.asarray(scale) * self.sd
        if self.kind == "none":
            return m, s
        s2 = np.minimum(s**2, 700.0)  # exp overflows beyond; such spreads are unbounded in practice
        mean = np.exp(np.minimum(m + s2 / 2, 700.0))
        return mean + self.offset, mean * np.sqrt(np.expm1(s2))


@dataclass(frozen=True)
class WarpedNormal:
    """A predictive distribution of scores: ``warp.forward(y) ~ N(loc, scale^2)``, ``(n,)`` each."""

    loc: np.ndarray
    scale: np.ndarray
    warp: ScoreWarp

    def z(self, y: np.ndarray) -> np.ndarray:
        """Standard normal residuals ``(warp(y) - loc) / scale`` ``(n,)`` (|z| <= 1.645: inside the 90% interval)."""
        return (self.warp.forward(y) - self.loc) / np.maximum(self.scale, 1e-12)

    def logpdf(self, y: np.ndarray) -> np.ndarray:
        """Log-density ``(n,)`` of the scores ``y``."""
        s = np.maximum(self.scale, 1e-12)
        return -0.5 * self.z(y) ** 2 - np.log(s) - 0.5 * math.log(2 * math.pi) + self.warp.log_jacobian(y)

    def quantile(self, p: float) -> np.ndarray:
        """The ``p`` quantile ``(n,)`` in score units (ordered in ``p``)."""
        from scipy.stats import norm

        return self.warp.inverse(self.loc + self.scale * norm.ppf(p))
