"""Sequence design spaces: an alphabet and a length range.

Designs are plain strings at every public boundary. Inside models they become token ids
``(n, L)`` or one-hot tensors ``(n, L, V)``; this module is the one place that converts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seqmbo.errors import InvalidInputError

DNA_ALPHABET = "ACGT"
PROTEIN_ALPHABET = "ACDEFGHIKLMNPQRSTVWY"  # the 20 canonical amino acids, one-letter codes

_COMPLEMENT = {"A": "T", "T": "A", "C": "G", "G": "C"}  # Watson-Crick pairs

PAD = -1  # token id used to pad variable-length designs in (n, max_length) arrays


@dataclass(frozen=True)
class SequenceSpace:
    """Strings over ``alphabet`` with ``min_length <= len <= max_length``.

    Args:
        alphabet: the letters, each once; token id ``i`` is ``alphabet[i]``.
        min_length: shortest allowed design.
        max_length: longest allowed design (equal to ``min_length`` for fixed length).
        name: a short name used in messages (``"dna"``, ``"protein"``, ...).
        reverse_complement: the designs are double-stranded DNA sites: a design and its
            reverse complement are the same object and score alike (e.g. 8-mer binding
            scores from protein-binding microarrays). Proxies then see both strands. Needs
            the alphabet ``ACGT`` (any order) and a fixed length.
    """

    alphabet: str
    min_length: int
    max_length: int
    name: str = "sequence"
    reverse_complement: bool = False

    def __post_init__(self) -> None:
        if not self.alphabet or len(set(self.alphabet)) != len(self.alphabet):
            raise InvalidInputError(f"alphabet {self.alphabet!r} must be non-empty with distinct letters")
        if not 1 <= self.min_length <= self.max_length:
            raise InvalidInputError(
                f"length range must satisfy 1 <= min_length <= max_length, got {self.min_length}..{self.max_length}"
            )
        if self.reverse_complement:
            if sorted(self.alphabet) != sorted(DNA_ALPHABET):
                raise InvalidInputError(
                    f"reverse_complement needs the DNA alphabet {DNA_ALPHABET!r} (any order), got {self.alphabet!r}"
                )
            if not self.is_fixed_length:
                raise InvalidInputError("reverse_complement needs fixed-length designs")

    @classmethod
    def fixed(cls, alphabet: str, length: int, name: str = "sequence", reverse_complement: bool = False) -> "SequenceSpace":
        """A space of designs of exactly ``length`` letters."""
        return cls(alphabet, length, length, name, reverse_complement)

    @property
    def kind(self) -> str:
        return self.name

    @property
    def column(self) -> str:
        """The design column of tables: ``"sequence"``."""
        return "sequence"

    @property
    def is_fixed_length(self) -> bool:
        return self.min_length == self.max_length

    @property
    def vocab_size(self) -> int:
        return len(self.alphabet)

    @property
    def complement_ids(self) -> list[int] | None:
        """For a :attr:`reverse_complement` space, the token id of each token's complement letter
        (``x.flip(1)[..., complement_ids]`` is the reverse complement of one-hot ``x``); else ``None``."""
        if not self.reverse_complement:
            return None
        return [self.alphabet.index(_COMPLEMENT[ch]) for ch in self.alphabet]

    def reverse_complement_of(self, design: str) -> str:
        """The reverse complement of a DNA ``design`` (letters outside ``ACGT`` are refused)."""
        try:
            return "".join(_COMPLEMENT[ch] for ch in reversed(design))
        except KeyError as e:
            raise InvalidInputError(f"design {_short(design)} has letter {e.args[0]!r}, which has no DNA complement") from None

    def describe(self) -> str:
        """E.g. ``"8 x ACGT"`` or ``"10-50 x ACDE..."``."""
        length = str(self.min_length) if self.is_fixed_length else f"{self.min_length}-{self.max_length}"
        letters = self.alphabet if len(self.alphabet) <= 20 else f"{len(self.alphabet)} letters"
        return f"{length} x {letters}"

    # ------------------------------------------------------------------ validity
    def problem(self, design: str) -> str | None:
        """Why ``design`` is not in the space (naming the position), or ``None`` if it is."""
        if not isinstance(design, str):
            return f"is not a string ({type(design).__name__})"
        n = len(design)
        if n < self.min_length or n > self.max_length:
            want = str(self.min_length) if self.is_fixed_length else f"{self.min_length}..{self.max_length}"
            return f"has length {n}, expected {want}"
        letters = set(self.alphabet)
        for pos, ch in enumerate(design):
            if ch not in letters:
                return f"has letter {ch!r} at position {pos + 1}, outside the {self.name} alphabet {self.alphabet!r}"
        return None

    def is_valid(self, designs: Sequence[str]) -> np.ndarray:
        """Boolean mask ``(n,)``: which designs lie in the space."""
        return np.array([self.problem(d) is None for d in designs], dtype=bool)

    def validate(self, designs: Sequence[str], where: str = "designs") -> None:
        """Raise :class:`InvalidInputError` naming the first bad design (1-based) and why."""
        for i, d in enumerate(designs):
            why = self.problem(d)
            if why is not None:
                raise InvalidInputError(f"{where}: design {i + 1} ({_short(d)}) {why}")

    # ------------------------------------------------------------------ tensors
    def encode(self, designs: Sequence[str]) -> np.ndarray:
        """Token ids ``(n, max_length)`` int64, padded with :data:`PAD`; unknown letters -> ``PAD``."""
        lut = np.full(256, PAD, dtype=np.int64)
        for i, ch in enumerate(self.alphabet):
            if ord(ch) < 256:
                lut[ord(ch)] = i
        out = np.full((len(designs), self.max_length), PAD, dtype=np.int64)
        if self.is_fixed_length and all(len(d) == self.max_length for d in designs) and all(
            ch.isascii() for ch in self.alphabet
        ):
            if len(designs):
                raw = np.frombuffer("".join(designs).encode("latin-1", "replace"), dtype=np.uint8)
                out[:] = lut[raw].reshape(len(designs), self.max_length)
            return out
        index = {ch: i for i, ch in enumerate(self.alphabet)}
        for r, d in enumerate(designs):
            row = [index.get(ch, PAD) for ch in d[: self.max_length]]
            out[r, : len(row)] = row
        return out

    def decode(self, tokens: np.ndarray) -> list[str]:
        """Inverse of :meth:`encode`: ``(n, L)`` ids (``PAD`` ends a design) -> strings."""
        tokens = np.asarray(tokens)
        letters = np.array(list(self.alphabet))
        out = []
        for row in tokens:
            stop = np.flatnonzero(row < 0)
            row = row[: stop[0]] if stop.size else row
            out.append("".join(letters[row]))
        return out

    def one_hot(self, designs: Sequence[str]):
        """Float one-hot tensor ``(n, max_length, V)`` (all-zero rows at padding)."""
        return one_hot_ids(self.encode(designs), self.vocab_size)

    # ------------------------------------------------------------------ distances
    def distance(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        """Hamming (one length) or Levenshtein distances ``(len(a), len(b))``; both strands in a
        double-stranded space."""
        from seqmbo.metrics.distance import distance_matrix

        return distance_matrix(a, b, self)

    def nearest_distance(self, a: Sequence[str], reference: Sequence[str]) -> np.ndarray:
        """Distance of each design of ``a`` to its nearest ``reference`` design ``(len(a),)``."""
        from seqmbo.metrics.distance import nearest_distance

        return nearest_distance(a, reference, self)

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` designs, length uniform in range, letters uniform."""
        lengths = rng.integers(self.min_length, self.max_length + 1, size=n)
        ids = rng.integers(0, self.vocab_size, size=(n, self.max_length))
        for i, L in enumerate(lengths):
            ids[i, L:] = PAD
        return self.decode(ids)


