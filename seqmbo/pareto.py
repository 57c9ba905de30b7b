"""Pareto tools over maximized objective vectors ``(n, m)``: non-dominated sorting, crowding
distance, the NSGA-II order, and hypervolume (BoTorch's exact box decomposition).

Every function here takes objectives to **maximize** (negate a minimized one first). Rows with
a non-finite entry are dominated by every finite row and lie on the last front.
"""

from __future__ import annotations

import numpy as np

from seqmbo.errors import InvalidInputError


def _as_matrix(Y: np.ndarray) -> np.ndarray:
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 2:
        raise InvalidInputError(f"objective values must be a matrix (n, m), got shape {Y.shape}")
    return Y


def nondominated_ranks(Y: np.ndarray, block: int = 64, limit: int | None = None) -> np.ndarray:
    """Front index of each row ``(n,)`` int: 0 for the non-dominated rows, 1 for those dominated
    only by front 0, and so on (Deb et al. 2002's fast non-dominated sort, vectorized per front).

    Row ``a`` dominates row ``b`` when ``a >= b`` everywhere and ``a > b`` somewhere. Equal rows
    share a front. Rows with NaN or -inf form the last front.
    """
    Y = _as_matrix(Y)
    ranks = np.full(Y.shape[0], -1, dtype=np.int64)
    finite = np.isfinite(Y).all(axis=1)
    if finite.any():
        Z, inverse = np.unique(Y[finite], axis=0, return_inverse=True)  # equal rows share a front
        sub = _ranks_2d(Z) if Z.shape[1] <= 2 else _ranks_peeling(Z, block, limit)
        ranks[finite] = sub[inverse.reshape(-1)]
    ranks[~finite] = ranks.max() + 1 if finite.any() else 0
    return ranks


def _ranks_2d(Z: np.ndarray) -> np.ndarray:
    """Front indices of distinct 2-D rows in ``O(n log n)``: in order of the first objective
    (then the second) descending, a row is dominated by front ``k`` exactly when the largest
    second objective seen in that front is at least its own; those maxima do not increase with
    ``k``, so the row's front is found by bisection."""
    import bisect

    order = np.lexsort((-Z[:, 1], -Z[:, 0]))
    neg_last: list[float] = []  # -(largest second objective of front k), non-decreasing in k
    out = np.empty(Z.shape[0], dtype=np.int64)
    for i in order:
        k = bisect.bisect_right(neg_last, -Z[i, 1])
        if k == len(neg_last):
            neg_last.append(-Z[i, 1])
        else:
            neg_last[k] = -Z[i, 1]
        out[i] = k
    return out


def _ranks_peeling(Z: np.ndarray, block: int, limit: int | None = None) -> np.ndarray:
    """Front indices of distinct rows (any number of objectives), front by front.

    Rows are visited in order of their sum, descending: a row's dominators come before it. Each
    front is built chunk by chunk (a chunk's rows that neither the front so far nor another row
    of the chunk dominates). With ``limit``, peeling stops once ``limit`` rows have a front; the
    rest share the next index.
    """
    out = np.full(Z.shape[0], -1, dtype=np.int64)
    left = np.argsort(-Z.sum(1), kind="stable")
    level, done = 0, 0
    while left.size and (limit is None or done < limit):
        front = np.zeros((0, Z.shape[1]))
        on = np.zeros(left.size, dtype=bool)
        for s in range(0, left.size, block):
            C = Z[left[s:s + block]]
            ok = ~dominated_by_any(C, C) & ~dominated_by_any(front, C) if front.size else ~dominated_by_any(C, C)
            on[s:s + block] = ok
            front = np.vstack([front, C[ok]])
        out[left[on]] = level
        done += int(on.sum())
        left, level = left[~on], level + 1
    out[left] = level
    return out


def _dominated_by(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``(a, b)`` bool: row ``A[i]`` dominates row ``B[j]``."""
    return (A[:, None, :] >= B[None, :, :]).all(-1) & (A[:, None, :] > B[None, :, :]).any(-1)


def dominated_by_any(A: np.ndarray, B: np.ndarray, block: int = 512) -> np.ndarray:
    """Bool ``(len(B),)``: whether some row of ``A`` dominates each row of ``B``."""
    A, B = _as_matrix(A), _as_matrix(B)
    out = np.zeros(B.shape[0], dtype=bool)
    for s in range(0, A.shape[0], block):
        out |= _dominated_by(A[s:s + block], B).any(0)
    return out


def crowding_distance(Y: np.ndarray) -> np.ndarray:
    """NSGA-II crowding distance of the rows of one front ``(n,)``: boundary rows get ``inf``;
    the others the sum over objectives of the normalized gap between their two neighbours."""
    Y = _as_matrix(Y)
    n, m = Y.shape
    dist = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(m):
        order = np.argsort(Y[:, j], kind="stable")
        col = Y[order, j]
        span = col[-1] - col[0]
        dist[order[0]] = dist[order[-1]] = np.inf
        if span > 0:
            dist[order[1:-1]] += (col[2:] - col[:-2]) / span
    return dist


def nsga_order(Y: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Indices of the rows best first: by front, then by crowding distance (larger first), then
    by row order; the selection order of NSGA-II. With ``limit``, only the fronts holding the best
    ``limit`` rows are sorted (see :func:`nondominated_ranks`)."""
    Y = _as_matrix(Y)
    ranks = nondominated_ranks(Y, limit=limit)
    crowd = np.zeros(len(Y))
    for r in np.unique(ranks):
        rows = np.flatnonzero(ranks == r)
        finite = np.isfinite(Y[rows]).all(axis=1)
        crowd[rows[finite]] = crowding_distance(Y[rows[finite]]) if finite.any() else 0.0
    return np.lexsort((np.arange(len(Y)), -crowd, ranks))


def pareto_mask(Y: np.ndarray) -> np.ndarray:
    """Bool ``(n,)``: the rows on the first front (non-dominated, finite)."""
    Y = _as_matrix(Y)
    return (nondominated_ranks(Y) == 0) & np.isfinite(Y).all(axis=1)


def hypervolume(Y: np.ndarray, ref: np.ndarray) -> float:
    """The hypervolume the rows dominate above the reference point ``ref`` ``(m,)`` (maximized
    objectives; rows not strictly better than ``ref`` everywhere add nothing).

    Exact, by BoTorch's box decomposition (``botorch.utils.multi_objective.hypervolume``).
    """
    import torch

    from seqmbo._optional import require

    require("botorch", "hypervolume")
    from botorch.utils.multi_objective.hypervolume import Hypervolume

    Y = _as_matrix(Y)
    ref = np.asarray(ref, dtype=np.float64).reshape(-1)
    if ref.shape[0] != Y.shape[1]:
        raise InvalidInputError(f"reference point has {ref.shape[0]} entries for {Y.shape[1]} objectives")
    keep = np.isfinite(Y).all(axis=1) & (Y > ref).all(axis=1)
    if not keep.any():
        return 0.0
    front = np.unique(Y[keep][pareto_mask(Y[keep])], axis=0)  # repeated points cost BoTorch time, add nothing
    hv = Hypervolume(torch.as_tensor(ref, dtype=torch.float64))
    return float(hv.compute(torch.as_tensor(front, dtype=torch.float64)))
