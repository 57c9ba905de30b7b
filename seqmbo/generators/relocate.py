"""Moving a partial feature where it has room to be completed.

On a product of per-feature terms (an Ehrlich function: a quantized fraction of each motif's
spaced letters in place), a search stops where the element a feature still lacks would sit on a
letter another feature needs, or next to one it cannot stand beside: no single or double change
helps, although the optimum is far. The labels say which letters belong together: changing a
letter of a feature with ``n`` of its elements in place multiplies the score by ``(n - 1) / n``, and
changing two letters of one feature lowers it more than two of different features, so the
load-bearing letters of the best design fall into groups by how much their change, alone and in
pairs, lowered it (:func:`feature_groups`). A relocation child copies one group's letters, at their
spacings, onto letters that are not load-bearing elsewhere in the design (a neutral move: the
feature's term is a maximum over its placements) and tries, at once, several guesses of the missing
element around the copy; an eviction copies a group in the way elsewhere and guesses where it stood
(:func:`relocation_children`). A child that scores as its parent did rules its guesses out for that
group wherever it goes next; one that scores higher holds the completed feature.
"""

from __future__ import annotations

import itertools

import numpy as np

from seqmbo.generators.scan import fitting_letters, settle


def drop_ratios(best: np.ndarray, best_y: float, tokens: np.ndarray, y: np.ndarray, changes: int = 1) -> dict:
    """The lowest ``y / best_y`` of the labelled designs that differ from ``best`` at exactly
    ``changes`` positions, keyed by those positions (a tuple); empty when ``best_y`` is not positive."""
    out: dict[tuple, float] = {}
    if not best_y > 0:
        return out
    diff = tokens != best
    for row in np.flatnonzero((diff.sum(1) == changes) & np.isfinite(y)):
        key = tuple(np.flatnonzero(diff[row]).tolist())
        out[key] = min(out.get(key, np.inf), y[row] / best_y)
    return out


def feature_size(r: float) -> int:
    """``n`` where ``r == (n - 1) / n`` for an integer ``n >= 2``, else 0."""
    if not 0 < r < 1:
        return 0
    n = 1.0 / (1.0 - r)
    return int(round(n)) if abs(n - round(n)) < 1e-6 and round(n) >= 2 else 0


def feature_groups(single: dict, double: dict, max_window: int) -> tuple[list[np.ndarray], list[tuple[int, int]]]:
    """The load-bearing positions grouped by feature, and the pairs still to measure.

    A letter of a feature with ``n`` elements in place multiplies the score by ``(n - 1) / n`` when
    it changes (``single``), so its ratio names ``n``; a letter two features share multiplies it by
    the product of two such ratios and joins both (a product that also reads as one ratio is taken
    for one when that feature has its ``n`` letters). Two positions of one ``n`` belong to one feature
    when changing both (``double``) lowers the score by ``n (n - 2) / (n - 1)^2`` more than the
    product of their single ratios (two elements of one feature lost), to other features when by
    nothing more. A group is a set of ``n`` positions within ``max_window``, every two of them of one
    feature (a letter two features of one size share is in both of their groups).

    Args:
        single: ``{(p,): ratio}`` from :func:`drop_ratios`.
        double: ``{(p, q): ratio}`` from :func:`drop_ratios` with ``changes = 2``.
        max_window: a feature spans fewer positions than this.

    Returns:
        The groups (sorted position arrays, smallest ``n`` first) and the pairs ``(p, q)`` of one
        ``n`` whose double change is not labelled yet.
    """
    members = _members(single)
    groups, wanted = [], []
    for n, where in members.items():
        same = set()
        for i, p in enumerate(where):
            for q in where[i + 1:]:
                if q - p >= max_window:
                    continue
                if (p, q) not in double:
                    wanted.append((p, q))
                elif abs(double[(p, q)] / (single[(p,)] * single[(q,)]) - n * (n - 2) / (n - 1) ** 2) < 1e-6:
                    same.add((p, q))
        for i, p in enumerate(where):  # groups: n positions, every two of them of one feature
            near = [q for q in where[i + 1:] if (p, q) in same]
            for rest in itertools.combinations(near, n - 1):
                if all((a, b) in same for a, b in itertools.combinations(rest, 2)):
                    groups.append(np.array((p,) + rest))
    return sorted(groups, key=len), wanted


