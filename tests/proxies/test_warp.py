"""Score warps: monotone maps a proxy models scores through, and the warped Gaussian predictive."""

import numpy as np
import pytest
from scipy import stats

from seqmbo.errors import InvalidInputError
from seqmbo.metrics.calibration import predictive_quality
from seqmbo.proxies.warp import ScoreWarp, WarpedNormal

RNG = np.random.default_rng(3)
SKEWED = np.round(RNG.lognormal(-5.0, 1.5, 3000), 5)  # rounded to a resolution of 1e-5, as measured data are
GAUSSIAN = RNG.normal(0.3, 0.07, 3000)


def test_log_warp_inverts_exactly_and_shifts_negative_scores():
    y = SKEWED - 0.01  # negative scores: the warp shifts by the floor, no error
    w = ScoreWarp.fit(y, "log")
    step = np.diff(np.unique(y))[0]
    assert 0 < step < 1e-4 and w.offset == pytest.approx(y.min() - step, abs=1e-12)  # one step below the floor
    assert np.allclose(w.inverse(w.forward(y)), y, atol=1e-12)
    z = w.forward(y)
    assert abs(z.mean()) < 1e-9 and z.std() == pytest.approx(1.0)
    assert np.all(np.diff(w.forward(np.sort(y))) >= 0)


def test_auto_picks_the_log_for_skewed_scores_and_the_identity_otherwise():
    assert ScoreWarp.fit(SKEWED, "auto").kind == "log"
    assert ScoreWarp.fit(GAUSSIAN, "auto").kind == "none"
    w = ScoreWarp.fit(SKEWED, "auto")
    assert w.loglik(SKEWED) > ScoreWarp.fit(SKEWED, "none").loglik(SKEWED) + 1000


def test_moments_are_those_of_the_shifted_lognormal():
    w = ScoreWarp.fit(SKEWED, "log")
    loc, scale = np.array([-1.0, 0.0, 2.0]), np.array([0.3, 1.0, 0.5])
    mean, std = w.moments(loc, scale)
    ln = stats.lognorm(s=scale * w.sd, scale=np.exp(loc * w.sd + w.mu))
    assert np.allclose(mean, ln.mean() + w.offset) and np.allclose(std, ln.std())
    ident = ScoreWarp.fit(GAUSSIAN, "none")
    m, s = ident.moments(loc, scale)
    assert np.allclose(m, GAUSSIAN.mean() + loc * GAUSSIAN.std()) and np.allclose(s, scale * GAUSSIAN.std())


def test_intervals_are_ordered_and_calibration_reads_them_exactly():
    w = ScoreWarp.fit(SKEWED, "log")
    dist = WarpedNormal(np.array([0.0, 1.0, -0.5]), np.array([1.0, 0.2, 2.0]), w)
    lo, mid, hi = dist.quantile(0.05), dist.quantile(0.5), dist.quantile(0.95)
    assert np.all(lo < mid) and np.all(mid < hi) and np.all(lo > w.offset)
    assert np.allclose(np.abs(dist.z(lo)), 1.6448536, atol=1e-6)
    # scores from the predictive itself: 90% coverage ~0.9 and a density that integrates to 1
    one = WarpedNormal(np.zeros(20000), np.ones(20000), w)
    y = w.inverse(np.random.default_rng(0).normal(size=20000))
    q = predictive_quality(y, *w.moments(one.loc, one.scale), one)
    assert q["coverage90"] == pytest.approx(0.9, abs=0.01) and q["calib_err"] < 0.01
    u = np.linspace(w.mu - 9 * w.sd, w.mu + 9 * w.sd, 20001)  # log(y - offset)
    single = WarpedNormal(np.zeros(1), np.ones(1), w)
    density = np.exp(single.logpdf(w.offset + np.exp(u))) * np.exp(u)  # dy = e^u du
    assert np.trapezoid(density, u) == pytest.approx(1.0, abs=1e-6)


def test_bad_input_gives_one_clear_message():
    with pytest.raises(InvalidInputError, match="unknown score warp 'box'"):
        ScoreWarp.fit(SKEWED, "box")
    with pytest.raises(InvalidInputError, match="finite"):
        ScoreWarp.fit(np.array([0.1, np.nan]), "log")
