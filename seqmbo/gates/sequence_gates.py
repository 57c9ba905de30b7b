"""Gates: boolean masks over candidate designs, composable with :class:`AllOf`.

A gate is ``gate(designs, reference=()) -> bool mask (n,)``. Order matters for the stateful ones
(:class:`Unique`, :class:`MinDistance`): the run applies gates to candidates sorted best first,
so the better of two near-duplicates is the one kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from seqmbo.metrics.distance import distance_matrix, nearest_distance

Gate = Callable[..., np.ndarray]


class Valid:
    """Designs that lie in the space (and, when given, score non-``nan`` under ``check``)."""

    def __init__(self, space) -> None:
        self.space = space

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        return self.space.is_valid(list(designs))


class Unique:
    """The first occurrence of each design."""

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        seen: set[str] = set()
        out = np.zeros(len(designs), dtype=bool)
        for i, d in enumerate(designs):
            if d not in seen:
                seen.add(d)
                out[i] = True
        return out


class Novel:
    """Designs at distance >= ``min_distance`` from every reference (offline) design.

    ``min_distance=1`` means "not in the offline set" (checked by exact membership, fast);
    larger values use Hamming (fixed length) or Levenshtein distance. In a double-stranded
    space (``space.reverse_complement``) a design whose reverse complement is on file is not novel.
    """

    def __init__(self, min_distance: int = 1, space=None) -> None:
        self.min_distance, self.space = min_distance, space

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        if self.min_distance <= 0 or not len(reference):
            return np.ones(len(designs), dtype=bool)
        if self.min_distance == 1:
            ref = set(reference)
            if getattr(self.space, "reverse_complement", False):  # either strand may be on file
                return np.array([d not in ref and self.space.reverse_complement_of(d) not in ref for d in designs], dtype=bool)
            return np.array([d not in ref for d in designs], dtype=bool)
        return nearest_distance(list(designs), list(reference), self.space) >= self.min_distance


class MinDistance:
    """A diverse selection: keep a design only if it is >= ``min_distance`` from all kept before it.

    Distances are those of :func:`seqmbo.metrics.distance.distance_matrix` with the space, so in
    a double-stranded space a design's reverse complement counts as distance 0 (never kept twice).
    """

    def __init__(self, min_distance: int = 2, space=None) -> None:
        self.min_distance, self.space = min_distance, space

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        designs = list(designs)
        keep = np.zeros(len(designs), dtype=bool)
        if not designs:
            return keep
        dist = distance_matrix(designs, designs, self.space)
        kept: list[int] = []
        for i in range(len(designs)):
            if not kept or dist[i, kept].min() >= self.min_distance:
                kept.append(i)
                keep[i] = True
        return keep


def select_diverse(designs: Sequence[str], n: int, min_distance: int, diverse: int | None = None,
                   space=None, pool: int = 4000) -> list[str]:
    """Pick ``n`` of ``designs`` (sorted best first): first up to ``diverse`` designs at pairwise
    distance >= ``min_distance`` (greedy, best first), then the best of the rest.

    ``diverse=None`` asks for all ``n`` to be diverse (the rest only if too few are). Only the
    best ``pool`` designs are considered. The result keeps the input (best-first) order.
    """
    designs = list(designs)[:pool]
    k = n if diverse is None else min(diverse, n)
    chosen = np.flatnonzero(MinDistance(min_distance, space)(designs))[:k].tolist() if k > 0 else []
    taken = set(chosen)
    for i in range(len(designs)):
        if len(chosen) >= n:
            break
        if i not in taken:
            chosen.append(i)
    return [designs[i] for i in sorted(chosen)]


class AllOf:
    """Apply gates in order; each sees only the designs the previous ones passed."""

    def __init__(self, *gates: Gate) -> None:
        self.gates = gates

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        designs = list(designs)
        mask = np.ones(len(designs), dtype=bool)
        for gate in self.gates:
            idx = np.flatnonzero(mask)
            if idx.size == 0:
                break
            sub = gate([designs[i] for i in idx], reference)
            mask[idx[~np.asarray(sub, dtype=bool)]] = False
        return mask
