"""The sample-efficiency metric of the PMO benchmark (Gao et al. 2022, "Sample efficiency matters").

"AUC of the top-k mean": after every ``freq`` oracle calls, take the mean of the ``k`` best
scores seen so far; the area under that curve (trapezoid rule, starting from 0 at 0 calls) over
the budget, divided by the budget. A run that stops before spending the budget keeps its last
top-k mean to the end. An invalid design (score ``nan``) counts as 0, as in PMO.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def top_k_mean_curve(scores: Sequence[float], k: int = 10, freq: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """The top-``k`` mean after every ``freq`` calls and after the last call.

    Args:
        scores: oracle scores in call order ``(n,)`` (``nan``: an invalid design, counted as 0).
        k: how many of the best scores are averaged (fewer while fewer were seen).
        freq: calls between samples.

    Returns:
        ``(calls, top_k_mean)``: the call counts ``freq, 2 freq, ..., n`` (``n`` added when it is no
        multiple of ``freq``) and the top-``k`` mean after each.
    """
    y = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=0.0)
    n = y.size
    calls = list(range(freq, n + 1, freq))
    if n and (not calls or calls[-1] != n):
        calls.append(n)
    means = [float(np.sort(y[:c])[-k:].mean()) for c in calls]
    return np.asarray(calls, dtype=np.int64), np.asarray(means)


def auc_top_k(scores: Sequence[float], budget: int, k: int = 10, freq: int = 100) -> float:
    """PMO's AUC of the top-``k`` mean over a budget of oracle calls, in ``[0, max score]``.

    Args:
        scores: oracle scores in call order (only the first ``budget`` count).
        budget: the budget of oracle calls (the normalizer).
        k: top-``k`` mean (PMO: 10).
        freq: sampling interval in calls (PMO: 100).

    Returns:
        ``area / budget``; ``0`` when nothing was scored.
    """
    if budget < 1:
        raise ValueError(f"budget must be >= 1, got {budget}")
    calls, means = top_k_mean_curve(list(scores)[:budget], k, freq)
    if calls.size == 0:
        return 0.0
    x = np.concatenate([[0], calls])
    h = np.concatenate([[0.0], means])
    area = float(np.sum((x[1:] - x[:-1]) * (h[1:] + h[:-1]) / 2))
    area += (budget - calls[-1]) * means[-1]  # stopped early: the last value holds to the budget
    return area / budget
