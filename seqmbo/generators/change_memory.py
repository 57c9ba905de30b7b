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
    for i in range(len(x) - 1):
        diff = x[i + 1:] != x[i]
        near = np.flatnonzero(diff.sum(1) == 1)
        if near.size == 0:
            continue
        j = near + i + 1
        p = diff[near].argmax(1)
        a, b = x[j, p], x[i, p]  # i has b at p, j has a
        if (a < 0).any() or (b < 0).any():
            keep = (a >= 0) & (b >= 0)
            j, p, a, b = j[keep], p[keep], a[keep], b[keep]
        up = s[j] > s[i]  # b -> a raised the score
        down = s[j] < s[i]
        hurt[p[up], a[up]] = True  # a -> b lowered it
        hurt[p[down], b[down]] = True
        tried[p[~up], b[~up], a[~up]] = True
        tried[p[~down], a[~down], b[~down]] = True
    return ChangeMemory(hurt, tried)


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
