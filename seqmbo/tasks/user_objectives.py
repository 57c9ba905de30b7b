"""The user's table with several measured columns: objectives (each with a direction) and the
columns that constraints name; built into a :class:`~seqmbo.tasks.base.Task` without oracle.

Every row needs a number in every named column (a missing or non-numeric value is an error that
names the column and line); several columns are read from CSV/TSV/Excel tables and DataFrames.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from seqmbo.data.dataset import Dataset
from seqmbo.errors import InvalidInputError
from seqmbo.objectives import Constraint, Objective, scalarize


def read_columns(data: Any, x: str | None, columns: list[str]) -> tuple[list[str], np.ndarray, list[int], str, str]:
    """Designs, the named columns as numbers ``(n, k)``, the line of each row, the design column
    and a description of the input (for messages)."""
    import pandas as pd

    from seqmbo.data.readers import DESIGN_COLUMNS, read_table

    if isinstance(data, (str, Path)):
        if Path(str(data)).suffix.lower() in (".sdf", ".fasta", ".fa", ".faa", ".fna"):
            raise InvalidInputError(f"{data}: several objectives or measured constraints need a table "
                                    "(CSV/TSV/Excel) with one column each")
        df, lines = read_table(data)
        where, lines = str(data), list(lines)
    elif isinstance(data, pd.DataFrame):
        df, where, lines = data, "DataFrame", list(range(1, len(data) + 1))
    else:
        raise InvalidInputError("several objectives need a table file or a pandas DataFrame with one column each")
    header = [str(c) for c in df.columns]
    xc = x or next((c for c in DESIGN_COLUMNS if c in header), None)
    if xc is None or xc not in header:
        raise InvalidInputError(f"{where}: no design column {x or list(DESIGN_COLUMNS)!r}; columns are {header}")
    missing = [c for c in columns if c not in header]
    if missing:
        raise InvalidInputError(f"{where}: no column {missing[0]!r}; columns are {header}")
    Y = np.stack([pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float) for c in columns], axis=1)
    for j, c in enumerate(columns):
        bad = np.flatnonzero(~np.isfinite(Y[:, j]))
        if bad.size == len(Y):
            raise InvalidInputError(f"{where}: column {c!r} has no numeric value")
        if bad.size:
            raise InvalidInputError(f"{where}, line {lines[bad[0]]}: column {c!r} is missing or not a finite number "
                                    f"({bad.size} such rows)")
    designs = [str(v).strip() for v in df[xc].tolist()]
    return designs, Y, lines, xc, where


def multi_dataset(designs: list[str], Y: np.ndarray, space, objectives: list[Objective], columns: list[str],
                  where: str) -> Dataset:
    """The dataset: ``Y`` with minimized objectives negated; ``y`` the scalarized objectives."""
    m = len(objectives)
    signs = np.array([o.sign for o in objectives] + [1.0] * (len(columns) - m))
    Y = np.asarray(Y, dtype=np.float64) * signs
    obj = Y[:, :m]
    return Dataset(designs, scalarize(obj, obj.min(0), obj.max(0)), space, where, {}, Y, tuple(columns))


def split_constraints(data: Any, constraints: list[Constraint]) -> tuple[list[Constraint], list[Constraint]]:
    """``(measured, computed)``: constraints naming a column of the user's table, and the others."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        header = {str(c) for c in data.columns}
    elif isinstance(data, (str, Path)) and Path(str(data)).suffix.lower() not in (".sdf", ".fasta", ".fa", ".faa"):
        from seqmbo.data.readers import read_table

        header = set(read_table(data)[0].columns)
    else:
        header = set()
    measured = [c for c in constraints if c.name in header]
    return measured, [c for c in constraints if c.name not in header]