def _members(single: dict) -> dict[int, list[int]]:
    """``{n: positions}``: the positions whose single ratio names a feature of ``n`` elements, and
    those of shared letters (a product of two ratios) under both of theirs, sorted, smallest ``n`` first."""
    sizes = {p: feature_size(r) for (p,), r in single.items()}
    members: dict[int, list[int]] = {}
    for p, n in sizes.items():
        if n:
            members.setdefault(n, []).append(p)
    known = sorted(members)
    for (p,), r in single.items():
        n = sizes[p]
        if not 0 < r < 1 or (n and len(members[n]) >= n):
            continue
        pair = next(((a, b) for i, a in enumerate(known) for b in known[i:]
                     if abs(r - (a - 1) / a * (b - 1) / b) < 1e-6), None)
        if pair is not None:
            if n:
                members[n].remove(p)
            members[pair[0]].append(p)
            members[pair[1]].append(p)
    return {n: sorted(set(members[n])) for n in known if members[n]}


def relocation_children(best: np.ndarray, group: np.ndarray, tried: set, seen: np.ndarray, protected: np.ndarray,
                        max_window: int, k: int, guesses: int, rng: np.random.Generator,
                        mover: np.ndarray | None = None) -> list[tuple[np.ndarray, list]]:
    """Up to ``k`` children of ``best`` with ``group``'s letters copied elsewhere and guesses beside them.

    With ``mover`` (another group, one that holds a place ``group``'s missing element may need),
    the mover's letters are copied elsewhere instead (an eviction) and the guesses go where its
    letters were, beside ``group`` where it stands.

    Args:
        best: ``(L,)`` token ids, no padding.
        group: positions of one feature's letters in ``best`` (sorted).
        tried: ``(r, a)`` guesses already ruled out for this group: letter ``a`` at offset ``r``
            from the group's first letter.
        seen: ``(V, V)`` bool: the letter pairs on the support.
        protected: ``(L,)`` bool: load-bearing positions, never written over (but for the
            mover's, once its copy stands).
        max_window: a feature spans fewer positions than this.
        k: the most children.
        guesses: the most guesses a child holds (at distinct offsets).
        rng: the only source of randomness.
        mover: positions of the group to evict (sorted), or None.

    Returns:
        ``(child, [(r, a), ...])`` pairs: each child on the support, with the guesses it holds.
    """
    width, vocab = best.shape[0], seen.shape[0]
    moved = group if mover is None else mover
    rel, own = moved - moved[0], group - group[0]
    offsets = [r for r in range(int(own[-1]) - max_window + 1, max_window) if r not in set(own.tolist())]
    todo = [(r, a) for r in offsets for a in range(vocab) if (r, a) not in tried]
    bases = [s for s in range(width - int(rel[-1])) if s != moved[0] and not protected[s + rel].any()]
    out: list[tuple[np.ndarray, list]] = []
    if not todo or not bases:
        return out
    order = [todo[i] for i in rng.permutation(len(todo))]
    keep = protected.copy()
    if mover is not None:
        keep[mover] = False
    used: set = set()
    for _ in range(4 * k):
        if len(out) >= k or len(used) >= len(order):
            break
        base = bases[rng.integers(len(bases))]
        child = best.copy()
        child[base + rel] = best[moved]
        fixed = np.zeros(width, bool)
        fixed[base + rel] = True
        if not settle(child, base + rel, seen, protected | fixed, rng):
            continue
        anchor = base if mover is None else int(group[0])
        held = []
        for r, a in order:
            q = anchor + r
            if (r, a) in used or len(held) >= guesses or not 0 <= q < width or keep[q] or fixed[q] or child[q] == a:
                continue
            if mover is not None and q not in mover:
                continue
            trial = child.copy()
            trial[q] = a
            if settle(trial, [q], seen, keep | fixed, rng):
                child, held = trial, held + [(r, a)]
                fixed[q] = True
        if held:
            used.update(held)
            out.append((child, held))
    return out


def measure_children(best: np.ndarray, todo: list[tuple], seen: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """For each tuple of positions of ``todo``, ``best`` with those letters changed, each to one whose
    pairs with its neighbours are seen (a tuple where no letter fits is left out): labelled, they
    give :func:`drop_ratios` what :func:`feature_groups` needs."""
    out = []
    for where in todo:
        child = best.copy()
        for p in where:
            ok = fitting_letters(child, p, seen)
            ok[best[p]] = False
            if not ok.any():
                break
            child[p] = rng.choice(np.flatnonzero(ok))
        else:
            out.append(child)
    return out
