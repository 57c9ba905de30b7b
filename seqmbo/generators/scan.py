"""A systematic scan of the best design's single-letter changes, and the combination of the gains found.

On a landscape whose value is a product of per-feature terms (an Ehrlich function: one
quantized fraction a motif), a single letter that adds a missing feature element raises the
value by a fixed factor, and gains on different features compose. Two operators follow:

* :func:`scan_children` draws single-letter changes of a parent *without repetition*: each
  change still worth trying (:func:`seqmbo.generators.change_memory.allowed_changes`) and not
  yet labelled near the parent (:func:`near_letters`) is drawn at most once, in random order.
  A change whose new letter pairs lie off the support (an infeasible design) is repaired by
  changing one neighbour to a letter that makes both of its pairs seen, never a load-bearing
  neighbour; a change that cannot be repaired is skipped. Scanning ``L * (V - 1)`` changes
  takes ``L * (V - 1) / k`` rounds of ``k`` children, instead of the many more that draws with
  repetition need to cover them. Where the parent's letters are known not to be load-bearing,
  a child tests several changes at once (group testing): none of them can lower the score, so a
  child no better than the parent rules them all out (:func:`grouped_letters`), and one that is
  better is a new best design.
* :func:`combine_gains` writes every letter whose arrival raised the score somewhere in the labels
  (``ChangeMemory.hurt``: changing it back lowered the score) into the parent at once, and random
  subsets of them, so gains found on different features join in one design.

Both work on ``(L,)`` rows of token ids of fixed length (the scan skips padded positions).
"""

from __future__ import annotations

import numpy as np


def near_letters(parent: np.ndarray, tokens: np.ndarray, vocab: int) -> np.ndarray:
    """The letters labelled near ``parent``: in a design one change from it, or one change and its repair.

    Args:
        parent: ``(L,)`` token ids.
        tokens: ``(N, L)`` token ids of the labelled designs.
        vocab: the number of letters ``V``.

    Returns:
        ``(L, V)`` bool: ``[p, a]`` when a labelled design has ``a`` at ``p`` and differs from
        ``parent`` at ``p`` alone, or at ``p`` and one neighbour of ``p``.
    """
    out = np.zeros((parent.shape[0], vocab), dtype=bool)
    if tokens.shape[0] == 0:
        return out
    diff = tokens != parent
    count = diff.sum(1)
    rows, cols = np.nonzero(diff[count == 1])
    keep = tokens[count == 1][rows, cols] >= 0
    out[cols[keep], tokens[count == 1][rows, cols][keep]] = True
    pairs = tokens[count == 2]
    if pairs.shape[0]:
        where = np.nonzero(diff[count == 2])[1].reshape(-1, 2)
        adjacent = where[:, 1] - where[:, 0] == 1
        for side in (0, 1):
            pos = where[adjacent, side]
            letters = pairs[adjacent][np.arange(pos.size), pos]
            out[pos[letters >= 0], letters[letters >= 0]] = True
    return out


def grouped_letters(parent: np.ndarray, tokens: np.ndarray, free: np.ndarray, vocab: int) -> np.ndarray:
    """The letters labelled in designs that differ from ``parent`` at free positions alone.

    Changing a letter that is not load-bearing cannot lower a product of per-feature terms, so
    when such a design scores no higher than ``parent`` (``parent`` is the best), none of its
    changes raised the score on its own: each counts as tried. (A change can be masked by another
    that breaks a tied placement of the same feature; rare, and accepted.)

    Args:
        parent: ``(L,)`` token ids.
        tokens: ``(N, L)`` token ids of the labelled designs.
        free: ``(L,)`` bool: positions whose letter in ``parent`` is known not to be load-bearing.
        vocab: the number of letters ``V``.

    Returns:
        ``(L, V)`` bool: ``[p, a]`` when such a design has ``a`` at ``p``.
    """
    out = np.zeros((parent.shape[0], vocab), dtype=bool)
    diff = tokens != parent
    rows = np.flatnonzero(diff.any(1) & ~(diff & ~free).any(1))
    r, c = np.nonzero(diff[rows])
    letters = tokens[rows][r, c]
    out[c[letters >= 0], letters[letters >= 0]] = True
    return out


