"""Reading scored design tables (CSV, TSV, FASTA) with row-numbered error messages.

Every problem with a user's file is reported as one :class:`~seqmbo.errors.InvalidInputError`
naming the file, the line and what is wrong; nothing here raises a bare parsing traceback.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqmbo.errors import InvalidInputError

DESIGN_COLUMNS = ("sequence", "seq", "design", "smiles", "SMILES", "x")
SCORE_COLUMNS = ("score", "y", "fitness", "value", "label", "target")


@dataclass
class ScoredTable:
    """Designs with scores as read from a file; ``lines[i]`` is the 1-based line of row ``i``."""

    designs: list[str]
    y: np.ndarray
    lines: list[int]
    path: str
    x_column: str
    y_column: str


def check_readable(path: str | Path) -> Path:
    """The path as a :class:`Path` if it is a readable non-empty file, else a clear error."""
    p = Path(path).expanduser()
    if not p.exists():
        raise InvalidInputError(f"{path}: no such file")
    if p.is_dir():
        raise InvalidInputError(f"{path}: is a folder, expected a file")
    try:
        with open(p, "rb") as fh:
            head = fh.read(1)
    except OSError as e:
        raise InvalidInputError(f"{path}: cannot be read ({e.strerror})") from None
    if not head:
        raise InvalidInputError(f"{path}: the file is empty")
    return p


def parse_score(text: str, where: str) -> float:
    """A finite float from a table cell, or an error naming ``where``."""
    t = (text or "").strip()
    if not t:
        raise InvalidInputError(f"{where}: the score is missing")
    try:
        v = float(t)
    except ValueError:
        raise InvalidInputError(f"{where}: score {t!r} is not a number") from None
    if not math.isfinite(v):
        raise InvalidInputError(f"{where}: score is {t} (scores must be finite numbers)")
    return v


def _pick(columns: Sequence[str], wanted: str | None, candidates: Sequence[str], what: str, path: str) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise InvalidInputError(f"{path}: no column {wanted!r} for the {what}; columns are {list(columns)}")
        return wanted
    for c in candidates:
        if c in columns:
            return c
    lower = {c.lower(): c for c in columns}
    for c in candidates:
        if c.lower() in lower:
            return lower[c.lower()]
    raise InvalidInputError(
        f"{path}: cannot tell which column holds the {what}; columns are {list(columns)} "
        f"(name it with --{'x' if what == 'designs' else 'y'} COLUMN)"
    )


def read_scored_table(path: str | Path, x: str | None = None, y: str | None = None) -> ScoredTable:
    """Read designs and scores from CSV/TSV (header row) or FASTA (score in the header).

    In FASTA, the score is ``score=<number>`` in the header line, or else its last word.

    Args:
        path: the file.
        x: the design column (default: the first of ``sequence, seq, design, smiles, x``).
        y: the score column (default: the first of ``score, y, fitness, value, label, target``).

    Raises:
        InvalidInputError: unreadable/empty file, missing column, missing/NaN/non-numeric score,
            empty design — naming the file and line.
    """
    p = check_readable(path)
    if p.suffix.lower() in (".fa", ".fasta", ".fna", ".faa"):
        return _read_fasta(p)
    try:
        text = p.read_text()
    except UnicodeDecodeError:
        raise InvalidInputError(f"{path}: not a text file (cannot decode as UTF-8)") from None
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise InvalidInputError(f"{path}: the file is empty")
    delim = "\t" if p.suffix.lower() in (".tsv", ".tab") or ("\t" in lines[0] and "," not in lines[0]) else ","
    reader = csv.reader(lines, delimiter=delim)
    header = [h.strip() for h in next(reader)]
    xc = _pick(header, x, DESIGN_COLUMNS, "designs", str(path))
    yc = _pick(header, y, SCORE_COLUMNS, "scores", str(path))
    xi, yi = header.index(xc), header.index(yc)
    designs, scores, where = [], [], []
    for lineno, row in enumerate(reader, start=2):
        if not row or all(not c.strip() for c in row):
            continue
        at = f"{path}, line {lineno}"
        if len(row) <= max(xi, yi):
            raise InvalidInputError(f"{at}: {len(row)} fields, expected {len(header)} ({header})")
        d = row[xi].strip()
        if not d:
            raise InvalidInputError(f"{at}: the design in column {xc!r} is empty")
        designs.append(d)
        scores.append(parse_score(row[yi], at))
        where.append(lineno)
    if not designs:
        raise InvalidInputError(f"{path}: the table has a header but no rows")
    return ScoredTable(designs, np.asarray(scores, dtype=np.float64), where, str(path), xc, yc)


def _read_fasta(p: Path) -> ScoredTable:
    designs, scores, where = [], [], []
    header_line = 0
    header = None
    chunks: list[str] = []

    def flush() -> None:
        if header is None:
            return
        at = f"{p}, line {header_line}"
        seq = "".join(chunks)
        if not seq:
            raise InvalidInputError(f"{at}: record {header!r} has no sequence")
        words = header.split()
        tagged = [w.split("=", 1)[1] for w in words if w.lower().startswith("score=")]
        text = tagged[0] if tagged else (words[-1] if len(words) > 1 else "")
        designs.append(seq)
        scores.append(parse_score(text, at + f" (header {header!r}; put score=<number> in the header)"))
        where.append(header_line)

    for lineno, line in enumerate(p.read_text().splitlines(), start=1):
        s = line.strip()
        if not s:
            continue
        if s.startswith(">"):
            flush()
            header, header_line, chunks = s[1:].strip(), lineno, []
        elif header is None:
            raise InvalidInputError(f"{p}, line {lineno}: sequence before the first '>' header")
        else:
            chunks.append(s)
    flush()
    if not designs:
        raise InvalidInputError(f"{p}: no FASTA records")
    return ScoredTable(designs, np.asarray(scores), where, str(p), "sequence", "score")


def check_unique(designs: Sequence[str], lines: Sequence[int], where: str) -> None:
    """Raise naming both lines if a design occurs twice."""
    seen: dict[str, int] = {}
    for d, line in zip(designs, lines):
        if d in seen:
            raise InvalidInputError(f"{where}, line {line}: design {d!r} duplicates line {seen[d]}")
        seen[d] = line
