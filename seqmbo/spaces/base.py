"""The one interface every design space implements (DNA, protein, molecules).

Designs are plain strings at every public boundary; a space says which strings are designs,
turns them into token ids and back, measures distances between them in its own metric
(Hamming/edit distance for sequences, Tanimoto distance on Morgan fingerprints for molecules)
and samples random designs. Code that needs to know what kind of design it holds asks
``space.kind`` or ``space.column``; it never probes a space with ``getattr``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Space(Protocol):
    """A design space.

    Attributes:
        kind: ``"dna"``, ``"protein"``, ``"molecule"`` or ``"sequence"`` (another alphabet).
        column: the name of the design column in tables (``"sequence"`` or ``"smiles"``).
        alphabet: the tokens, in token-id order (letters, or SELFIES symbols).
        min_length, max_length: the token-length range of a design.
        reverse_complement: designs are double-stranded DNA sites (a design and its reverse
            complement are one object); ``False`` for every other space.
    """

    alphabet: Sequence[str]
    min_length: int
    max_length: int
    reverse_complement: bool

    @property
    def kind(self) -> str: ...

    @property
    def column(self) -> str: ...

    @property
    def vocab_size(self) -> int: ...

    @property
    def is_fixed_length(self) -> bool: ...

    def describe(self) -> str: ...

    def problem(self, design: str) -> str | None:
        """Why ``design`` is not in the space, or ``None``."""
        ...

    def is_valid(self, designs: Sequence[str]) -> np.ndarray:
        """Boolean mask ``(n,)``."""
        ...

    def validate(self, designs: Sequence[str], where: str = "designs") -> None: ...

    def encode(self, designs: Sequence[str]) -> np.ndarray:
        """Token ids ``(n, max_length)`` int64, padded with ``PAD`` (-1)."""
        ...

    def decode(self, tokens: np.ndarray) -> list[str]:
        """Inverse of :meth:`encode`."""
        ...

    def distance(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        """Pairwise distances ``(len(a), len(b))`` in the space's own metric."""
        ...

    def nearest_distance(self, a: Sequence[str], reference: Sequence[str]) -> np.ndarray:
        """For each design of ``a``, the distance to its nearest ``reference`` design ``(len(a),)``."""
        ...

    def sample(self, n: int, rng: np.random.Generator) -> list[str]: ...


def space_key(space) -> Callable[[str], str]:
    """A design's key in ``space``: its canonical form where the space has one (molecules, after the
    space's standardization: a charged or differently written SMILES of one molecule has one key;
    an unreadable SMILES keeps its text), else the design itself. The oracle cache of online rounds
    and the gates :class:`~seqmbo.gates.Unique` and :class:`~seqmbo.gates.Novel` compare designs by it."""
    canonical = getattr(space, "canonical", None)
    if canonical is None:
        return str

    def key(design: str) -> str:
        return canonical(design) or design

    return key