def scan_children(parent: np.ndarray, todo: np.ndarray, seen: np.ndarray, protected: np.ndarray, k: int,
                  rng: np.random.Generator, free: np.ndarray | None = None, group: int = 1) -> np.ndarray:
    """Up to ``k`` distinct children of ``parent``, each testing changes drawn from ``todo``, repaired onto the support.

    A change at a position whose status is unknown is tested alone; changes at ``free`` positions
    (known not to be load-bearing, so no such change can lower the score) are tested ``group`` at a
    time, at positions at least 4 apart so that their repairs never meet: a child that scores no
    higher than ``parent`` rules out all of them at once (:func:`grouped_letters`).

    Args:
        parent: ``(L,)`` token ids.
        todo: ``(L, V)`` bool: the changes ``parent[p] -> a`` to draw from (each at most once).
        seen: ``(V, V)`` bool: the letter pairs on the support (``seen[a, b]``: ``a`` then ``b`` is fine).
        protected: ``(L,)`` bool: positions a repair must not change (load-bearing letters).
        k: the most children.
        rng: the only source of randomness.
        free: ``(L,)`` bool: positions whose changes may be grouped (none when not given).
        group: the most changes a child of free positions holds.

    Returns:
        ``(m, L)`` children, ``m <= k``: each differs from ``parent`` at its drawn positions, and
        at a neighbour of one when its change alone put a pair off the support.
    """
    width, vocab = todo.shape
    free = np.zeros(width, bool) if free is None or group < 2 else free
    out, open_groups = [], []  # open groups: [child, positions]
    for flat in rng.permutation(np.flatnonzero(todo)):
        if len(out) + len(open_groups) >= k and not open_groups:
            break
        p, a = divmod(int(flat), vocab)
        if not free[p]:
            if len(out) + len(open_groups) < k:
                child = _changed(parent, p, a, seen, protected, rng)
                if child is not None:
                    out.append(child)
            continue
        home = next((g for g in open_groups if all(abs(p - q) >= 4 for q in g[1])), None)
        if home is None:
            if len(out) + len(open_groups) >= k:
                continue
            home = [parent.copy(), []]
            open_groups.append(home)
        changed = _changed(home[0], p, a, seen, protected, rng)
        if changed is not None:
            home[0], home[1] = changed, home[1] + [p]
        if len(home[1]) >= group:
            open_groups = [g for g in open_groups if g is not home]
            out.append(home[0])
    out += [g[0] for g in open_groups if g[1]]
    return np.asarray(out[:k], dtype=parent.dtype).reshape(-1, width)


def _changed(parent: np.ndarray, p: int, a: int, seen: np.ndarray, protected: np.ndarray,
             rng: np.random.Generator) -> np.ndarray | None:
    """``parent`` with ``a`` at ``p``, its neighbours repaired onto the support; None when impossible."""
    child = parent.copy()
    child[p] = a
    return child if settle(child, [p], seen, protected, rng) else None


def settle(child: np.ndarray, where, seen: np.ndarray, keep: np.ndarray, rng: np.random.Generator) -> bool:
    """Makes the pairs around the positions ``where`` seen, in place, changing neighbours that are
    not ``keep`` positions where need be (:func:`_repair`); False when a pair cannot be made seen."""
    return all(_repair(child, p, q, seen, keep, rng) for p in where for q in (p - 1, p + 1))


def _repair(child: np.ndarray, p: int, q: int, seen: np.ndarray, protected: np.ndarray,
            rng: np.random.Generator) -> bool:
    """Makes the pair between ``p`` and its neighbour ``q`` seen, in place, changing ``child[q]`` if need be
    (to a letter whose pairs with both its neighbours are seen); False when that is impossible."""
    width = child.shape[0]
    if q < 0 or q >= width or child[q] < 0:
        return True
    if (seen[child[q], child[p]] if q < p else seen[child[p], child[q]]):
        return True
    if protected[q]:
        return False
    options = np.flatnonzero(fitting_letters(child, q, seen))
    if options.size == 0:
        return False
    child[q] = options[rng.integers(options.size)]
    return True


