"""Several objectives and constraints: what they are, how they are written, how they are combined.

An objective is a named score with a direction (``pIC50`` to maximize, ``logS:min`` to
minimize). A constraint is ``NAME OP VALUE`` with ``OP`` one of ``<=``, ``<``, ``>=``, ``>``
(``"sa<=4"``, ``"qed >= 0.5"``, ``"mw<500"``). ``NAME`` is either

* a **computed property** of a molecule (:data:`COMPUTED`: RDKit descriptors and the molecule
  oracles): the constraint is a gate, exact — a candidate that breaks it is never proposed; or
* a **measured column** of the user's table: a proxy predicts it, and the constraint is a
  *predicted* feasibility — the reward of a design whose predicted mean breaks it is lowered
  by the violation, and the candidates' table gives ``feasible_prob``, the probability under
  the proxy's Gaussian (mean, std) that the design meets it.

Inside a run every objective is maximized (a ``min`` objective is negated, as a one-objective
``direction = "min"`` run does), and the scalar score that single-objective code sees
(``Dataset.y``, the reward of a single-objective generator) is the **equal-weight mean of the
objectives min-max normalized over the offline set** (:func:`scalarize`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from seqmbo.errors import InvalidInputError

DIRECTIONS = ("max", "min")
_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "<=": np.less_equal, "<": np.less, ">=": np.greater_equal, ">": np.greater,
}
_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(<=|>=|<|>)\s*([-+]?[\d.]+(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Objective:
    """A named score and whether higher (``max``) or lower (``min``) is better."""

    name: str
    direction: str = "max"

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise InvalidInputError(f"objective {self.name!r}: direction must be 'max' or 'min', got {self.direction!r}")

    @property
    def sign(self) -> float:
        """``+1`` or ``-1``: the run holds ``sign * score`` so that every objective is maximized."""
        return -1.0 if self.direction == "min" else 1.0


@dataclass(frozen=True)
class Constraint:
    """``name op value``; :meth:`holds` is the elementwise test."""

    name: str
    op: str
    value: float

    def holds(self, values: np.ndarray) -> np.ndarray:
        """Bool ``(n,)``: whether each value meets the constraint (NaN never does)."""
        v = np.asarray(values, dtype=np.float64)
        return _OPS[self.op](v, self.value) & np.isfinite(v)

    def violation(self, values: np.ndarray) -> np.ndarray:
        """How far each value lies on the wrong side of the bound ``(n,)`` (0 where it holds)."""
        v = np.asarray(values, dtype=np.float64)
        gap = v - self.value if self.op in ("<=", "<") else self.value - v
        return np.where(self.holds(v), 0.0, np.maximum(gap, 0.0))

    def probability(self, mean: np.ndarray, std: np.ndarray | None) -> np.ndarray:
        """P(the constraint holds) under ``N(mean, std²)`` ``(n,)`` (0/1 without a std)."""
        mean = np.asarray(mean, dtype=np.float64)
        if std is None:
            return self.holds(mean).astype(float)
        z = (self.value - mean) / np.maximum(np.asarray(std, dtype=np.float64), 1e-12)
        below = 0.5 * (1.0 + np.vectorize(math.erf)(z / math.sqrt(2.0)))
        return below if self.op in ("<=", "<") else 1.0 - below

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value:g}"


def parse_objective(text: str) -> Objective:
    """``"pIC50"``, ``"pIC50:max"`` or ``"logS:min"`` -> :class:`Objective`."""
    name, _, direction = str(text).strip().rpartition(":") if ":" in str(text) else (str(text).strip(), "", "max")
    name = name.strip()
    if not name:
        raise InvalidInputError(f"objective {text!r}: expected COLUMN or COLUMN:max or COLUMN:min")
    if direction.strip() not in DIRECTIONS:
        raise InvalidInputError(f"objective {text!r}: the direction after ':' must be 'max' or 'min'")
    return Objective(name, direction.strip())


def parse_objectives(y: str | Sequence[str] | None, minimize: Sequence[str] = (),
                     direction: str = "max") -> list[Objective]:
    """The objectives of a run from ``--y`` values (each ``COL`` or ``COL:min``) and ``--minimize`` names.

    Args:
        y: one column, several, or ``None`` (the reader's default score column).
        minimize: names to minimize (``--minimize logS``); each must be one of ``y``.
        direction: the direction of an objective given without one (``min`` for a plain
            ``--minimize`` flag on a one-objective run).
    """
    items = [y] if isinstance(y, str) or y is None else list(y)
    if not items:
        items = [None]
    out = []
    for item in items:
        if item is None:
            out.append(Objective("", direction))
            continue
        obj = parse_objective(item)
        if ":" not in str(item):
            obj = Objective(obj.name, "min" if obj.name in minimize else direction)
        out.append(obj)
    names = [o.name for o in out]
    unknown = [m for m in minimize if m not in names]
    if unknown:
        raise InvalidInputError(f"--minimize {unknown[0]!r}: not one of the objectives {names}")
    if len(set(names)) != len(names):
        raise InvalidInputError(f"an objective is named twice: {names}")
    return out


def parse_constraint(text: str | Constraint) -> Constraint:
    """``"sa<=4"`` -> :class:`Constraint` (a malformed one names itself and the expected form)."""
    if isinstance(text, Constraint):
        return text
    m = _CONSTRAINT.match(str(text))
    if m is None:
        raise InvalidInputError(f"constraint {text!r}: expected NAME OP NUMBER with OP one of <=, <, >=, > "
                                "(e.g. \"sa<=4\", \"qed>=0.5\", \"mw<500\")")
    try:
        value = float(m.group(3))
    except ValueError:
        raise InvalidInputError(f"constraint {text!r}: {m.group(3)!r} is not a number") from None
    return Constraint(m.group(1), m.group(2), value)


def normalize_columns(Y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``(Y - lo) / (hi - lo)`` column by column ``(n, m)``; a constant column gives 0."""
    span = np.where(np.asarray(hi) > np.asarray(lo), np.asarray(hi) - np.asarray(lo), 1.0)
    return (np.asarray(Y, dtype=np.float64) - lo) / span


def scalarize(Y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The scalar score of several maximized objectives ``(n, m)`` -> ``(n,)``: the mean of the
    objectives min-max normalized with ``lo``/``hi`` (the offline set's bounds)."""
    return normalize_columns(Y, lo, hi).mean(axis=1)
