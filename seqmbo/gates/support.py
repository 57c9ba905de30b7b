"""Data support: keep search on the manifold of the offline data.

:class:`BigramSupport` accepts a design only if every pair of adjacent letters in it also occurs
somewhere in the offline designs. It is a cheap, data-only proxy for constraints the oracle
enforces but nobody wrote down (banned transitions of an Ehrlich function, forbidden motifs):
a letter pair never seen in thousands of measured designs is a bet the proxy cannot back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class BigramSupport:
    """Gate: every adjacent letter pair of a design was seen in the reference designs.

    Args:
        reference: the offline designs that define the support.
        space: a token space (``encode``, ``vocab_size``).
    """

    name = "support"

    def __init__(self, reference: Sequence[str], space) -> None:
        self.space = space
        V = space.vocab_size
        ids = space.encode(list(reference))
        a, b = ids[:, :-1], ids[:, 1:]
        ok = (a >= 0) & (b >= 0)
        self.seen = np.zeros((V, V), dtype=bool)
        self.seen[a[ok], b[ok]] = True

    @property
    def coverage(self) -> float:
        """Fraction of all letter pairs that occur in the reference."""
        return float(self.seen.mean())

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        if not len(designs):
            return np.zeros(0, dtype=bool)
        ids = self.space.encode(list(designs))
        a, b = ids[:, :-1], ids[:, 1:]
        both = (a >= 0) & (b >= 0)
        ok = np.where(both, self.seen[np.maximum(a, 0), np.maximum(b, 0)], True)
        return ok.all(axis=1)
