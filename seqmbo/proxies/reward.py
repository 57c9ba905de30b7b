"""Rewards from predictions: the one path by which every generator is guided by a proxy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seqmbo.errors import InvalidInputError
from seqmbo.proxies.base import Prediction

REWARD_KINDS = ("mean", "lcb", "ucb")


def combine(pred: Prediction, kind: str = "mean", kappa: float = 1.0) -> np.ndarray:
    """``mean``, ``mean - kappa*std`` (lcb) or ``mean + kappa*std`` (ucb); ``std`` None counts as 0."""
    if kind not in REWARD_KINDS:
        raise InvalidInputError(f"unknown reward {kind!r}; use one of {', '.join(REWARD_KINDS)}")
    if kind == "mean" or pred.std is None:
        return pred.mean
    return pred.mean - kappa * pred.std if kind == "lcb" else pred.mean + kappa * pred.std


class ProxyReward:
    """Callable reward over designs: invalid designs get ``-inf``; results are cached per design.

    Args:
        proxy: a fitted proxy.
        space: the design space (its ``is_valid`` decides validity).
        kind: ``mean``, ``lcb`` or ``ucb``.
        kappa: the confidence-bound weight.
        support: an optional gate (e.g. :class:`~seqmbo.gates.BigramSupport`); designs it rejects
            are treated as invalid (reward ``-inf``).
    """

    def __init__(self, proxy, space, kind: str = "mean", kappa: float = 1.0, support=None) -> None:
        combine(Prediction(np.zeros(0)), kind, kappa)  # validates kind
        self.proxy, self.space, self.kind, self.kappa = proxy, space, kind, kappa
        self.support = support
        self._cache: dict[str, float] = {}
        self.calls = 0

    def __call__(self, designs: Sequence[str]) -> np.ndarray:
        designs = list(designs)
        todo = [d for d in dict.fromkeys(designs) if d not in self._cache]
        if todo:
            valid = self.space.is_valid(todo)
            if self.support is not None and valid.any():
                idx = np.flatnonzero(valid)
                valid[idx[~self.support([todo[i] for i in idx])]] = False
            good = [d for d, v in zip(todo, valid) if v]
            for d, v in zip(todo, valid):
                if not v:
                    self._cache[d] = -np.inf
            if good:
                r = combine(self.proxy.predict(good), self.kind, self.kappa)
                self._cache.update(zip(good, r.tolist()))
            self.calls += len(todo)
        return np.array([self._cache[d] for d in designs], dtype=np.float64)

    @property
    def differentiable(self) -> bool:
        """Whether :meth:`soft` works (the proxy has ``forward_soft``)."""
        return callable(getattr(self.proxy, "forward_soft", None))

    def soft(self, x):
        """The same reward, differentiable, on soft one-hot designs ``x`` ``(n, L, V)`` -> tensor ``(n,)``.

        ``mean``, ``mean - kappa*std`` or ``mean + kappa*std`` of ``proxy.forward_soft(x)``.
        Validity and support are not applied (they are not differentiable); score the final
        hard designs with ``__call__``.

        Raises:
            InvalidInputError: the proxy has no ``forward_soft`` (e.g. a molecule proxy).
        """
        if not self.differentiable:
            raise InvalidInputError(
                f"the reward is not differentiable: proxy {type(self.proxy).__name__} has no forward_soft "
                "(relaxed gradient methods need a sequence proxy: ensemble, mlp, mc-dropout, com)"
            )
        mean, std = self.proxy.forward_soft(x)
        if self.kind == "mean" or std is None:
            return mean
        return mean - self.kappa * std if self.kind == "lcb" else mean + self.kappa * std
