"""The molecule design space: SMILES outside, SELFIES tokens inside.

Designs are RDKit canonical SMILES at every public boundary. Token-level generators (evolution,
the GFlowNet, random sampling) see a molecule as a sequence of SELFIES tokens (Krenn et al.
2020, "Self-referencing embedded strings (SELFIES)", Mach. Learn.: Sci. Technol. 1:045024),
through the same token interface as :class:`~seqmbo.spaces.sequence.SequenceSpace`:
``vocab_size``, ``min_length``, ``max_length``, ``is_fixed_length``, ``encode`` (SMILES ->
``(n, max_length)`` ids padded with :data:`PAD`) and ``decode`` (ids -> canonical SMILES).
Every token sequence decodes to a valid molecule (SELFIES' promise); the only exception is a
sequence without an atom token, which decodes to the empty string (invalid: no atoms). Decoded
molecules are closed-shell: an atom token with an explicit hydrogen count (``[C@@H1]``,
``[NH1]``) that gets fewer bonds than it can take is filled with hydrogens rather than left a
radical. ``decode(encode(x)) == canonical(x)`` for every molecule SELFIES can write, radicals aside.

>>> space = MoleculeSpace.from_smiles(["CCO", "c1ccccc1O"])           # doctest: +SKIP
>>> space.decode(space.encode(["OCC"]))                              # doctest: +SKIP
['CCO']
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from seqmbo.errors import InvalidInputError
from seqmbo.spaces.sequence import PAD

log = logging.getLogger(__name__)

STANDARDIZE_OPTIONS = ("largest_fragment", "neutralize")
ORGANIC_ELEMENTS = frozenset({"H", "B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "Se", "Br", "I"})
_TOKEN_ELEMENT = re.compile(r"^\[[=#/\\]?([A-Z][a-z]?)")
# SELFIES' index symbols (selfies.grammar_rules.INDEX_ALPHABET): after a branch or ring token they
# stand for numbers, so a vocabulary may hold [P] or [S] without one phosphorus or sulfur atom
INDEX_SYMBOLS = frozenset(("[C]", "[Ring1]", "[Ring2]", "[Branch1]", "[=Branch1]", "[#Branch1]", "[Branch2]",
                           "[=Branch2]", "[#Branch2]", "[O]", "[N]", "[=N]", "[=C]", "[#C]", "[S]", "[P]"))
_CACHE_LIMIT = 200_000  # entries of each memo (encode, decode, canonical form, validity, SELFIES tokens)
MOL_CACHE_SIZE = 1_000  # molecules kept by MoleculeSpace.mol: 10,000 cost ~350 MB of peak memory on nci-qed for ~3 s


@dataclass(eq=False)
class MoleculeSpace:
    """Molecules as canonical SMILES, tokenised as SELFIES over a fixed vocabulary.

    Build it from data with :meth:`from_smiles` (vocabulary and length range from the data).

    Args:
        alphabet: the SELFIES tokens, each once; token id ``i`` is ``alphabet[i]``.
        min_length: fewest tokens of a design (1).
        max_length: most tokens a design has in ``encode``'s arrays (longer ones are cut).
        standardize: steps applied by :meth:`canonical` before canonicalisation:
            ``largest_fragment`` (keep the largest covalent fragment, drop salts/solvents) and
            ``neutralize`` (RDKit's ``Uncharger``).
        max_heavy_atoms: if set, molecules with more heavy atoms are invalid.
        max_selfies_length: if set, molecules whose SELFIES has more tokens are invalid.
        length_weights: relative frequency of each SELFIES length ``0..max_length`` (from the
            data); :meth:`sample` draws lengths from it (uniform in range when ``None``).
        name: a short name used in messages.
    """

    alphabet: tuple[str, ...]
    min_length: int = 1
    max_length: int = 72
    standardize: tuple[str, ...] = ()
    max_heavy_atoms: int | None = None
    max_selfies_length: int | None = None
    length_weights: tuple[float, ...] | None = None
    name: str = "molecule"
    _index: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _enc: dict[str, tuple[int, ...] | None] = field(default_factory=dict, init=False, repr=False)
    _dec: dict[bytes, str] = field(default_factory=dict, init=False, repr=False)
    _canon: dict[str, str | None] = field(default_factory=dict, init=False, repr=False)
    _valid: dict[str, bool] = field(default_factory=dict, init=False, repr=False)
    _mols: OrderedDict = field(default_factory=OrderedDict, init=False, repr=False)
    _memos: dict[str, dict] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.alphabet = tuple(self.alphabet)
        self.standardize = tuple(self.standardize)
        if not self.alphabet or len(set(self.alphabet)) != len(self.alphabet):
            raise InvalidInputError("a molecule space needs a non-empty SELFIES vocabulary of distinct tokens")
        if not 1 <= self.min_length <= self.max_length:
            raise InvalidInputError(
                f"length range must satisfy 1 <= min_length <= max_length, got {self.min_length}..{self.max_length}"
            )
        bad = [s for s in self.standardize if s not in STANDARDIZE_OPTIONS]
        if bad:
            raise InvalidInputError(f"unknown standardization step(s) {bad}; use {list(STANDARDIZE_OPTIONS)}")
        if self.length_weights is not None:
            w = np.asarray(self.length_weights, dtype=np.float64)
            if w.shape != (self.max_length + 1,) or (w < 0).any() or w[self.min_length:].sum() <= 0:
                raise InvalidInputError(f"length_weights must be {self.max_length + 1} non-negative weights")
            self.length_weights = tuple(float(x) for x in w)
        self._index = {tok: i for i, tok in enumerate(self.alphabet)}

    def __getstate__(self) -> dict:
        """Pickle without the memos, molecules and RDKit standardizers (rebuilt on demand)."""
        state = self.__dict__.copy()
        state.pop("_steps", None)
        state.update(_enc={}, _dec={}, _canon={}, _valid={}, _mols=OrderedDict(), _memos={})
        return state

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_smiles(cls, smiles: Sequence[str], *, standardize: Sequence[str] = (),
                    max_heavy_atoms: int | None = None, max_selfies_length: int | None = None,
                    robust_alphabet: bool = True, skip_invalid: bool = False,
                    name: str = "molecule") -> "MoleculeSpace":
        """A space whose vocabulary and lengths come from a dataset.

        The vocabulary is every SELFIES token of the (standardized, canonical) data, plus, with
        ``robust_alphabet``, selfies' semantic-robust alphabet restricted to the neutral atoms of
        the elements present (and the branch and ring tokens; see :func:`robust_tokens`). ``max_length`` is ``max_selfies_length`` if given, else
        the longest SELFIES of the data plus a margin of 10% (at least 2 tokens), so that
        insertions can lengthen the longest molecules a little.

        Args:
            smiles: the dataset's SMILES.
            standardize: standardization steps (see the class).
            max_heavy_atoms: validity limit on heavy atoms.
            max_selfies_length: validity limit on SELFIES tokens (and the space's ``max_length``).
            robust_alphabet: add selfies' semantic-robust tokens of the elements present.
            skip_invalid: skip (and log) molecules that are invalid or cannot be written as
                SELFIES, instead of raising.
            name: the space's name.

        Raises:
            InvalidInputError: a molecule is invalid (naming the row and why), unless ``skip_invalid``.
        """
        probe = cls(("[C]",), 1, max_selfies_length or 10_000, tuple(standardize), max_heavy_atoms,
                    max_selfies_length, None, name)
        prepared = probe.prepare(smiles)
        if prepared.dropped and not skip_invalid:
            i, why = prepared.dropped[0]
            raise InvalidInputError(f"molecule {i + 1} ({_short(smiles[i])}) {why}")
        if prepared.dropped:
            log.info("skipped %d of %d molecules (%s)", len(prepared.dropped), len(smiles), prepared.summary())
        if not prepared.tokens:
            raise InvalidInputError("no valid molecule to build a molecule space from")
        return cls.from_tokens(prepared.tokens, standardize=standardize, max_heavy_atoms=max_heavy_atoms,
                               max_selfies_length=max_selfies_length, robust_alphabet=robust_alphabet, name=name)

    @classmethod
    def from_tokens(cls, tokens: Iterable[Sequence[str]], *, standardize: Sequence[str] = (),
                    max_heavy_atoms: int | None = None, max_selfies_length: int | None = None,
                    robust_alphabet: bool = True, name: str = "molecule") -> "MoleculeSpace":
        """A space from the SELFIES token lists of a dataset (see :meth:`from_smiles`)."""
        counts: Counter[str] = Counter()
        lengths: Counter[int] = Counter()
        elements: set[str] = set()
        for toks in tokens:
            counts.update(toks)
            lengths[len(toks)] += 1
            elements |= atom_elements(toks)
        if not lengths:
            raise InvalidInputError("no molecules to build a molecule space from")
        vocab = set(counts)
        if robust_alphabet:
            vocab |= robust_tokens(elements)
        longest = max(lengths)
        if max_selfies_length is not None:
            max_length = int(max_selfies_length)
        else:
            max_length = longest + max(2, math.ceil(0.1 * longest))
        weights = np.zeros(max_length + 1)
        for L, c in lengths.items():
            weights[min(L, max_length)] += c
        return cls(tuple(sorted(vocab)), 1, max_length, tuple(standardize), max_heavy_atoms,
                   max_selfies_length, tuple(weights.tolist()), name)

    # ------------------------------------------------------------------ descriptors
    reverse_complement = False  # the Space protocol: only double-stranded DNA has two strands

    @property
    def kind(self) -> str:
        return "molecule"

    @property
    def column(self) -> str:
        """The design column of tables: ``"smiles"``."""
        return "smiles"

    def distance(self, a: Sequence[str], b: Sequence[str]) -> np.ndarray:
        """Tanimoto distances on Morgan fingerprints (radius 2, 1024 bits) ``(len(a), len(b))``;
        an unparsable design is at distance 1 from everything."""
        from seqmbo.metrics.mol_similarity import tanimoto_matrix

        fa, fb = self.fingerprints(a), self.fingerprints(b)
        out = 1.0 - tanimoto_matrix(fa, fb).astype(np.float64)
        out[~fa.any(1)] = 1.0
        out[:, ~fb.any(1)] = 1.0
        return out

    def nearest_distance(self, a: Sequence[str], reference: Sequence[str]) -> np.ndarray:
        """Tanimoto distance of each design of ``a`` to its nearest ``reference`` molecule ``(len(a),)``.

        Unparsable designs are at distance 1; ``nan`` everywhere when ``reference`` is empty.
        """
        from seqmbo.metrics.mol_similarity import SortedFingerprints, max_tanimoto

        a, reference = list(a), list(reference)
        if not reference:
            return np.full(len(a), np.nan)
        fa, fr = self.fingerprints(a), self.fingerprints(reference)
        out = 1.0 - max_tanimoto(fa, SortedFingerprints.build(fr[fr.any(1)])).astype(np.float64)
        out[~fa.any(1)] = 1.0
        return out

    def fingerprints(self, designs: Sequence[str]) -> np.ndarray:
        """Packed Morgan fingerprints ``(n, 128)`` uint8 (radius 2, 1024 bits; the MOSES convention),
        from the cached molecules (see :meth:`mol`); all zero for an invalid or empty design.
        Each design's row is remembered (:meth:`memo`), so a growing set costs only its new designs."""
        from seqmbo.metrics.mol_chem import FP_BYTES, packed_fingerprints

        designs = list(designs)
        memo = self.memo("fingerprints")
        found = {d: memo[d] for d in dict.fromkeys(designs) if d in memo}
        todo = [d for d in dict.fromkeys(designs) if d not in found]
        for d, row in zip(todo, packed_fingerprints([self.mol(d) for d in todo])):
            found[d] = row
            memo_store(memo, d, row)
        rows = [found[d] for d in designs]
        return np.stack(rows) if rows else np.zeros((0, FP_BYTES), dtype=np.uint8)

    def memo(self, name: str) -> dict:
        """A per-design memo of this space named ``name`` (e.g. ``"fingerprints"``), kept across calls
        (online rounds score a growing set of designs again and again) and not pickled; write to it with
        :func:`memo_store`, which bounds it."""
        return self._memos.setdefault(name, {})

    @property
    def is_fixed_length(self) -> bool:
        return False

    @property
    def vocab_size(self) -> int:
        return len(self.alphabet)

    def describe(self) -> str:
        """E.g. ``"SMILES (SELFIES 1-76 x 98 tokens)"``."""
        return f"SMILES (SELFIES {self.min_length}-{self.max_length} x {self.vocab_size} tokens)"

    # ------------------------------------------------------------------ chemistry
    def mol(self, smiles: str):
        """The RDKit molecule of ``smiles`` as written (sanitized, not standardized), or ``None``.

        The one place a run parses a design: validity, canonical forms, proxy featurizers, the
        oracle and the metrics all take their molecule from here. The last
        :data:`MOL_CACHE_SIZE` molecules are kept, so a design is parsed once along a run.
        Treat the molecule as read-only (copy it with ``Chem.Mol(mol)`` before changing it).
        """
        if not isinstance(smiles, str):
            return None
        mols = self._mols
        if smiles in mols:
            mols.move_to_end(smiles)
            return mols[smiles]
        mol = parse_smiles(smiles)
        mols[smiles] = mol
        if len(mols) > MOL_CACHE_SIZE:
            mols.popitem(last=False)
        return mol

    def _mol(self, smiles: str, close_shells: bool = False):
        """The standardized RDKit molecule of ``smiles`` or ``None``.

        With ``close_shells`` (decoder outputs, parsed once and not cached), radical electrons
        are replaced by hydrogens first (see :meth:`decode`).
        """
        from rdkit import Chem, rdBase

        mol = parse_smiles(smiles) if close_shells else self.mol(smiles)
        with rdBase.BlockLogs():
            if mol is not None and close_shells:
                mol = _close_shells(mol)
            if mol is None or not self.standardize:
                return mol
            try:
                for step in self._standardizers():  # each step returns a new molecule
                    mol = step(mol)
                Chem.SanitizeMol(mol)
            except (RuntimeError, ValueError):
                return None
            return mol

    def _standardizers(self) -> list:
        """The standardization steps as callables mol -> mol (built once; they are costly to make)."""
        steps = self.__dict__.get("_steps")
        if steps is None:
            from rdkit.Chem.MolStandardize import rdMolStandardize

            made = {"largest_fragment": lambda: rdMolStandardize.LargestFragmentChooser().choose,
                    "neutralize": lambda: rdMolStandardize.Uncharger().uncharge}
            steps = self.__dict__["_steps"] = [made[name]() for name in self.standardize]
        return steps

    def canonical(self, smiles: str) -> str | None:
        """The RDKit canonical SMILES (after the space's standardization), or ``None`` if invalid."""
        if not isinstance(smiles, str):
            return None
        hit = self._canon.get(smiles, False)
        if hit is not False:
            return hit  # type: ignore[return-value]
        from rdkit import Chem

        mol = self._mol(smiles)
        out = Chem.MolToSmiles(mol) if mol is not None else None
        memo_store(self._canon, smiles, out)
        return out

    def elements(self) -> tuple[str, ...]:
        """The elements the vocabulary surely writes as atoms, sorted (``("C", "Cl", "N", "O", "S")``).

        Carbon, and the element of every token that is not an index symbol (:data:`INDEX_SYMBOLS`,
        which may stand for a number): the semantic-robust tokens :meth:`from_smiles` adds for each
        element of the data (``[#N]``, ``[=O]``, ``[=S]``, ``[=P]``) make every element count. A lower
        bound without them (``robust_alphabet=False``).
        """
        found = {token_element(t) for t in self.alphabet if t not in INDEX_SYMBOLS}
        return tuple(sorted((found - {None}) | {"C"}))

    def selfies_tokens(self, smiles: str) -> list[str] | None:
        """The SELFIES tokens of the canonical form of ``smiles`` (``None`` if it cannot be written; memoised)."""
        memo = self.memo("selfies_tokens")
        hit = memo.get(smiles, False)
        if hit is False:
            hit = self._selfies_tokens(smiles)
            memo_store(memo, smiles, hit)
        return None if hit is None else list(hit)

    def _selfies_tokens(self, smiles: str) -> tuple[str, ...] | None:
        import selfies as sf

        canon = self.canonical(smiles)
        if canon is None or canon == "":
            return None
        try:
            text = sf.encoder(canon)
        except Exception:  # selfies raises EncoderError (and rarely others) for unsupported molecules
            return None
        return None if text is None else tuple(sf.split_selfies(text))

    # ------------------------------------------------------------------ validity
    def problem(self, design: str, remember: bool = False) -> str | None:
        """Why ``design`` is not a valid molecule of the space, or ``None`` if it is.

        With ``remember``, the canonical form found on the way is memoised for :meth:`canonical`.
        """
        if not isinstance(design, str):
            return f"is not a string ({type(design).__name__})"
        mol = self._mol(design)
        if remember:
            from rdkit import Chem

            memo_store(self._canon, design, Chem.MolToSmiles(mol) if mol is not None else None)
        if mol is None:
            return "is not a valid SMILES (RDKit cannot parse or sanitize it)"
        if mol.GetNumAtoms() == 0:
            return "is an empty molecule (no atoms)"
        heavy = mol.GetNumHeavyAtoms()
        if self.max_heavy_atoms is not None and heavy > self.max_heavy_atoms:
            return f"has {heavy} heavy atoms, more than the limit of {self.max_heavy_atoms}"
        if self.max_selfies_length is not None:
            toks = self.selfies_tokens(design)
            if toks is None:
                return "cannot be written as SELFIES"
            if len(toks) > self.max_selfies_length:
                return f"has {len(toks)} SELFIES tokens, more than the limit of {self.max_selfies_length}"
        return None

    def is_valid(self, designs: Sequence[str]) -> np.ndarray:
        """Boolean mask ``(n,)``: which designs are valid molecules of the space."""
        if isinstance(designs, str):
            raise TypeError("pass a sequence of SMILES strings, not one string")
        return np.array([self._quick_valid(d) for d in designs], dtype=bool)

    def writable(self, designs: Sequence[str]) -> np.ndarray:
        """Boolean mask ``(n,)``: valid designs whose SELFIES fit in ``max_length`` tokens, so that
        :meth:`encode` writes them whole (designs changed outside the tokens, such as graph edits,
        can grow past every design of the space's data)."""
        ok = self.is_valid(designs)
        for i in np.flatnonzero(ok):
            tokens = self.selfies_tokens(designs[i])
            ok[i] = tokens is not None and len(tokens) <= self.max_length
        return ok

    def _quick_valid(self, design: str) -> bool:
        if not isinstance(design, str):
            return False
        hit = self._valid.get(design)
        if hit is None:
            if self.max_heavy_atoms is None and self.max_selfies_length is None:
                hit = bool(self.canonical(design))  # None (unparsable) and "" (no atoms) are invalid
            else:
                hit = self.problem(design) is None
            memo_store(self._valid, design, hit)
        return hit

    def validate(self, designs: Sequence[str], where: str = "designs") -> None:
        """Raise :class:`InvalidInputError` naming the first bad design (1-based) and why."""
        for i, d in enumerate(designs):
            why = self.problem(d)
            if why is not None:
                raise InvalidInputError(f"{where}: design {i + 1} ({_short(d)}) {why}")

    def prepare(self, smiles: Sequence[str]) -> "Prepared":
        """Canonical forms and SELFIES tokens of a dataset, and which rows are dropped and why.

        A row is dropped when it is invalid (:meth:`problem`), cannot be written as SELFIES, or
        has more SELFIES tokens than ``max_selfies_length``.
        """
        out = Prepared([], [], [], [])
        for i, s in enumerate(smiles):
            why = self.problem(s, remember=True)
            toks = None
            if why is None:
                toks = self.selfies_tokens(s)
                if toks is None:
                    why = "cannot be written as SELFIES"
            if why is not None:
                out.dropped.append((i, why))
                continue
            out.index.append(i)
            out.smiles.append(self.canonical(s))  # type: ignore[arg-type]
            out.tokens.append(toks)  # type: ignore[arg-type]
        return out

    # ------------------------------------------------------------------ tensors
    def encode(self, designs: Sequence[str]) -> np.ndarray:
        """Token ids ``(n, max_length)`` int64 of the canonical SELFIES, padded with :data:`PAD`.

        A design that is invalid or cannot be written as SELFIES gives an all-``PAD`` row; a token
        outside the vocabulary ends the row there (like an unknown letter in a sequence space);
        designs longer than ``max_length`` are cut.
        """
        out = np.full((len(designs), self.max_length), PAD, dtype=np.int64)
        for r, d in enumerate(designs):
            ids = self._enc.get(d, False) if isinstance(d, str) else None
            if ids is False:
                toks = self.selfies_tokens(d)
                ids = None if toks is None else tuple(self._index.get(t, PAD) for t in toks)
                memo_store(self._enc, d, ids)
            if ids:
                row = ids[: self.max_length]
                out[r, : len(row)] = row
        return out

    def decode(self, tokens: np.ndarray) -> list[str]:
        """Inverse of :meth:`encode`: ``(n, L)`` ids (a negative id ends a design) -> canonical SMILES.

        Every id sequence with at least one atom token decodes to a valid molecule; one without
        decodes to ``""`` (invalid).
        """
        import selfies as sf

        tokens = np.asarray(tokens, dtype=np.int64)
        if tokens.ndim != 2:
            raise InvalidInputError(f"decode needs token ids of shape (n, L), got {tokens.shape}")
        if tokens.size and tokens.max() >= self.vocab_size:
            raise InvalidInputError(f"token id {int(tokens.max())} is outside the vocabulary of {self.vocab_size}")
        out = []
        for row in tokens:
            stop = np.flatnonzero(row < 0)
            row = row[: stop[0]] if stop.size else row
            key = row.tobytes()
            smi = self._dec.get(key)
            if smi is None:
                raw = sf.decoder("".join(self.alphabet[i] for i in row))
                smi = (self._decoded_canonical(raw) if raw else None) or raw or ""
                memo_store(self._dec, key, smi)
            out.append(smi)
        return out

    def _decoded_canonical(self, raw: str) -> str | None:
        """Canonical SMILES of a decoder output, radicals closed with hydrogens."""
        from rdkit import Chem

        mol = self._mol(raw, close_shells=True)
        return Chem.MolToSmiles(mol) if mol is not None else None

    def one_hot(self, designs: Sequence[str]):
        """Float one-hot tensor ``(n, max_length, V)`` of the SELFIES tokens (zero rows at padding)."""
        from seqmbo.spaces.sequence import one_hot_ids

        return one_hot_ids(self.encode(designs), self.vocab_size)

    def sample(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` random molecules: uniform SELFIES tokens, lengths from ``length_weights`` (else uniform).

        Token sequences without an atom (which decode to nothing) are redrawn.
        """
        lo, hi = self.min_length, self.max_length
        if self.length_weights is not None:
            w = np.asarray(self.length_weights[lo:], dtype=np.float64)
            lengths = lo + rng.choice(len(w), size=n, p=w / w.sum())
        else:
            lengths = rng.integers(lo, hi + 1, size=n)
        ids = rng.integers(0, self.vocab_size, size=(n, hi))
        ids[np.arange(hi)[None, :] >= lengths[:, None]] = PAD
        out = self.decode(ids)
        for _ in range(100):
            empty = [i for i, s in enumerate(out) if not s]
            if not empty:
                break
            redo = rng.integers(0, self.vocab_size, size=(len(empty), hi))
            redo[np.arange(hi)[None, :] >= lengths[empty][:, None]] = PAD
            for i, s in zip(empty, self.decode(redo)):
                out[i] = s
        return out


def parse_smiles(smiles: object):
    """The one SMILES parser of seqmbo: RDKit's sanitized molecule of a SMILES string, or ``None``.

    Anything that is not a string (``None``, a float ``nan`` from a table) and anything RDKit
    cannot parse or sanitize gives ``None``; the empty string parses to a molecule without atoms
    (as in RDKit and GuacaMol; validity checks reject it). RDKit's warnings are silenced. A run
    parses through :meth:`MoleculeSpace.mol`, which keeps what this returns.
    """
    if not isinstance(smiles, str):
        return None
    from rdkit import Chem, rdBase

    with rdBase.BlockLogs():
        return Chem.MolFromSmiles(smiles)


def parser_of(space) -> Callable[[object], object]:
    """The SMILES parser to use with ``space``: its cached :meth:`MoleculeSpace.mol`, else :func:`parse_smiles`."""
    return space.mol if isinstance(space, MoleculeSpace) else parse_smiles


def memo_of(space, name: str) -> dict:
    """The per-design memo ``name`` of a molecule space (:meth:`MoleculeSpace.memo`), else a new empty dict."""
    return space.memo(name) if isinstance(space, MoleculeSpace) else {}


def per_molecule(designs: Sequence[str], fn: Callable[[object], object], parse: Callable[[object], object],
                 memo: dict) -> list:
    """``fn(mol)`` of each design (``None`` when it does not parse or has no atoms), remembered in ``memo``
    (e.g. :func:`memo_of` a space) and read from it when it is there."""
    out = []
    for d in designs:
        if d in memo:
            out.append(memo[d])
            continue
        mol = parse(d)
        value = fn(mol) if mol is not None and mol.GetNumAtoms() else None
        memo_store(memo, d, value)
        out.append(value)
    return out


def _close_shells(mol):
    """``mol`` with every radical electron replaced by an implicit hydrogen (``None`` if RDKit refuses).

    SELFIES atom tokens with an explicit hydrogen count (``[C@@H1]``, ``[NH1]``, ``[NH3+1]``)
    keep that count when the decoder gives them fewer bonds than they can take, which RDKit reads
    as radicals (``[CH]``); decoded molecules are closed-shell instead.
    """
    from rdkit import Chem

    if not any(a.GetNumRadicalElectrons() for a in mol.GetAtoms()):
        return mol
    for atom in mol.GetAtoms():
        if atom.GetNumRadicalElectrons():
            atom.SetNumRadicalElectrons(0)
            atom.SetNoImplicit(False)
    try:
        Chem.SanitizeMol(mol)
    except (RuntimeError, ValueError):
        return None
    return mol


@dataclass
class Prepared:
    """A dataset through :meth:`MoleculeSpace.prepare`: kept rows (their input index, canonical
    SMILES, SELFIES tokens) and dropped rows (input index, reason)."""

    index: list[int]
    smiles: list[str]
    tokens: list[list[str]]
    dropped: list[tuple[int, str]]

    def summary(self) -> str:
        """The drop reasons with their counts, most common first."""
        counts = Counter(re.sub(r"\d+", "N", why.split(",")[0]) for _, why in self.dropped)
        return "; ".join(f"{c} {why}" for why, c in counts.most_common())


def is_element(symbol: str) -> bool:
    """Whether ``symbol`` is an element symbol of RDKit's periodic table (``"Si"`` yes, ``"Xx"`` no),
    asked without RDKit's error output."""
    return symbol in _element_symbols()


@functools.cache
def _element_symbols() -> frozenset[str]:
    from rdkit import Chem

    table = Chem.GetPeriodicTable()
    return frozenset(table.GetElementSymbol(z) for z in range(1, 119))


def token_element(token: str) -> str | None:
    """The element symbol of an atom token (``"[=N+1]"`` -> ``"N"``); ``None`` for branch/ring tokens."""
    if "Branch" in token or "Ring" in token:
        return None
    m = _TOKEN_ELEMENT.match(token)
    return m.group(1) if m else None


_INDEX_COUNT = re.compile(r"^\[[^\]]*(?:Branch|Ring)([123])\]$")


def atom_elements(tokens: Sequence[str]) -> set[str]:
    """The elements of a SELFIES token list's atoms.

    A branch or ring token ``[...BranchN]``/``[...RingN]`` is followed by ``N`` index symbols
    that encode a number, not an atom (``[P]`` and ``[S]`` are index symbols too), so they are
    skipped: reading them as atoms would put phosphorus into every space.
    """
    out: set[str] = set()
    skip = 0
    for tok in tokens:
        if skip:
            skip -= 1
            continue
        m = _INDEX_COUNT.match(tok)
        if m:
            skip = int(m.group(1))
            continue
        el = token_element(tok)
        if el is not None:
            out.add(el)
    return out


def robust_tokens(elements: set[str]) -> set[str]:
    """selfies' semantic-robust alphabet restricted to the neutral atoms of ``elements``, with all
    branch and ring tokens.

    Charged robust tokens are left out (they enter the vocabulary only when the data has them):
    selfies' constraints for charged P, S and B allow valences RDKit rejects.
    """
    import selfies as sf

    out = set()
    for tok in sf.get_semantic_robust_alphabet():
        el = token_element(tok)
        if el is None or (el in elements and el != "H" and "+" not in tok and "-" not in tok):
            out.add(tok)
    return out


def memo_store(memo: dict, key, value, limit: int = _CACHE_LIMIT) -> None:
    """``memo[key] = value``, the memo emptied first when it holds ``limit`` entries."""
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value


def _short(design: object, width: int = 40) -> str:
    s = repr(design)
    return s if len(s) <= width else s[: width - 3] + "..."