def fitting_letters(child: np.ndarray, q: int, seen: np.ndarray) -> np.ndarray:
    """``(V,)`` bool: the letters whose pairs with both neighbours of position ``q`` in ``child`` are
    seen (a neighbour past either end or in the padding leaves no constraint)."""
    ok = np.ones(seen.shape[0], dtype=bool)
    if q > 0 and child[q - 1] >= 0:
        ok &= seen[child[q - 1]]
    if q + 1 < child.shape[0] and child[q + 1] >= 0:
        ok &= seen[:, child[q + 1]]
    return ok


def combine_gains(parent: np.ndarray, gains: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``parent`` with every gain written in, then with random halves of them.

    Args:
        parent: ``(L,)`` token ids.
        gains: ``(L, V)`` bool: letters whose arrival at ``p`` raised the score in the labels; those
            at positions where the parent's own letter is such a gain are left out (it would be lost).
        count: the most children (the first writes all the gains in; one letter a position, drawn
            at random where several compete).
        rng: the only source of randomness.

    Returns:
        ``(m, L)`` distinct children other than ``parent``, ``m <= count``.
    """
    live = np.flatnonzero(parent >= 0)
    own = gains[live, parent[live]]
    where = [p for p, mine in zip(live, own) if not mine and gains[p].any()]
    out: list[np.ndarray] = []
    keys: set[bytes] = {parent.tobytes()}
    for i in range(count):
        take = np.ones(len(where), bool) if i == 0 else rng.random(len(where)) < 0.5
        child = parent.copy()
        for p in np.asarray(where, dtype=np.int64)[take]:
            letters = np.flatnonzero(gains[p])
            child[p] = letters[rng.integers(letters.size)]
        if child.tobytes() not in keys:
            keys.add(child.tobytes())
            out.append(child)
    return np.asarray(out, dtype=parent.dtype).reshape(-1, parent.shape[0])


def probe_children(best: np.ndarray, pairs: list[tuple[int, int]], seen: np.ndarray, protected: np.ndarray,
                   rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """``best`` with each unseen letter pair of ``pairs`` written in once, to learn whether it is feasible.

    Each child holds its pair at a position whose letters are not ``protected`` and whose other
    new pairs are ``seen``, so the pair is the child's only pair off the support. Positions that
    need one change (the parent already has one of the two letters there) come first: such a
    child is also a single-letter change of the parent.

    Args:
        best: ``(L,)`` token ids (no padding inside).
        pairs: the unseen pairs ``(a, b)`` to write in, in the order to try.
        seen: ``(V, V)`` bool: the pairs on the support.
        protected: ``(L,)`` bool: load-bearing positions, never changed.
        rng: the only source of randomness.

    Returns:
        ``(m, L)`` children and the ``m`` pairs they hold (a pair with no fitting position is left out).
    """
    live = int((best >= 0).sum())
    p = np.arange(live - 1)  # where a pair starts: positions p and p + 1
    before, after = best[p[:-1]], best[p[1:] + 1]  # the letters before p (p >= 1) and after p + 1
    out, held = [], []
    for a, b in pairs:
        fits = ~protected[p] | (best[p] == a)
        fits &= ~protected[p + 1] | (best[p + 1] == b)
        fits &= np.r_[True, seen[before, a]] & np.r_[seen[b, after], True]
        if not fits.any():
            continue
        cost = (best[p] != a).astype(int) + (best[p + 1] != b)
        cheapest = p[fits & (cost == cost[fits].min())]
        q = int(cheapest[rng.integers(cheapest.size)])
        child = best.copy()
        child[q], child[q + 1] = a, b
        out.append(child)
        held.append((a, b))
    return np.asarray(out, dtype=best.dtype).reshape(-1, best.shape[0]), held
