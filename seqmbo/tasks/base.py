"""A benchmark task: a design space, an offline dataset, a sealed oracle and its normalization."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from seqmbo.data.dataset import Dataset
from seqmbo.errors import InvalidInputError
from seqmbo.oracles.base import SealedOracle


@dataclass
class Task:
    """Everything a design run needs about a benchmark.

    Attributes:
        name: the task's name.
        kind: the spec kind (``landscape``, ``ehrlich``, ``molecules``).
        space: the design space.
        dataset: the offline dataset (what proxies and generators see).
        oracle: the true score, sealed during design.
        y_min, y_max: normalization constants (min/max of the full data, or the oracle's bounds).
        n_candidates: how many candidates a run proposes by default.
        oracle_kind: ``exact``, ``closed-form``, ``learned`` or ``rdkit``.
        spec: the resolved spec (for ``config.toml``).
    """

    name: str
    kind: str
    space: Any
    dataset: Dataset
    oracle: SealedOracle
    y_min: float
    y_max: float
    n_candidates: int = 128
    oracle_kind: str = "exact"
    spec: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not np.isfinite([self.y_min, self.y_max]).all() or self.y_max <= self.y_min:
            raise InvalidInputError(f"task {self.name!r}: normalization needs y_min < y_max, got {self.y_min}, {self.y_max}")
        expected = self.spec.get("offline_rows")
        if expected is not None and int(expected) != len(self.dataset):
            raise InvalidInputError(
                f"task {self.name!r}: the spec says offline_rows = {expected} but the offline split has {len(self.dataset)} rows"
            )
        if self.n_candidates < 1:
            raise InvalidInputError(f"task {self.name!r}: n_candidates must be >= 1, got {self.n_candidates}")

    def normalize(self, y: np.ndarray) -> np.ndarray:
        """``(y - y_min) / (y_max - y_min)``, elementwise."""
        return (np.asarray(y, dtype=np.float64) - self.y_min) / (self.y_max - self.y_min)

    @property
    def dataset_best_norm(self) -> float:
        """The normalized score of the best offline design (Design-Bench's D(best))."""
        return float(self.normalize(self.dataset.y.max()))


def percentile_split(y: np.ndarray, max_percentile: float) -> np.ndarray:
    """Design-Bench's offline split: mask of rows with ``y <= percentile(y, max_percentile)``."""
    if not 0 < max_percentile <= 100:
        raise InvalidInputError(f"max_percentile must lie in (0, 100], got {max_percentile}")
    return np.asarray(y) <= np.percentile(y, max_percentile)
