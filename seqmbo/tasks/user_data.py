"""A task from the user's own scored table: designs and measured scores, no oracle.

``seqmbo propose`` and :func:`seqmbo.propose` run the same loop as a benchmark run
(:func:`seqmbo.run.execute`) on the task built here. Problems in the input are handled the way a
chemist's or biologist's script expects:

* unparsable SMILES are skipped with a count and their row numbers (an error when none remain);
* salts and multi-fragment entries keep their largest fragment (said, with a count);
* duplicates (after canonicalisation) are merged by their mean score (said, with a count);
* NaN or missing scores, letters outside the alphabet and empty files are errors naming the row.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from seqmbo.data.dataset import Dataset
from seqmbo.errors import InvalidInputError
from seqmbo.tasks.base import Task

log = logging.getLogger(__name__)

USER_N_CANDIDATES = 100


def user_task(data: Any, scores=None, *, x: str | None = None, y: str | list[str] | None = None,
              kind: str | None = None, direction: str = "max", constraints=()) -> Task:
    """A :class:`~seqmbo.tasks.base.Task` without an oracle from the user's scored designs.

    Args:
        data: a file (CSV/TSV/FASTA with scores, SDF with a score property), a pandas DataFrame,
            or a list of designs (then give ``scores``).
        scores: the scores of ``data`` when it is a list.
        x, y: the design and score columns (or SDF score property); ``y`` may list several
            objectives, each ``COLUMN`` or ``COLUMN:min`` / ``COLUMN:max``
            (:func:`seqmbo.objectives.parse_objectives`).
        kind: ``molecule``, ``dna`` or ``protein`` (guessed when omitted).
        direction: ``max`` (higher is better) or ``min`` (lower is better; the dataset then holds
            ``-score`` and the run reports predictions in the user's units).
        constraints: ``"sa<=4"``-style constraints (:mod:`seqmbo.objectives`): on a column of the
            table (predicted by a proxy) or a computed molecular property (a gate).
    """
    from seqmbo.objectives import parse_constraint, parse_objectives
    from seqmbo.tasks.user_objectives import split_constraints

    if direction not in ("max", "min"):
        raise InvalidInputError(f"direction must be 'max' (higher is better) or 'min' (lower is better), got {direction!r}")
    objectives = parse_objectives(y, direction=direction)
    cons = [parse_constraint(c) for c in constraints or ()]
    measured, computed = split_constraints(data, cons) if cons else ([], [])
    if len(objectives) > 1 or measured:
        return _multi_task(data, x, kind, objectives, measured, computed)
    y, direction = objectives[0].name or None, objectives[0].direction
    designs, y_values, rows, kind, where = _read_input(data, scores, kind, x, y)
    prepare = _molecule_data if kind == "molecule" else _sequence_data
    space, designs, y_values = prepare(designs, y_values, rows, kind, where)
    name = Path(str(data)).stem if isinstance(data, (str, Path)) else "user-data"
    spec = {"name": name, "kind": "user", "design_kind": kind, "direction": direction}
    if isinstance(data, (str, Path)):
        spec["data"] = str(Path(data).expanduser().resolve())
    if direction == "min":
        y_values = -np.asarray(y_values, dtype=np.float64)
    if computed:
        check_computed(computed, space)
        spec["constraints"] = [str(c) for c in computed]
    return Task(name, "user", space, Dataset(designs, y_values, space, where), oracle=None,
                n_candidates=USER_N_CANDIDATES, oracle_kind="none", spec=spec, constraints=computed)


def check_computed(constraints, space) -> None:
    """Refuse, before any work, constraints on computed properties the space has not (or unknown names)."""
    from seqmbo.gates.constraint import ConstraintGate

    ConstraintGate(constraints, space)


def _multi_task(data, x, kind, objectives, measured, computed) -> Task:
    """The task of a table with several objectives and/or constraints on measured columns."""
    from seqmbo.data.libraries import guess_kind
    from seqmbo.tasks.user_objectives import multi_dataset, read_columns

    names = [o.name for o in objectives]
    if "" in names:
        raise InvalidInputError("with several objectives or a constraint on a measured column, name every objective "
                                "column (--y COLUMN, once per objective)")
    columns = names + [c for c in dict.fromkeys(c.name for c in measured) if c not in names]
    designs, Y, rows, xc, where = read_columns(data, x, columns)
    kind = kind or guess_kind(designs, xc, where)
    prepare = _molecule_data if kind == "molecule" else _sequence_data
    space, designs, Y = prepare(designs, Y, rows, kind, where)
    if computed:
        check_computed(computed, space)
    name = Path(str(data)).stem if isinstance(data, (str, Path)) else "user-data"
    spec = {"name": name, "kind": "user", "design_kind": kind, "objectives": [f"{o.name}:{o.direction}" for o in objectives],
            "constraints": [str(c) for c in measured + computed]}
    if isinstance(data, (str, Path)):
        spec["data"] = str(Path(data).expanduser().resolve())
    return Task(name, "user", space, multi_dataset(designs, Y, space, objectives, columns, where), oracle=None,
                n_candidates=USER_N_CANDIDATES, oracle_kind="none", spec=spec, objectives=objectives,
                constraints=measured + computed)


def _read_input(data, scores, kind, x, y):
    from seqmbo.data.libraries import guess_kind, read_scored

    if isinstance(data, (str, Path)):
        lib = read_scored(data, x, y, kind)
        return lib.designs, lib.y, lib.rows, lib.kind, str(data)
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        from seqmbo.data.readers import DESIGN_COLUMNS, SCORE_COLUMNS

        xc = x or next((c for c in DESIGN_COLUMNS if c in data.columns), None)
        yc = y or next((c for c in SCORE_COLUMNS if c in data.columns), None)
        if xc is None or yc is None or xc not in data.columns or yc not in data.columns:
            raise InvalidInputError(f"DataFrame: need a design and a score column (x=..., y=...); columns are {list(data.columns)}")
        designs = [str(v) for v in data[xc].tolist()]
        values = pd.to_numeric(data[yc], errors="coerce").to_numpy(dtype=float)
        return _check_scores(designs, values, list(range(1, len(designs) + 1)), kind or guess_kind(designs, xc, "DataFrame"), "DataFrame row")
    if scores is None:
        raise InvalidInputError("give scores with a list of designs (propose(designs, scores, ...))")
    designs = [str(d) for d in data]
    values = np.asarray(scores, dtype=float).reshape(-1)
    if len(designs) != values.shape[0]:
        raise InvalidInputError(f"{len(designs)} designs but {values.shape[0]} scores")
    return _check_scores(designs, values, list(range(1, len(designs) + 1)), kind or guess_kind(designs, "", "designs"), "item")


def _check_scores(designs, values, rows, kind, label):
    if not designs:
        raise InvalidInputError("the input is empty")
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise InvalidInputError(f"{label} {rows[bad[0]]}: the score is missing or not a finite number ({bad.size} such rows)")
    return designs, values, rows, kind, label.split()[0]


def _merge_duplicates(designs: list[str], y: np.ndarray, where: str) -> tuple[list[str], np.ndarray]:
    groups: dict[str, list] = {}
    for d, v in zip(designs, y):  # a score, or a row of several
        groups.setdefault(d, []).append(v)
    merged = sum(len(v) - 1 for v in groups.values())
    if merged:
        log.warning("%s: %d duplicate rows merged into their first occurrence (mean score)", where, merged)
    return list(groups), np.array([np.mean(v, axis=0) for v in groups.values()])


def _molecule_data(designs, y, rows, kind, where):
    from seqmbo.spaces.molecule import MoleculeSpace

    try:
        space = MoleculeSpace.from_smiles(designs, standardize=("largest_fragment",), skip_invalid=True)
    except InvalidInputError:  # raised only when no row is a valid molecule
        raise InvalidInputError(f"{where}: none of the {len(designs)} rows is a valid molecule") from None
    prepared = space.prepare(designs)
    if prepared.dropped:
        listed = ", ".join(str(rows[i]) for i, _ in prepared.dropped[:10])
        log.warning("%s: skipped %d of %d rows that are not valid molecules (rows %s%s): %s", where,
                    len(prepared.dropped), len(designs), listed, ", ..." if len(prepared.dropped) > 10 else "",
                    prepared.summary())
    if not prepared.smiles:
        raise InvalidInputError(f"{where}: none of the {len(designs)} rows is a valid molecule")
    multi = sum("." in designs[i] for i in prepared.index)
    if multi:
        log.warning("%s: %d multi-fragment entries (salts, solvents) reduced to their largest fragment", where, multi)
    smiles, values = _merge_duplicates(prepared.smiles, y[prepared.index], where)
    return space, smiles, values


def _sequence_data(designs, y, rows, kind, where):
    from seqmbo.spaces import dna, protein

    lower = sum(d != d.upper() for d in designs)
    if lower:
        log.warning("%s: %d designs with lowercase letters read as uppercase", where, lower)
        designs = [d.upper() for d in designs]
    lengths = [len(d) for d in designs]
    make = dna if kind == "dna" else protein
    space = make(min_length=min(lengths), max_length=max(lengths)) if len(set(lengths)) > 1 else make(lengths[0])
    for d, r in zip(designs, rows):
        why = space.problem(d)
        if why is not None:
            raise InvalidInputError(f"{where}, row {r}: design {d!r} {why}")
    designs, values = _merge_duplicates(designs, np.asarray(y), where)
    return space, designs, values
