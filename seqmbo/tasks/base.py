"""A task: a design space, an offline dataset and, for a benchmark, a sealed oracle and its normalization.

Also the helpers every task builder shares (spec keys, paths relative to a spec), so that the
builders never import :mod:`seqmbo.tasks.spec` (which imports them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqmbo.data.dataset import Dataset
from seqmbo.errors import InvalidInputError
from seqmbo.oracles.base import SealedOracle


@dataclass
class Task:
    """Everything a design run needs about its problem: a benchmark, or the user's own data.

    Attributes:
        name: the task's name.
        kind: the spec kind (``landscape``, ``ehrlich``, ``molecules``; ``user`` for the user's table).
        space: the design space.
        dataset: the offline dataset (what proxies and generators see).
        oracle: the true score, sealed during design; ``None`` for the user's own data.
        y_min, y_max: normalization constants (min/max of the full data, or the oracle's
            bounds); ``None`` without an oracle.
        n_candidates: how many candidates a run proposes by default.
        oracle_kind: ``exact``, ``closed-form``, ``learned``, ``rdkit`` or ``none``.
        spec: the resolved spec (for ``config.toml``).
        objectives: with several objectives, each one (:class:`~seqmbo.objectives.Objective`),
            in the order of the first columns of ``dataset.Y``; empty for one score.
        constraints: constraints on computed properties or measured columns.
        objective_oracle: a benchmark's true objective vector ``(n, m)`` (maximized), sealed
            like ``oracle`` (which then gives the scalar score, see :mod:`seqmbo.objectives`).
        objective_bounds: ``(2, m)`` min and max of each maximized objective over the full
            dataset (the Off-MOO-Bench normalization).
    """

    name: str
    kind: str
    space: Any
    dataset: Dataset
    oracle: SealedOracle | None
    y_min: float | None = None
    y_max: float | None = None
    n_candidates: int = 128
    oracle_kind: str = "exact"
    spec: dict = field(default_factory=dict)
    objectives: list = field(default_factory=list)
    constraints: list = field(default_factory=list)
    objective_oracle: SealedOracle | None = None
    objective_bounds: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.oracle is None:
            pass
        elif self.y_min is None or self.y_max is None or not np.isfinite([self.y_min, self.y_max]).all() \
                or self.y_max <= self.y_min:
            raise InvalidInputError(f"task {self.name!r}: normalization needs y_min < y_max, got {self.y_min}, {self.y_max}")
        expected = self.spec.get("offline_rows")
        if expected is not None and int(expected) != len(self.dataset):
            raise InvalidInputError(
                f"task {self.name!r}: the spec says offline_rows = {expected} but the offline split has {len(self.dataset)} rows"
            )
        if self.n_candidates < 1:
            raise InvalidInputError(f"task {self.name!r}: n_candidates must be >= 1, got {self.n_candidates}")

    @property
    def sign(self) -> float:
        """``-1`` when the user's score is lower-is-better (``direction = "min"``): the dataset
        holds ``-score`` so that every model maximizes; ``sign * y`` is the score as the user gave it."""
        return -1.0 if self.spec.get("direction") == "min" else 1.0

    @property
    def has_oracle(self) -> bool:
        """Whether candidates can be scored by a true oracle after design."""
        return self.oracle is not None

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


# offline_rows: checked on load; run: the run settings the task recommends (RunConfig.apply_task_defaults)
COMMON_KEYS = {"name", "kind", "description", "n_candidates", "offline_rows", "run"}


def check_keys(spec: dict, allowed: set[str], where: str) -> None:
    """Refuse unknown keys (a typo would otherwise be ignored silently)."""
    unknown = sorted(k for k in spec if not k.startswith("_") and k not in allowed | COMMON_KEYS)
    if unknown:
        raise InvalidInputError(
            f"{where}: unknown key(s) {unknown} for a {spec['kind']!r} task; allowed: {sorted(allowed | COMMON_KEYS)}"
        )


def spec_path(spec: dict, value: str) -> Path:
    """A path from a spec, relative to the spec's folder."""
    p = Path(value).expanduser()
    return p if p.is_absolute() else Path(spec.get("_base", ".")) / p
