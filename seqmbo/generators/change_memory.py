"""What the labelled designs tell about single-letter changes: which ones were tried, which ones hurt.

Local search labels many pairs of designs one letter apart (a parent and its mutant). Each
such pair says what changing letter ``b`` into ``a`` at position ``p`` did to the score. A
later mutant of a related design need not repeat a change that did not help, nor touch a
letter whose change lowered the score (on an Ehrlich function: a matched motif element).
:func:`change_memory` gathers both from the labels; :func:`allowed_changes` turns them into
the letter changes still worth trying on a given parent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChangeMemory:
    """Single-letter changes seen in the labels.

    Attributes:
        hurt: ``(L, V)`` bool: changing letter ``b`` at position ``p`` lowered the score at
            least once (the letter was load-bearing there).
        tried: ``(L, V, V)`` bool: ``b -> a`` at ``p`` was labelled and did not raise the score.
    """

    hurt: np.ndarray
    tried: np.ndarray


def change_memory(tokens: np.ndarray, y: np.ndarray, vocab: int) -> ChangeMemory:
    """Collects every labelled pair of designs one letter apart.

    Args:
        tokens: ``(N, L)`` token ids of the labelled designs (padding ``< 0``; rows of another
            length than their partner are never one letter apart).
        y: ``(N,)`` scores (non-finite ones are skipped).
        vocab: the number of letters ``V``.

    Returns:
        The :class:`ChangeMemory` of all pairs, in both directions.
    """
    n, width = tokens.shape
    hurt = np.zeros((width, vocab), dtype=bool)
    tried = np.zeros((width, vocab, vocab), dtype=bool)
    ok = np.flatnonzero(np.isfinite(y))
    x, s = tokens[ok], np.asarray(y, dtype=np.float64)[ok]
    i, j, p = one_letter_pairs(x)
    a, b = x[j, p], x[i, p]  # i has b at p, j has a
    keep = (a >= 0) & (b >= 0)
    i, j, p, a, b = i[keep], j[keep], p[keep], a[keep], b[keep]
    up = s[j] > s[i]  # b -> a raised the score
    down = s[j] < s[i]
    hurt[p[up], a[up]] = True  # a -> b lowered it
    hurt[p[down], b[down]] = True
    tried[p[~up], b[~up], a[~up]] = True
    tried[p[~down], a[~down], b[~down]] = True
    return ChangeMemory(hurt, tried)


def one_letter_pairs(tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of rows that differ at exactly one position.

    Rows equal but for position ``p`` share the hash of their letters with ``p`` left out, so
    each position takes one sort of ``N`` hashes (``O(L N log N)`` in all, instead of comparing
    every pair); hash collisions are ruled out by comparing the rows found.

    Args:
        tokens: ``(N, L)`` token ids.

    Returns:
        ``(i, j, p)``: ``(M,)`` arrays with ``i < j`` and ``tokens[i]``, ``tokens[j]`` differing at
        position ``p`` alone.
    """
    n, width = tokens.shape
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    if n < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    weights = np.random.default_rng(0).integers(1, 2**63, size=width, dtype=np.uint64) | np.uint64(1)
    x = tokens.astype(np.int64).view(np.uint64)
    with np.errstate(over="ignore"):
        total = (x * weights).sum(1, dtype=np.uint64)
        for p in range(width):
            key = total - x[:, p] * weights[p]
            order = np.argsort(key, kind="stable")
            ks = key[order]
            bounds = np.concatenate([[0], np.flatnonzero(ks[1:] != ks[:-1]) + 1, [n]])
            sizes = np.diff(bounds)
            for size in np.unique(sizes[sizes > 1]):  # the runs of one size at once
                lo = bounds[:-1][sizes == size][:, None]
                a, b = np.triu_indices(size, 1)
                found.append((order[lo + a].ravel(), order[lo + b].ravel(), np.full(lo.size * a.size, p)))
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    i, j, p = (np.concatenate(col) for col in zip(*found))
    i, j = np.minimum(i, j), np.maximum(i, j)
    exact = (tokens[i] != tokens[j]).sum(1) == 1  # equal hashes of equal rows, not a collision
    return i[exact], j[exact], p[exact]


def allowed_changes(memory: ChangeMemory, parent: np.ndarray) -> np.ndarray:
    """The letter changes of ``parent`` still worth trying.

    Args:
        memory: from :func:`change_memory`.
        parent: ``(L,)`` token ids (padding ``< 0`` at the end).

    Returns:
        ``(L, V)`` bool: ``[p, a]`` is True when ``a`` differs from the parent's letter at ``p``,
        that letter never proved load-bearing, and the change was never tried without gain.
    """
    width, vocab = memory.hurt.shape
    live = np.flatnonzero(parent >= 0)
    out = np.zeros((width, vocab), dtype=bool)
    b = parent[live]
    out[live] = ~memory.tried[live, b] & ~memory.hurt[live, b][:, None]
    out[live, b] = False
    return out
