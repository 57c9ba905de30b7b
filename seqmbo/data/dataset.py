"""The offline dataset: designs with their measured (or oracle-labelled) scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqmbo.errors import InvalidInputError


@dataclass(frozen=True)
class Dataset:
    """Designs and scores, aligned; what every proxy and generator sees (never the oracle).

    Args:
        designs: the designs as strings (DNA/protein letters, SMILES).
        y: scores ``(n,)`` float64, higher is better, all finite.
        space: the design space the designs belong to (``SequenceSpace`` or ``MoleculeSpace``).
        name: where the data came from, for messages.
        Y: with several objectives (or measured constraint columns), every measured column
            ``(n, k)``, each objective maximized (a minimized one negated); ``y`` is then the
            scalar score that single-objective code sees (:func:`seqmbo.objectives.scalarize`).
            ``None`` for a one-score dataset.
        columns: the names of the columns of ``Y``.
    """

    designs: list[str]
    y: np.ndarray
    space: Any
    name: str = "dataset"
    info: dict = field(default_factory=dict, compare=False)
    Y: np.ndarray | None = None
    columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        y = np.asarray(self.y, dtype=np.float64).reshape(-1)
        object.__setattr__(self, "y", y)
        if len(self.designs) != y.shape[0]:
            raise InvalidInputError(f"{self.name}: {len(self.designs)} designs but {y.shape[0]} scores")
        if y.shape[0] == 0:
            raise InvalidInputError(f"{self.name}: the dataset is empty")
        bad = np.flatnonzero(~np.isfinite(y))
        if bad.size:
            raise InvalidInputError(
                f"{self.name}: score of design {bad[0] + 1} is {y[bad[0]]} (NaN/inf scores: {bad.size} rows)"
            )

        if self.Y is not None:
            self._check_matrix()

    def _check_matrix(self) -> None:
        Y = np.asarray(self.Y, dtype=np.float64)
        Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
        object.__setattr__(self, "Y", Y)
        object.__setattr__(self, "columns", tuple(self.columns))
        if Y.shape[0] != len(self.designs) or Y.shape[1] != len(self.columns):
            raise InvalidInputError(f"{self.name}: objective matrix of shape {Y.shape} for {len(self.designs)} designs "
                                    f"and columns {list(self.columns)}")
        bad = np.argwhere(~np.isfinite(Y))
        if bad.size:
            i, j = bad[0]
            raise InvalidInputError(f"{self.name}: {self.columns[j]} of design {i + 1} is {Y[i, j]} "
                                    f"(NaN/inf values: {len(bad)})")

    def __len__(self) -> int:
        return len(self.designs)

    def top(self, k: int) -> tuple[list[str], np.ndarray]:
        """The ``k`` best designs and their scores, best first (ties broken by order)."""
        order = np.argsort(-self.y, kind="stable")[:k]
        return [self.designs[i] for i in order], self.y[order]

    def subset(self, index: Sequence[int] | np.ndarray, name: str | None = None) -> "Dataset":
        idx = np.asarray(index)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return Dataset([self.designs[i] for i in idx], self.y[idx], self.space, name or self.name, dict(self.info),
                       None if self.Y is None else self.Y[idx], self.columns)
