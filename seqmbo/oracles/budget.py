"""Wrappers that make an oracle fit for online rounds: a cache and a budget of calls.

``Cached(Budgeted(oracle, 1000), key=space_key(space))`` (:func:`seqmbo.spaces.base.space_key`)
sends a design to ``oracle`` at most once (by the space's canonical form) and refuses to send
more than 1,000 designs in all: only designs the cache has not seen reach the budget, so a repeat
costs nothing. Each wrapper adds one thing; both keep the oracle's interface (designs in,
``(n,)`` float64 out, ``nan`` for invalid).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from seqmbo.errors import SeqmboError
from seqmbo.oracles.base import Oracle


class BudgetSpentError(SeqmboError, RuntimeError):
    """More designs were sent to a :class:`Budgeted` oracle than its budget has left."""


class Budgeted:
    """Counts the designs sent to ``oracle`` and refuses a call that would pass ``budget``.

    Args:
        oracle: the wrapped oracle.
        budget: most designs ever scored (``None``: no limit, calls are only counted).

    Attributes:
        calls: designs scored so far.
    """

    def __init__(self, oracle: Oracle, budget: int | None = None) -> None:
        if budget is not None and budget < 0:
            raise ValueError(f"an oracle budget must be >= 0, got {budget}")
        self.oracle, self.budget, self.calls = oracle, budget, 0

    @property
    def remaining(self) -> int | None:
        """Designs that may still be scored (``None``: no limit)."""
        return None if self.budget is None else self.budget - self.calls

    def __call__(self, designs: Sequence[str]) -> np.ndarray:
        designs = list(designs)
        if self.budget is not None and len(designs) > self.remaining:
            raise BudgetSpentError(f"the oracle budget of {self.budget} calls has {self.remaining} left; "
                                   f"{len(designs)} designs were sent")
        self.calls += len(designs)
        return np.asarray(self.oracle(designs), dtype=np.float64) if designs else np.zeros(0)


@dataclass(frozen=True)
class Label:
    """One design the oracle scored: the design as first sent, its cache key and its score."""

    design: str
    key: str
    score: float


class Cached:
    """Scores each design once: repeats (same ``key``) come from memory and never reach ``oracle``.

    Args:
        oracle: the wrapped oracle (often a :class:`Budgeted` one).
        key: the cache key of a design (default: the string itself);
            :func:`~seqmbo.spaces.base.space_key` gives the space's canonical form (canonical
            SMILES for molecules).

    Attributes:
        history: the designs actually sent to ``oracle``, in call order (:class:`Label`).
    """

    def __init__(self, oracle: Oracle, key: Callable[[str], str] | None = None) -> None:
        self.oracle = oracle
        self.key = key or str
        self.history: list[Label] = []
        self._scores: dict[str, float] = {}

    def __call__(self, designs: Sequence[str]) -> np.ndarray:
        designs = list(designs)
        keys = [self.key(d) for d in designs]
        new = list(dict.fromkeys(k for k in keys if k not in self._scores))
        if new:
            first = {k: d for k, d in zip(reversed(keys), reversed(designs))}  # the first design of each key
            scores = self.oracle([first[k] for k in new])
            self.remember([Label(first[k], k, float(s)) for k, s in zip(new, scores)])
        return np.array([self._scores[k] for k in keys], dtype=np.float64)

    def remember(self, labels: Sequence[Label]) -> None:
        """Add labels to the cache and the history (also how a resumed run restores them)."""
        for lab in labels:
            self._scores[lab.key] = lab.score
        self.history.extend(labels)

    def __contains__(self, design: str) -> bool:
        return self.key(design) in self._scores