def one_hot_ids(ids: np.ndarray, vocab_size: int):
    """Float one-hot tensor ``(n, L, V)`` of token ids ``(n, L)``; :data:`PAD` positions are all-zero rows."""
    import torch

    ids_t = torch.as_tensor(ids)
    out = torch.zeros(ids_t.shape[0], ids_t.shape[1], vocab_size)
    mask = ids_t >= 0
    out[mask] = torch.nn.functional.one_hot(ids_t[mask], vocab_size).float()
    return out


def dna(length: int | None = None, min_length: int = 1, max_length: int = 1000) -> SequenceSpace:
    """DNA over ``ACGT``: fixed ``length`` if given, else ``min_length..max_length``."""
    if length is not None:
        return SequenceSpace.fixed(DNA_ALPHABET, length, "dna")
    return SequenceSpace(DNA_ALPHABET, min_length, max_length, "dna")


def protein(length: int | None = None, min_length: int = 1, max_length: int = 2000) -> SequenceSpace:
    """Proteins over the 20 canonical amino acids: fixed ``length`` or a range."""
    if length is not None:
        return SequenceSpace.fixed(PROTEIN_ALPHABET, length, "protein")
    return SequenceSpace(PROTEIN_ALPHABET, min_length, max_length, "protein")


def _short(design: object, width: int = 24) -> str:
    s = repr(design)
    return s if len(s) <= width else s[: width - 3] + "..."
