"""Metrics of a multi-objective library: the Off-MOO-Bench protocol (Xue et al. 2024).

Objectives are maximized (a minimized one negated) and min-max normalized with the bounds of
the task's full dataset, so the full dataset spans ``[0, 1]`` in every objective. The reference
point is the normalized nadir moved a tenth of the range outward, ``-0.1`` in every objective
(Off-MOO-Bench's ``1.1 x nadir`` of its minimization form). Candidates beyond the dataset's
bounds score above 1, so hypervolumes may exceed ``1.1^m``.

* ``hv_p100``, ``hv_p75``, ``hv_p50``: the candidates are put in NSGA-II order by their true
  objective values (front, then crowding distance; :func:`seqmbo.pareto.nsga_order`), best first;
  ``hv_pK`` is the hypervolume of the candidates at or below the K-th percentile of that order —
  all of them for K = 100, the worse three quarters for 75, the worse half for 50 (as
  Design-Bench's ``score_p50`` is the median candidate, not the best half).
* ``pareto_size``: candidates on the candidates' own first front.
* ``pareto_beyond_offline``: candidates no offline design dominates.
* ``dataset_hv``: the hypervolume of the offline set (the multi-objective D(best)).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqmbo.objectives import normalize_columns
from seqmbo.pareto import dominated_by_any, hypervolume, nsga_order, pareto_mask

REF_OFFSET = 0.1
PERCENTILES = (100, 75, 50)


def reference_point(m: int) -> np.ndarray:
    """The reference point in normalized units ``(m,)``: ``-REF_OFFSET`` everywhere."""
    return np.full(m, -REF_OFFSET)


def percentile_subset(Y: np.ndarray, k: float) -> np.ndarray:
    """Rows of ``Y`` at or below the ``k``-th percentile of its NSGA-II order (k = 100: all)."""
    order = nsga_order(Y)
    start = int(np.floor(len(order) * (1.0 - k / 100.0)))
    return Y[order[start:]]


def pareto_metrics(Y: np.ndarray, offline: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> dict[str, Any]:
    """``hv_p100``, ``hv_p75``, ``hv_p50``, ``pareto_size``, ``pareto_beyond_offline``, ``dataset_hv``.

    Args:
        Y: the candidates' true objective values ``(n, m)``, maximized (NaN for invalid ones).
        offline: the offline set's objective values ``(N, m)``, maximized.
        lo, hi: ``(m,)`` normalization bounds (the full dataset's min and max).
    """
    Z = normalize_columns(Y, lo, hi)
    D = normalize_columns(offline, lo, hi)
    ref = reference_point(Z.shape[1])
    out: dict[str, Any] = {f"hv_p{k}": hypervolume(percentile_subset(Z, k), ref) for k in PERCENTILES}
    out["pareto_size"] = int(pareto_mask(Z).sum())
    out["dataset_hv"] = hypervolume(D, ref)
    out["pareto_beyond_offline"] = beyond(Z, D)
    return out


def beyond(Z: np.ndarray, D: np.ndarray) -> int:
    """How many rows of ``Z`` no row of ``D`` dominates."""
    front = np.unique(D[pareto_mask(D)], axis=0)
    finite = np.isfinite(Z).all(axis=1)
    return int((~dominated_by_any(front, Z) & finite).sum())
