"""Several measured columns: one proxy per column (:class:`MultiProxy`) and the reward over them
(:class:`MultiReward`): a scalar for single-objective generators, a vector for Pareto ones.

The scalar is :func:`seqmbo.objectives.scalarize` of the objectives' predictions (normalized
with the offline set's bounds), minus the predicted violation of each constraint on a measured
column (normalized by that column's offline range): a design the proxies expect to break a
constraint ranks below those they expect to meet it, by how far it breaks it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from seqmbo.objectives import Constraint
from seqmbo.proxies.base import Prediction
from seqmbo.proxies.reward import ProxyReward, combine


class MultiProxy:
    """One proxy per measured column: the first ``n_objectives`` are objectives (maximized),
    the rest are columns that constraints name.

    Args:
        make: ``make(j)`` builds the proxy of column ``j`` (e.g. seeded by ``seed + j``).
        columns: the names of the columns of the ``Y`` given to :meth:`fit`.
        n_objectives: how many leading columns are objectives.
        constraints: constraints on measured columns (each names one of ``columns``).
    """

    def __init__(self, make: Callable[[int], Any], columns: Sequence[str], n_objectives: int,
                 constraints: Sequence[Constraint] = ()) -> None:
        self.make, self.columns, self.m = make, list(columns), int(n_objectives)
        self.constraints = [(self.columns.index(c.name), c) for c in constraints]
        self.members: list[Any] = []
        self.lo = self.hi = np.zeros(0)

    def fit(self, designs: Sequence[str], Y: np.ndarray) -> "MultiProxy":
        """Fit proxy ``j`` to column ``j`` of ``Y`` ``(n, k)``; the offline bounds are kept for scaling."""
        Y = np.asarray(Y, dtype=np.float64).reshape(len(designs), -1)
        self.members = [self.make(j).fit(designs, Y[:, j]) for j in range(Y.shape[1])]
        self.lo, self.hi = Y.min(0), Y.max(0)
        return self

    @property
    def span(self) -> np.ndarray:
        return np.where(self.hi > self.lo, self.hi - self.lo, 1.0)

    def predict_all(self, designs: Sequence[str]) -> tuple[np.ndarray, np.ndarray | None]:
        """Means and stds ``(n, k)`` of every column in its own units (stds ``None`` when a member has none)."""
        return self._stack([p.predict(designs) for p in self.members], len(designs))

    def _stack(self, preds: list[Prediction], n: int) -> tuple[np.ndarray, np.ndarray | None]:
        mean = np.stack([np.asarray(p.mean, dtype=np.float64) for p in preds], axis=1).reshape(n, -1)
        if any(p.std is None for p in preds):
            return mean, None
        return mean, np.stack([np.asarray(p.std, dtype=np.float64) for p in preds], axis=1).reshape(n, -1)

    def objective_scores(self, mean: np.ndarray, std: np.ndarray | None, kind: str = "mean",
                         kappa: float = 1.0) -> np.ndarray:
        """Normalized objective scores ``(n, m)`` (``kind`` applied per column), less the
        normalized predicted violation of the measured constraints."""
        cols = combine(Prediction(mean[:, : self.m], None if std is None else std[:, : self.m]), kind, kappa)
        z = (cols - self.lo[: self.m]) / self.span[: self.m]
        return z - self.penalty(mean)[:, None]

    def penalty(self, mean: np.ndarray) -> np.ndarray:
        """Summed normalized violation ``(n,)`` of the measured constraints by the predicted means."""
        out = np.zeros(mean.shape[0])
        for j, c in self.constraints:
            out += c.violation(mean[:, j]) / self.span[j]
        return out

    def predict(self, designs: Sequence[str]) -> Prediction:
        """The scalar: mean of the normalized objective means less the penalty, and the matching
        std (the mean of the normalized stds, which makes ``lcb``/``ucb`` of the scalar equal the
        scalar of the per-objective ``lcb``/``ucb``)."""
        return self._scalar(*self.predict_all(designs))

    def _scalar(self, mean: np.ndarray, std: np.ndarray | None) -> Prediction:
        z = self.objective_scores(mean, None).mean(axis=1)
        s = None if std is None else (std[:, : self.m] / self.span[: self.m]).mean(axis=1)
        return Prediction(z, s)

    def __getattr__(self, name: str):
        if name in ("predict_one_hot", "forward_soft") and self.members and \
                all(callable(getattr(p, name, None)) for p in self.members):
            return getattr(self, f"_{name}")
        raise AttributeError(name)

    def _predict_one_hot(self, x) -> Prediction:
        return self._scalar(*self._stack([p.predict_one_hot(x) for p in self.members], x.shape[0]))

    def _forward_soft(self, x):
        """The scalar on soft one-hot designs (objectives only; constraints are not differentiable here)."""
        import torch

        outs = [p.forward_soft(x) for p in self.members[: self.m]]
        span = torch.as_tensor(self.span[: self.m], dtype=outs[0][0].dtype, device=outs[0][0].device)
        lo = torch.as_tensor(self.lo[: self.m], dtype=span.dtype, device=span.device)
        mean = torch.stack([m for m, _ in outs], dim=1)
        z = ((mean - lo) / span).mean(dim=1)
        if any(s is None for _, s in outs):
            return z, None
        return z, (torch.stack([s for _, s in outs], dim=1) / span).mean(dim=1)


class MultiReward(ProxyReward):
    """:class:`ProxyReward` over a :class:`MultiProxy`: called, the scalar reward; :meth:`vector`
    gives the normalized objective scores ``(n, m)`` for Pareto generators, and :meth:`order`
    the NSGA-II order the run selects candidates by."""

    def __init__(self, proxy: MultiProxy, space, kind: str = "mean", kappa: float = 1.0, support=None) -> None:
        super().__init__(proxy, space, kind, kappa, support)
        self._vectors: dict[str, np.ndarray] = {}

    @property
    def n_objectives(self) -> int:
        return self.proxy.m

    def vector(self, designs: Sequence[str]) -> np.ndarray:
        """Normalized objective scores ``(n, m)`` (``-inf`` rows for invalid or off-support designs)."""
        designs = list(designs)
        todo = [d for d in dict.fromkeys(designs) if d not in self._vectors]
        if todo:
            ok = np.isfinite(self(todo))  # validity and support, as the scalar sees them
            good = [d for d, k in zip(todo, ok) if k]
            for d in (d for d, k in zip(todo, ok) if not k):
                self._vectors[d] = np.full(self.proxy.m, -np.inf)
            if good:
                mean, std = self.proxy.predict_all(good)
                self._vectors.update(zip(good, self.proxy.objective_scores(mean, std, self.kind, self.kappa)))
        return np.array([self._vectors[d] for d in designs], dtype=np.float64).reshape(len(designs), self.proxy.m)

    def order(self, designs: Sequence[str], limit: int | None = None) -> np.ndarray:
        """Indices of ``designs`` in NSGA-II order of :meth:`vector` (see :func:`seqmbo.pareto.nsga_order`)."""
        from seqmbo.pareto import nsga_order

        return nsga_order(self.vector(designs), limit=limit)


def reward_vector(reward, designs: Sequence[str]) -> np.ndarray:
    """The reward as a matrix ``(n, m)``: :meth:`MultiReward.vector`, or the scalar as one column."""
    if callable(getattr(reward, "vector", None)):
        return reward.vector(designs)
    return np.asarray(reward(designs), dtype=np.float64).reshape(-1, 1)
