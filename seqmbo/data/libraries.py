"""Reading design libraries and user tables of any supported format, with the kind of design.

Formats: CSV/TSV (a header row), ``.smi`` (SMILES first on each line), SDF (RDKit), FASTA,
and plain text (one design a line). Every problem names the file and row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqmbo.data.readers import (
    DESIGN_COLUMNS, FASTA_SUFFIXES, SCORE_COLUMNS, check_readable, parse_score, read_fasta, read_scored_table,
    read_table,
)
from seqmbo.errors import InvalidInputError
from seqmbo.spaces.sequence import DNA_ALPHABET, PROTEIN_ALPHABET

KINDS = ("dna", "protein", "molecule")


@dataclass
class Library:
    """Designs as read (``rows[i]``: 1-based line/record of design ``i``), scores if any, and the kind."""

    designs: list[str]
    rows: list[int]
    kind: str
    path: str
    y: np.ndarray | None = None


def guess_kind(designs: list[str], column: str = "", where: str = "") -> str:
    """``molecule`` for a SMILES column, else ``dna``/``protein`` by the letters used."""
    if column.lower() == "smiles":
        return "molecule"
    letters = set("".join(designs[:5000]))
    if all(d.isalpha() for d in designs[:5000]):
        letters = {c.upper() for c in letters}  # lowercase sequence letters (upper-cased when read)
    if letters <= set(DNA_ALPHABET):
        return "dna"
    if letters <= set(PROTEIN_ALPHABET):
        return "protein"
    if any(c in letters for c in "()=#[]123456789@+-") or letters <= set("BCNOSPFIlrcnosp()=#[]0123456789@+-/\\H"):
        return "molecule"
    raise InvalidInputError(f"{where}: cannot tell whether these are DNA, protein or molecules; pass --kind")


def read_library(path: str | Path, column: str | None = None, kind: str | None = None) -> Library:
    """Designs of a library file (no scores needed)."""
    p = check_readable(path)
    suffix = p.suffix.lower()
    if suffix == ".sdf":
        designs, rows, _ = _read_sdf(p, None)
        return Library(designs, rows, kind or "molecule", str(p))
    if suffix in FASTA_SUFFIXES:
        records = read_fasta(p)
        designs, rows = [seq for _, seq, _ in records], [line for _, _, line in records]
    elif uses_text_reader(p):
        designs, rows = [], []
        for i, line in enumerate(_text(p).splitlines(), start=1):
            if _text_design(line):
                designs.append(_text_design(line))
                rows.append(i)
        if suffix in (".smi", ".smiles"):
            kind = kind or "molecule"
    else:
        designs, rows, column = _read_column(p, column)
    if not designs:
        raise InvalidInputError(f"{path}: no designs in the file")
    return Library(designs, rows, kind or guess_kind(designs, column or "", str(path)), str(p))


def uses_text_reader(p: Path) -> bool:
    """Whether a library file is read as text, one design first on each line (.smi, .txt, no table suffix)."""
    suffix = p.suffix.lower()
    return suffix != ".sdf" and suffix not in FASTA_SUFFIXES and suffix not in (".csv", ".tsv", ".tab", ".xlsx",
                                                                                 ".xlsm", ".xls")


def _text_design(line: str) -> str:
    """The design of a text line ('' for a blank or ``#`` comment line)."""
    return line.split()[0] if line.strip() and not line.startswith("#") else ""


def iter_text_designs(p: Path):
    """The designs of a text library, read line by line (what :func:`read_library` reads, lazily)."""
    check_readable(p)
    with open(p, encoding="utf-8-sig", errors="strict") as fh:
        try:
            for line in fh:
                if design := _text_design(line):
                    yield design
        except UnicodeDecodeError:
            raise InvalidInputError(f"{p}: not a text file (cannot decode as UTF-8)") from None


def read_scored(path: str | Path, x: str | None = None, y: str | None = None, kind: str | None = None) -> Library:
    """Designs with scores: CSV/TSV/FASTA through :func:`read_scored_table`, SDF with a score property."""
    p = check_readable(path)
    if p.suffix.lower() == ".sdf":
        designs, rows, scores = _read_sdf(p, y or "score")
        return Library(designs, rows, kind or "molecule", str(p), scores)
    t = read_scored_table(p, x, y)
    return Library(t.designs, t.lines, kind or guess_kind(t.designs, t.x_column, str(p)), str(p), t.y)


def _text(p: Path) -> str:
    try:
        return p.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInputError(f"{p}: not a text file (cannot decode as UTF-8)") from None


def _read_column(p: Path, column: str | None) -> tuple[list[str], list[int], str]:
    df, lines = read_table(p)
    header = list(df.columns)
    if column is None:
        lower = {h.lower(): h for h in header}
        column = next((lower[c.lower()] for c in DESIGN_COLUMNS if c.lower() in lower), None)
        if column is None:
            raise InvalidInputError(f"{p}: no design column (one of {list(DESIGN_COLUMNS)}); columns are {header}")
    if column not in header:
        raise InvalidInputError(f"{p}: no column {column!r}; columns are {header}")
    designs = df[column].str.strip().tolist()
    for d, lineno in zip(designs, lines):
        if not d:
            raise InvalidInputError(f"{p}, line {lineno}: the design in column {column!r} is empty")
    return designs, lines, column


def _read_sdf(p: Path, score_prop: str | None) -> tuple[list[str], list[int], np.ndarray | None]:
    """SMILES of each SDF record (record numbers from 1); unparsable records keep an empty SMILES."""
    from rdkit import Chem, rdBase

    block = rdBase.BlockLogs()  # RDKit's own parse warnings; problems are reported by record instead
    try:
        supplier = Chem.SDMolSupplier(str(p), sanitize=True)
        designs, rows, scores = [], [], []
        for i, mol in enumerate(supplier, start=1):
            designs.append(Chem.MolToSmiles(mol) if mol is not None else "")
            rows.append(i)
            if score_prop is not None:
                if mol is None:
                    scores.append(np.nan)
                    continue
                if not mol.HasProp(score_prop):
                    names = list(mol.GetPropNames())
                    raise InvalidInputError(
                        f"{p}, record {i}: no property {score_prop!r} for the score; properties are {names} (use --y)"
                    )
                scores.append(parse_score(mol.GetProp(score_prop), f"{p}, record {i}"))
    except OSError as e:
        raise InvalidInputError(f"{p}: cannot read as SDF ({e})") from None
    finally:
        del block
    if not designs:
        raise InvalidInputError(f"{p}: no molecules in the SDF file")
    return designs, rows, (np.asarray(scores, dtype=np.float64) if score_prop is not None else None)


__all__ = ["KINDS", "Library", "SCORE_COLUMNS", "guess_kind", "read_library", "read_scored"]
