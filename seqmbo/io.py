"""Atomic output: files appear whole or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from seqmbo.errors import InvalidInputError


def write_outputs(out: str | Path, writers: dict[str, Callable[[Path], None]]) -> Path:
    """Write each file with its writer into a temporary folder beside ``out``, then move them in.

    A failure or interruption while writing leaves ``out`` as it was (earlier files untouched,
    no half-written ones).
    """
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InvalidInputError(f"{out}: cannot create the output folder ({e.strerror})") from None
    if not out.is_dir():
        raise InvalidInputError(f"{out}: exists and is not a folder")
    tmp = Path(tempfile.mkdtemp(prefix=".seqmbo-tmp-", dir=out))
    try:
        for name, writer in writers.items():
            writer(tmp / name)
        for name in writers:
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def write_sdf(path: Path, table) -> None:
    """Write a candidates table (a ``smiles`` column, best first) as SDF; every other column
    becomes a property of its molecule, and the name is ``candidate_<rank>``."""
    from rdkit import Chem

    with Chem.SDWriter(str(path)) as w:
        for rank, row in enumerate(table.to_dict("records"), start=1):
            mol = Chem.MolFromSmiles(row["smiles"])
            if mol is None:
                continue
            mol.SetProp("_Name", f"candidate_{rank}")
            for key, value in row.items():
                if key != "smiles":
                    mol.SetProp(key, str(value))
            w.write(mol)
