"""Gates: boolean masks over candidate designs, composable with :class:`AllOf`.

A gate is ``gate(designs, reference=()) -> bool mask (n,)`` with a short ``name`` (``valid``,
``unique``, ``support``, ``novel``, ``diverse``, ``filters``), under which :class:`AllOf`
counts the designs it removed. Distances are the space's own (:meth:`Space.distance`,
:meth:`Space.nearest_distance`): Hamming/edit distance for sequences (both strands of
double-stranded DNA), Tanimoto distance on Morgan fingerprints for molecules, so a threshold
is a whole number of letters for sequences and a fraction (e.g. ``0.3``) for molecules.

Order matters for the stateful gates (:class:`Unique`, :class:`MinDistance`): the run applies
gates to candidates sorted best first, so the better of two near-duplicates is the one kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from seqmbo.spaces.base import space_key

Gate = Callable[..., np.ndarray]


class Valid:
    """Designs that lie in the space (``space.is_valid``)."""

    name = "valid"

    def __init__(self, space) -> None:
        self.space = space

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        return self.space.is_valid(list(designs))


class Unique:
    """The first occurrence of each design (by :func:`~seqmbo.spaces.base.space_key` when given
    ``space``: for molecules one canonical form, so a charged or rewritten SMILES of a molecule
    already kept is a repeat)."""

    name = "unique"

    def __init__(self, space=None) -> None:
        self.key = space_key(space)

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        seen: set[str] = set()
        out = np.zeros(len(designs), dtype=bool)
        for i, k in enumerate(map(self.key, designs)):
            if k not in seen:
                seen.add(k)
                out[i] = True
        return out


class Novel:
    """Designs at distance >= ``min_distance`` from every reference (offline) design.

    ``min_distance=1`` means "not in the offline set", checked by exact membership (fast; for
    molecules, MOSES novelty of canonical SMILES: a design is compared as written and by its
    :func:`~seqmbo.spaces.base.space_key`, the reference as written, which the loaders and the
    labels of online rounds write in canonical form); in a double-stranded space
    (``space.reverse_complement``) a design whose reverse complement is on file is not novel.
    Other values compare ``space.nearest_distance`` with ``min_distance`` (e.g. ``3`` letters,
    or a Tanimoto distance of ``0.4`` for molecules); ``<= 0`` keeps everything.

    Args:
        min_distance: the smallest distance to the reference that passes.
        space: the design space (needed for any ``min_distance`` other than 1).
    """

    name = "novel"

    def __init__(self, min_distance: float = 1, space=None) -> None:
        self.min_distance, self.space = min_distance, space

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        if self.min_distance <= 0 or not len(reference):
            return np.ones(len(designs), dtype=bool)
        if self.min_distance == 1:
            ref, key = set(reference), space_key(self.space)
            if self.space is not None and self.space.reverse_complement:  # either strand may be on file
                return np.array([d not in ref and self.space.reverse_complement_of(d) not in ref for d in designs], dtype=bool)
            return np.array([d not in ref and key(d) not in ref for d in designs], dtype=bool)
        if not len(designs):
            return np.zeros(0, dtype=bool)
        return _space(self.space, "Novel").nearest_distance(list(designs), list(reference)) >= self.min_distance


class MinDistance:
    """A diverse selection: keep a design only if it is >= ``min_distance`` from all kept before it.

    Distances are ``space.distance``: in a double-stranded space a design's reverse complement is
    at distance 0 (never kept twice); for molecules, Tanimoto distance (e.g. ``min_distance=0.3``).

    Args:
        min_distance: the smallest distance between two kept designs.
        space: the design space.
    """

    name = "diverse"

    def __init__(self, min_distance: float, space) -> None:
        self.min_distance, self.space = min_distance, _space(space, "MinDistance")

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        designs = list(designs)
        keep = np.zeros(len(designs), dtype=bool)
        if not designs:
            return keep
        dist = self.space.distance(designs, designs)
        kept: list[int] = []
        for i in range(len(designs)):
            if not kept or dist[i, kept].min() >= self.min_distance:
                kept.append(i)
                keep[i] = True
        return keep


def select_diverse(designs: Sequence[str], n: int, min_distance: float, diverse: int | None = None,
                   space=None, pool: int = 4000) -> list[str]:
    """Pick ``n`` of ``designs`` (sorted best first): first up to ``diverse`` designs at pairwise
    distance >= ``min_distance`` in the space's distance (greedy, best first), then the best of the rest.

    ``diverse=None`` asks for all ``n`` to be diverse (the rest only if too few are). Only the
    best ``pool`` designs are considered. The result keeps the input (best-first) order.

    Args:
        designs: candidates, best first.
        n: how many to pick.
        min_distance: the distance threshold (letters for sequences, Tanimoto distance for molecules).
        diverse: how many picks must be diverse (``None``: all).
        space: the design space (required).
        pool: how many of the best designs are considered.
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
    """Apply gates in order; each sees only the designs the previous ones passed.

    After a call, ``removed`` maps each gate's ``name`` (its class name, lower case, when it has
    none) to how many designs it removed in that call (gates sharing a name add up).
    """

    name = "all"

    def __init__(self, *gates: Gate) -> None:
        self.gates = gates
        self.removed: dict[str, int] = {}

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        designs = list(designs)
        mask = np.ones(len(designs), dtype=bool)
        self.removed = {gate_name(g): 0 for g in self.gates}
        for gate in self.gates:
            idx = np.flatnonzero(mask)
            if idx.size == 0:
                break
            sub = np.asarray(gate([designs[i] for i in idx], reference), dtype=bool)
            mask[idx[~sub]] = False
            self.removed[gate_name(gate)] += int((~sub).sum())
        return mask


def leaf_gates(gate: Gate) -> list[Gate]:
    """The gates inside ``gate``, nested :class:`AllOf` unfolded in order (a plain gate: itself)."""
    inner = getattr(gate, "gates", None)
    return [leaf for g in inner for leaf in leaf_gates(g)] if inner is not None else [gate]


def gate_name(gate: Gate) -> str:
    """A gate's ``name``, or its class name in lower case."""
    return getattr(gate, "name", None) or type(gate).__name__.lower()


def _space(space, who: str):
    if space is None:
        raise TypeError(f"{who} needs the design space (its distance decides what counts as near)")
    return space
