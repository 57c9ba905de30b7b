"""Calibration metrics: coverage, calibration error and NLL of Gaussian predictions; proxy_quality splits."""

import math

import numpy as np
import pytest

from seqmbo.metrics.calibration import (
    LEVELS,
    calibration_error,
    coverage,
    gaussian_nll,
    heldout_split,
    ood_split,
    predictive_quality,
    proxy_quality,
)
from seqmbo.proxies.base import Prediction


def synthetic(n=20000, seed=0):
    rng = np.random.default_rng(seed)
    mean = rng.normal(size=n)
    std = rng.uniform(0.2, 2.0, size=n)
    y = mean + std * rng.normal(size=n)
    return y, mean, std


def test_a_calibrated_gaussian_predictor_covers_90_percent():
    y, mean, std = synthetic()
    assert coverage(y, mean, std, 0.9) == pytest.approx(0.9, abs=0.01)
    assert calibration_error(y, mean, std) < 0.01
    q = predictive_quality(y, mean, std)
    assert q["coverage90"] == pytest.approx(0.9, abs=0.01) and q["calib_err"] < 0.01 and q["spearman"] > 0.3


def test_an_overconfident_predictor_is_clearly_worse():
    y, mean, std = synthetic()
    over = std / 3
    assert coverage(y, mean, over, 0.9) < 0.5  # the 90% interval holds about 44%
    assert calibration_error(y, mean, over) > 0.2
    assert gaussian_nll(y, mean, over) > gaussian_nll(y, mean, std) + 1.0
    under = std * 3  # underconfident: too wide, also miscalibrated
    assert coverage(y, mean, under, 0.9) > 0.99 and calibration_error(y, mean, under) > 0.2


def test_nll_formula():
    assert gaussian_nll(np.array([1.0]), np.array([0.0]), np.array([2.0])) == pytest.approx(
        0.5 * math.log(2 * math.pi * 4.0) + 1.0 / 8.0)
    y, mean, std = synthetic()
    expected = np.mean(0.5 * np.log(2 * math.pi * std**2)) + 0.5  # E[(y - m)^2 / 2s^2] = 1/2
    assert gaussian_nll(y, mean, std) == pytest.approx(expected, abs=0.02)


def test_calibration_error_by_hand():
    # all errors zero: every interval covers everything, so the error is the mean of 1 - p
    y = np.zeros(10)
    assert calibration_error(y, y, np.ones(10)) == pytest.approx(np.mean(1 - LEVELS))


def test_without_std_the_uncertainty_metrics_are_null():
    y, mean, _ = synthetic(100)
    q = predictive_quality(y, mean, None)
    assert q["nll"] is None and q["coverage90"] is None and q["calib_err"] is None
    assert q["spearman"] == pytest.approx(np.corrcoef(np.argsort(np.argsort(y)), np.argsort(np.argsort(mean)))[0, 1])


def test_splits():
    rng = np.random.default_rng(0)
    train, test = heldout_split(100, 0.1, rng)
    assert len(test) == 10 and not set(train) & set(test) and len(train) + len(test) == 100
    y = rng.normal(size=100)
    train, test = ood_split(y, 0.1)
    assert len(test) == 10 and y[test].min() >= y[train].max()


class Recorder:
    """A proxy predicting the truth exactly, with std 1, that remembers what it was fitted on."""

    fits: list = []

    def fit(self, designs, y):
        Recorder.fits.append((list(designs), np.asarray(y)))
        return self

    def predict(self, designs):
        y = np.array([float(d) for d in designs])
        return Prediction(y, np.ones(len(designs)))


def test_proxy_quality_fits_on_the_splits():
    from seqmbo.data import Dataset
    from seqmbo.spaces import dna

    y = np.random.default_rng(0).normal(size=500)
    data = Dataset([repr(float(v)) for v in y], y, dna(8))
    Recorder.fits = []
    q = proxy_quality(Recorder, data, seed=0, max_train=300)
    assert len(Recorder.fits) == 2
    (_, y_held), (_, y_ood) = Recorder.fits
    assert len(y_held) == 300 and len(y_ood) == 300  # capped at max_train
    assert y_ood.max() <= np.sort(y)[-50]  # OOD fit never saw the top 10%
    assert q["proxy_heldout_spearman"] == pytest.approx(1.0) and q["proxy_ood_spearman"] == pytest.approx(1.0)
    assert q["proxy_heldout_coverage90"] == 1.0  # exact means, std 1: every interval covers
    assert set(q) >= {f"proxy_{s}_{k}" for s in ("heldout", "ood") for k in ("spearman", "nll", "coverage90", "calib_err")}


def test_a_run_records_calibration_and_it_does_not_change_the_candidates():
    from seqmbo.run import RunConfig, execute

    def cfg(**kw):
        kw.setdefault("proxy_options", {"members": 2, "min_steps": 50})
        return RunConfig(task="ehrlich-20-16-2-4", n=16, generator_options={"generations": 3}, **kw)

    on = execute(cfg())
    off = execute(cfg(calibration=False))
    assert on.candidates["sequence"].tolist() == off.candidates["sequence"].tolist()
    m = on.metrics
    assert m["time_calibration_s"] > 0 and off.metrics["time_calibration_s"] < 0.1
    assert "proxy_ood_spearman" not in off.metrics
    for k in ("spearman", "nll", "coverage90", "calib_err"):
        assert m[f"proxy_heldout_{k}"] is not None and m[f"proxy_ood_{k}"] is not None
    assert 0 <= m["proxy_ood_coverage90"] <= 1 and m["oracle_calls_design"] == 0
    single = execute(cfg(proxy="mlp", proxy_options={"min_steps": 50}))
    assert single.metrics["proxy_ood_nll"] is None and single.metrics["proxy_ood_spearman"] is not None
