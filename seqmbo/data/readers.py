"""Reading scored design tables (CSV, TSV, FASTA) with row-numbered error messages.

Every problem with a user's file is reported as one :class:`~seqmbo.errors.InvalidInputError`
naming the file, the line and what is wrong; nothing here raises a bare parsing traceback.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqmbo.errors import InvalidInputError

log = logging.getLogger(__name__)

FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".faa")
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


def read_table(path: str | Path) -> tuple["object", list[int]]:
    """A table file as a pandas DataFrame of strings, and the 1-based file line of each row.

    CSV, TSV and Excel-style ``;`` tables (the separator is sniffed from the header line), with
    or without a byte-order mark; ``.xlsx`` when ``openpyxl`` is installed. Blank rows are dropped.

    Raises:
        InvalidInputError: an unreadable or empty file, a header without rows, a ragged row.
    """
    import pandas as pd

    p = check_readable(path)
    if p.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return _read_excel(p)
    text = _decode(p)
    first = next((line for line in text.splitlines() if line.strip()), "")
    if not first:
        raise InvalidInputError(f"{path}: the file is empty")
    sep = "\t" if p.suffix.lower() in (".tsv", ".tab") else max(("\t", ";", ","), key=first.count)
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except pd.errors.ParserError as e:
        raise InvalidInputError(f"{path}: not a readable table ({str(e).strip()})") from None
    df.columns = [str(c).strip() for c in df.columns]
    lines = np.arange(len(df)) + 2
    blank = (df.apply(lambda col: col.str.strip()) == "").all(axis=1).to_numpy()
    df, lines = df[~blank].reset_index(drop=True), lines[~blank].tolist()
    if df.empty:
        raise InvalidInputError(f"{path}: the table has a header but no rows")
    return df, lines


def _decode(p: Path) -> str:
    try:
        return p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{p}: not a text file (cannot decode as UTF-8)") from None


def _read_excel(p: Path):
    import importlib.util

    import pandas as pd

    if importlib.util.find_spec("openpyxl") is None:
        raise InvalidInputError(f"{p}: reading Excel files needs openpyxl (pip install openpyxl), "
                                "or save the sheet as CSV")
    df = pd.read_excel(p, dtype=str).fillna("")
    df.columns = [str(c).strip() for c in df.columns]
    if df.empty:
        raise InvalidInputError(f"{p}: the sheet has a header but no rows")
    return df, (np.arange(len(df)) + 2).tolist()


def read_fasta(path: str | Path) -> list[tuple[str, str, int]]:
    """FASTA records as ``(header, sequence, header line)``; sequence lines are joined.

    Raises:
        InvalidInputError: a sequence before the first header, a record without a sequence, no records.
    """
    p = check_readable(path)
    records: list[tuple[str, str, int]] = []
    header, start, chunks = None, 0, []
    for lineno, line in enumerate(_decode(p).splitlines() + [">"], start=1):
        s = line.strip()
        if s.startswith(">"):
            if header is not None:
                if not chunks:
                    raise InvalidInputError(f"{p}, line {start}: record {header!r} has no sequence")
                records.append((header, "".join(chunks), start))
            header, start, chunks = s[1:].strip(), lineno, []
        elif s and header is None:
            raise InvalidInputError(f"{p}, line {lineno}: sequence before the first '>' header")
        elif s:
            chunks.append(s)
    if not records:
        raise InvalidInputError(f"{p}: no FASTA records")
    return records


def read_scored_table(path: str | Path, x: str | None = None, y: str | None = None) -> ScoredTable:
    """Read designs and scores from a table (CSV/TSV/``;``/Excel, header row) or FASTA (score in the header).

    In FASTA, the score is ``score=<number>`` in the header line, or else its last word.
    Censored scores (``>10``, ``<0.1``, as assays report values beyond their range) are dropped,
    with a count and their lines in one warning: they are bounds, not measurements.

    Args:
        path: the file.
        x: the design column (default: the first of ``sequence, seq, design, smiles, x``).
        y: the score column (default: the first of ``score, y, fitness, value, label, target``).

    Raises:
        InvalidInputError: unreadable/empty file, missing column, missing/NaN/non-numeric score,
            empty design — naming the file and line.
    """
    p = check_readable(path)
    if p.suffix.lower() in FASTA_SUFFIXES:
        return _scored_fasta(p)
    df, lines = read_table(p)
    header = list(df.columns)
    xc = _pick(header, x, DESIGN_COLUMNS, "designs", str(path))
    others = [c for c in header if c != xc]
    yc = others[0] if y is None and len(others) == 1 else _pick(header, y, SCORE_COLUMNS, "scores", str(path))
    designs, scores, where, censored = [], [], [], []
    for d, text, lineno in zip(df[xc].str.strip(), df[yc].str.strip(), lines):
        at = f"{path}, line {lineno}"
        if not d:
            raise InvalidInputError(f"{at}: the design in column {xc!r} is empty")
        if text[:1] in "<>" and text[1:2] != "" and text.lstrip("<>=").strip():
            censored.append(lineno)
            continue
        designs.append(d)
        scores.append(parse_score(text, at))
        where.append(lineno)
    if censored:
        shown = ", ".join(map(str, censored[:10])) + (", ..." if len(censored) > 10 else "")
        log.warning("%s: dropped %d censored scores such as '>10' or '<0.1' (lines %s): a bound is not a "
                    "measurement", path, len(censored), shown)
    if not designs:
        raise InvalidInputError(f"{path}: no row with a measured score")
    return ScoredTable(designs, np.asarray(scores, dtype=np.float64), where, str(path), xc, yc)


def _scored_fasta(p: Path) -> ScoredTable:
    designs, scores, where = [], [], []
    for header, seq, line in read_fasta(p):
        words = header.split()
        tagged = [w.split("=", 1)[1] for w in words if w.lower().startswith("score=")]
        text = tagged[0] if tagged else (words[-1] if len(words) > 1 else "")
        designs.append(seq)
        scores.append(parse_score(text, f"{p}, line {line} (header {header!r}; put score=<number> in the header)"))
        where.append(line)
    return ScoredTable(designs, np.asarray(scores), where, str(p), "sequence", "score")


def check_unique(designs: Sequence[str], lines: Sequence[int], where: str) -> None:
    """Raise naming both lines if a design occurs twice."""
    seen: dict[str, int] = {}
    for d, line in zip(designs, lines):
        if d in seen:
            raise InvalidInputError(f"{where}, line {line}: design {d!r} duplicates line {seen[d]}")
        seen[d] = line
