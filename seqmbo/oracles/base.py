"""The oracle layer: a callable from designs to true scores, and its wrappers.

An oracle scores designs for *evaluation only*. A benchmark run wraps its oracle in a
:class:`SealedOracle`, which counts every design scored and refuses any call made while the
run is in its design phase, so an offline run provably makes 0 oracle calls while designing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol, runtime_checkable

import numpy as np

from seqmbo.errors import OracleSealedError


@runtime_checkable
class Oracle(Protocol):
    """True score of designs: ``(n,)`` float64, ``nan`` for invalid designs."""

    def __call__(self, designs: Sequence[str]) -> np.ndarray: ...


class SealedOracle:
    """Counts oracle calls and forbids them while sealed.

    Attributes:
        calls: designs scored in total.
        design_calls: designs asked for while sealed (each such call raises).
    """

    def __init__(self, oracle: Oracle) -> None:
        self._oracle = oracle
        self._sealed = False
        self.calls = 0
        self.design_calls = 0

    @property
    def inner(self) -> Oracle:
        return self._oracle

    @contextmanager
    def sealed(self) -> Iterator[None]:
        """Within this block any call raises :class:`OracleSealedError` (and is counted)."""
        prev, self._sealed = self._sealed, True
        try:
            yield
        finally:
            self._sealed = prev

    def __call__(self, designs: Sequence[str]) -> np.ndarray:
        if self._sealed:
            self.design_calls += len(designs)
            raise OracleSealedError(
                f"the oracle was called on {len(designs)} designs during the design phase of an offline run; "
                "generators and proxies may only use the offline dataset and the reward"
            )
        self.calls += len(designs)
        return np.asarray(self._oracle(designs), dtype=np.float64)


class LookupOracle:
    """Exact lookup over a complete measured table; designs not in the table score ``nan``.

    Fixed-length tables over an alphabet are indexed by their base-``V`` token number, so a
    lookup is one vectorised gather.
    """

    def __init__(self, designs: Sequence[str], scores: np.ndarray, space=None) -> None:
        scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        self.space = space
        self._table: np.ndarray | None = None
        self._dict: dict[str, float] | None = None
        if space is not None and space.is_fixed_length and space.vocab_size ** space.max_length <= 50_000_000:
            ids = space.encode(list(designs))
            if (ids >= 0).all():
                table = np.full(space.vocab_size ** space.max_length, np.nan)
                table[self._index(ids)] = scores
                self._table = table
        if self._table is None:
            self._dict = dict(zip(designs, scores.tolist()))

    def _index(self, ids: np.ndarray) -> np.ndarray:
        powers = self.space.vocab_size ** np.arange(self.space.max_length - 1, -1, -1, dtype=np.int64)
        return ids @ powers

    def __call__(self, designs: Sequence[str]) -> np.ndarray:
        designs = list(designs)
        if self._table is not None:
            ok = np.array([len(d) == self.space.max_length for d in designs], dtype=bool)
            out = np.full(len(designs), np.nan)
            if ok.any():
                ids = self.space.encode([d for d, k in zip(designs, ok) if k])
                good = (ids >= 0).all(axis=1)
                vals = np.full(ids.shape[0], np.nan)
                vals[good] = self._table[self._index(ids[good])]
                out[ok] = vals
            return out
        assert self._dict is not None
        return np.array([self._dict.get(d, np.nan) for d in designs], dtype=np.float64)

    @property
    def size(self) -> int:
        if self._table is not None:
            return int(np.isfinite(self._table).sum())
        assert self._dict is not None
        return len(self._dict)
