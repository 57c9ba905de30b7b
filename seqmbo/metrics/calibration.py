"""How good a proxy's uncertainty is: held-out and out-of-distribution rank, NLL, coverage, calibration.

Predictions are read as Gaussians ``N(mean, std^2)`` (or, where a proxy gives one, as its warped
Gaussian ``Prediction.warped``: exact intervals and density in score units). On a test set with true scores ``y``:

- ``spearman``: rank correlation of ``mean`` and ``y``;
- ``nll``: mean Gaussian negative log-likelihood ``0.5 log(2 pi std^2) + (y - mean)^2 / (2 std^2)``
  (in the units of ``y``; lower is better);
- ``coverage90``: the fraction of ``y`` inside the central 90% interval ``mean ± 1.645 std``
  (0.9 when calibrated);
- ``calib_err``: the regression calibration error, the mean over central intervals of levels
  ``p = 0.05, 0.10, ..., 0.95`` of ``|observed coverage(p) - p|`` (0 when calibrated).

Proxies without a ``std`` (a single network, a COM) get ``None`` for the last three.

:func:`proxy_quality` measures these on two splits of the offline data, each with a fresh
proxy of the same configuration: *held-out* (a random 10% is the test set, the rest trains)
and *OOD* (the lowest 90% by score trains, the top 10% is the test set — the extrapolation a
design run asks of its proxy).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from seqmbo.metrics.run_metrics import spearman

log = logging.getLogger(__name__)

LEVELS = np.round(np.arange(1, 20) * 0.05, 2)  # central-interval levels 0.05 .. 0.95
QUALITY_KEYS = ("spearman", "rmse", "nll", "coverage90", "calib_err")


def _z(level: float | np.ndarray) -> np.ndarray:
    """Half-width in standard deviations of the central interval holding ``level`` of a Gaussian."""
    from scipy.stats import norm

    return norm.ppf(0.5 + np.asarray(level, dtype=np.float64) / 2.0)


def _clean_std(std: np.ndarray) -> np.ndarray:
    return np.maximum(np.asarray(std, dtype=np.float64), 1e-12)


def gaussian_nll(y: np.ndarray, mean: np.ndarray, std: np.ndarray) -> float:
    """Mean Gaussian negative log-likelihood of ``y`` under ``N(mean, std^2)`` (std floored at 1e-12)."""
    y, mean, s = np.asarray(y, float), np.asarray(mean, float), _clean_std(std)
    return float(np.mean(0.5 * np.log(2 * math.pi * s**2) + (y - mean) ** 2 / (2 * s**2)))


def coverage(y: np.ndarray, mean: np.ndarray, std: np.ndarray, level: float = 0.9) -> float:
    """Fraction of ``y`` inside the central ``level`` interval of ``N(mean, std^2)``."""
    return _coverage_of(_abs_z(y, mean, std), level)


def calibration_error(y: np.ndarray, mean: np.ndarray, std: np.ndarray, levels: np.ndarray = LEVELS) -> float:
    """Mean over ``levels`` of ``|observed - expected|`` coverage of central Gaussian intervals."""
    return _calib_err_of(_abs_z(y, mean, std), levels)


def _abs_z(y: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return np.abs(np.asarray(y, float) - np.asarray(mean, float)) / _clean_std(std)


def _coverage_of(r: np.ndarray, level: float) -> float:
    """Fraction of absolute standard-normal residuals ``r`` inside the central ``level`` interval."""
    return float(np.mean(r <= _z(level)))


def _calib_err_of(r: np.ndarray, levels: np.ndarray = LEVELS) -> float:
    observed = (r[None, :] <= _z(levels)[:, None]).mean(axis=1)
    return float(np.mean(np.abs(observed - levels)))


def predictive_quality(y: np.ndarray, mean: np.ndarray, std: np.ndarray | None,
                       warped=None) -> dict[str, float | None]:
    """``spearman``, ``rmse``, ``nll``, ``coverage90``, ``calib_err`` of predictions (the last three
    ``None`` without std).

    ``warped`` (a :class:`~seqmbo.proxies.warp.WarpedNormal`, a proxy's ``Prediction.warped``): the
    last three read its exact central intervals and density instead of ``N(mean, std^2)``.
    """
    y_, m_ = np.asarray(y, float), np.asarray(mean, float)
    out: dict[str, float | None] = {"spearman": spearman(mean, y), "rmse": float(np.sqrt(np.mean((y_ - m_) ** 2)))}
    if std is None:
        out.update(nll=None, coverage90=None, calib_err=None)
    elif warped is not None:
        r = np.abs(warped.z(y_))
        out.update(nll=float(-np.mean(warped.logpdf(y_))), coverage90=_coverage_of(r, 0.9), calib_err=_calib_err_of(r))
    else:
        out.update(nll=gaussian_nll(y, mean, std), coverage90=coverage(y, mean, std, 0.9),
                   calib_err=calibration_error(y, mean, std))
    return out


def heldout_split(n: int, frac: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random (train, test) row indices with ``ceil(frac * n)`` test rows."""
    perm = rng.permutation(n)
    k = max(1, math.ceil(frac * n))
    return np.sort(perm[k:]), np.sort(perm[:k])


def ood_split(y: np.ndarray, frac: float) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) row indices: the top ``ceil(frac * n)`` rows by score are the test set."""
    order = np.argsort(np.asarray(y), kind="stable")
    k = max(1, math.ceil(frac * len(order)))
    return np.sort(order[:-k]), np.sort(order[-k:])


def quality_splits(dataset, seed: int = 0, *, heldout_frac: float = 0.1, ood_frac: float = 0.1,
                   max_train: int | None = 10_000, max_test: int | None = 10_000):
    """The ``(name, train rows, test rows)`` of :func:`proxy_quality`: ``heldout`` (random) then ``ood``
    (the top ``ood_frac`` by score), each side subsampled to at most ``max_train`` / ``max_test`` rows."""
    rng = np.random.default_rng([seed, 7541])
    splits = {"heldout": heldout_split(len(dataset), heldout_frac, rng), "ood": ood_split(dataset.y, ood_frac)}
    for name, (train, test) in splits.items():
        if max_train is not None and len(train) > max_train:
            train = np.sort(rng.choice(train, max_train, replace=False))
        if max_test is not None and len(test) > max_test:
            test = np.sort(rng.choice(test, max_test, replace=False))
        yield name, train, test


def proxy_quality(make_proxy_fn: Callable[[], Any], dataset, seed: int = 0, *, heldout_frac: float = 0.1,
                  ood_frac: float = 0.1, max_train: int | None = 10_000, max_test: int | None = 10_000) -> dict[str, Any]:
    """Held-out and OOD quality of fresh proxies from ``make_proxy_fn`` fitted on splits of ``dataset``.

    Args:
        make_proxy_fn: returns a new, unfitted proxy of the configuration to judge.
        dataset: the offline :class:`~seqmbo.data.Dataset` (designs, ``y``).
        seed: seed of the random split and subsampling.
        heldout_frac: the random test fraction of the held-out split.
        ood_frac: the top fraction (by score) that is the OOD test set.
        max_train: each split's training rows are a random subset of at most this many (``None``:
            all) — two extra fits of a run stay cheap on large datasets.
        max_test: each test set is a random subset of at most this many rows (``None``: all).

    Returns:
        ``proxy_heldout_{spearman,nll,coverage90,calib_err}`` and ``proxy_ood_...`` (``None``
        where the proxy has no std, or where a split leaves fewer than 2 rows on a side),
        plus ``proxy_calibration_train_rows`` (rows each calibration fit saw).
    """
    out: dict[str, Any] = {}
    rows = []
    for name, train, test in quality_splits(dataset, seed, heldout_frac=heldout_frac, ood_frac=ood_frac,
                                            max_train=max_train, max_test=max_test):
        if len(train) < 2 or len(test) < 2:
            log.warning("calibration: %s split of %d rows is too small; skipped", name, len(dataset))
            out.update({f"proxy_{name}_{k}": None for k in QUALITY_KEYS})
            continue
        rows.append(len(train))
        proxy = make_proxy_fn()
        proxy.fit([dataset.designs[i] for i in train], dataset.y[train])
        pred = proxy.predict([dataset.designs[i] for i in test])
        q = predictive_quality(dataset.y[test], pred.mean, pred.std, pred.warped)
        out.update({f"proxy_{name}_{k}": v for k, v in q.items()})
    out["proxy_calibration_train_rows"] = max(rows) if rows else 0
    return out
