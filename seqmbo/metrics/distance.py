"""Edit distances between designs: Hamming for equal lengths, Levenshtein otherwise.

In a double-stranded DNA space (``space.reverse_complement``) a design and its reverse
complement are one object, so the distance between two designs is the smaller of the distances
from the first, or from its reverse complement, to the second. Without a space, plain distances.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _fixed_ids(a: Sequence[str], b: Sequence[str]) -> tuple[np.ndarray, np.ndarray] | None:
    lengths = {len(s) for s in a} | {len(s) for s in b}
    if len(lengths) != 1:
        return None
    L = lengths.pop()
    try:
        xa = np.frombuffer("".join(a).encode("ascii"), dtype=np.uint8).reshape(len(a), L)
        xb = np.frombuffer("".join(b).encode("ascii"), dtype=np.uint8).reshape(len(b), L)
    except UnicodeEncodeError:
        return None
    return xa, xb


def _other_strand(a: list[str], space) -> list[str] | None:
    """The reverse complements of ``a`` in a double-stranded space, else ``None``."""
    if not getattr(space, "reverse_complement", False):
        return None
    return [space.reverse_complement_of(d) for d in a]


def distance_matrix(a: Sequence[str], b: Sequence[str], space=None, block: int = 4096) -> np.ndarray:
    """Pairwise distances ``(len(a), len(b))``: Hamming if all designs share one length, else Levenshtein."""
    a, b = list(a), list(b)
    rc = _other_strand(a, space)
    if rc is not None:
        return np.minimum(distance_matrix(a, b, block=block), distance_matrix(rc, b, block=block))
    if not a or not b:
        return np.zeros((len(a), len(b)), dtype=np.int64)
    fixed = _fixed_ids(a, b)
    if fixed is not None:
        xa, xb = fixed
        out = np.empty((len(a), len(b)), dtype=np.int64)
        step = max(1, block // max(1, xb.shape[1]))  # rows of a per block: ~block x len(b) comparisons each
        for s in range(0, len(a), step):
            out[s : s + step] = (xa[s : s + step, None, :] != xb[None, :, :]).sum(-1)
        return out
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    return cdist(a, b, scorer=Levenshtein.distance, dtype=np.int64, workers=1)


def nearest_distance(a: Sequence[str], reference: Sequence[str], space=None, block: int = 256) -> np.ndarray:
    """For each design in ``a``, the distance to its nearest design in ``reference`` ``(len(a),)``."""
    a, reference = list(a), list(reference)
    rc = _other_strand(a, space)
    if rc is not None:
        return np.minimum(nearest_distance(a, reference, block=block), nearest_distance(rc, reference, block=block))
    if not reference:
        return np.full(len(a), np.nan)
    out = np.empty(len(a), dtype=np.float64)
    fixed = _fixed_ids(a, reference)
    for s in range(0, len(a), block):
        if fixed is not None:
            xa, xr = fixed
            chunk = xa[s : s + block]
            d = np.full(chunk.shape[0], chunk.shape[1], dtype=np.int64)
            for r in range(0, xr.shape[0], 8192):
                d = np.minimum(d, (chunk[:, None, :] != xr[None, r : r + 8192, :]).sum(-1).min(1))
            out[s : s + block] = d
        else:
            out[s : s + block] = distance_matrix(a[s : s + block], reference).min(1)
    return out


def mean_pairwise_distance(designs: Sequence[str], space=None) -> float:
    """Mean distance over distinct unordered pairs (``nan`` for fewer than 2 designs), in the
    space's own distance when a space is given (else plain Hamming/Levenshtein)."""
    designs = list(designs)
    n = len(designs)
    if n < 2:
        return float("nan")
    d = space.distance(designs, designs) if space is not None else distance_matrix(designs, designs)
    return float(d[np.triu_indices(n, 1)].mean())
