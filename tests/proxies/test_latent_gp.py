"""latent-gp: a VAE encoder and an exact GP on its codes, with uncertainty that grows off the data."""

import copy

import numpy as np
import pytest
import torch

from seqmbo.errors import InvalidInputError
from seqmbo.metrics.calibration import predictive_quality
from seqmbo.metrics.run_metrics import spearman
from seqmbo.proxies import PROXIES, make_proxy
from seqmbo.proxies.warp import ScoreWarp
from tests.landscapes import SPACE, additive, distinct

pytest.importorskip("botorch")  # the [bo] extra
SMALL = dict(vae_epochs=30, vae_batch_size=32, latent_dim=8, hidden=32)
TRAIN = distinct(400, 0)
TEST = [d for d in distinct(300, 1) if d not in set(TRAIN)]


@pytest.fixture(scope="module")
def proxy():
    state = torch.get_rng_state()
    p = make_proxy("latent-gp", SPACE, seed=0, **SMALL).fit(TRAIN, additive(TRAIN))
    assert torch.equal(torch.get_rng_state(), state)
    return p


def test_fits_predicts_and_ranks(proxy):
    assert "latent-gp" in PROXIES
    pred = proxy.predict(TEST)
    assert pred.mean.shape == pred.std.shape == (len(TEST),) and pred.mean.dtype == np.float64
    assert (pred.std >= 0).all()
    assert spearman(pred.mean, additive(TEST)) > 0.7  # measured 0.94 with 600 training designs
    assert proxy.predict([]).mean.shape == (0,)


def _function_std(proxy, designs):
    x = torch.as_tensor(proxy._unit(proxy.vae.encode(designs)), dtype=torch.float64)
    with torch.no_grad():
        return proxy.model.posterior(x).variance.sqrt().reshape(-1).numpy() * proxy.warp.sd


def test_std_grows_away_from_the_data(proxy):
    # measured: mean std 0.62 on training designs, 0.83 on unseen ones (400 training designs; 0.23 vs 0.63 with 600)
    near = _function_std(proxy, TRAIN[:200]).mean()
    assert _function_std(proxy, TEST).mean() > 1.15 * near
    # codes far outside the unit cube of the training codes: the GP falls back to its prior
    far = torch.full((4, 8), 4.0, dtype=torch.float64)
    with torch.no_grad():
        far_std = proxy.model.posterior(far).variance.sqrt().mean().item() * proxy.warp.sd
    assert far_std > 1.3 * near


def test_std_is_that_of_a_new_measurement(proxy):
    noise_var = proxy.model.likelihood.noise.item() * proxy.warp.sd**2  # in the GP's standardized outcome units
    noise_var *= proxy.model.outcome_transform.stdvs.item() ** 2
    f_std = _function_std(proxy, TEST[:30])
    assert np.allclose(proxy.predict(TEST[:30]).std, np.sqrt(f_std**2 + noise_var), rtol=1e-6)
    proxy.config.noise_in_std = False
    try:
        assert np.allclose(proxy.predict(TEST[:30]).std, f_std, rtol=1e-6)
    finally:
        proxy.config.noise_in_std = True


def test_same_seed_same_predictions_and_subsampling():
    few = dict(SMALL, vae_epochs=2, max_rows=50, fit_iters=20)
    a = make_proxy("latent-gp", SPACE, seed=4, **few).fit(TRAIN[:120], additive(TRAIN[:120]))
    b = make_proxy("latent-gp", SPACE, seed=4, **few).fit(TRAIN[:120], additive(TRAIN[:120]))
    assert a.model.train_inputs[0].shape[0] == 50
    assert np.array_equal(a.predict(TEST[:20]).mean, b.predict(TEST[:20]).mean)


def test_bad_input_gives_one_clear_message():
    p = make_proxy("latent-gp", SPACE, seed=0, **SMALL)
    with pytest.raises(InvalidInputError, match="not fitted"):
        p.predict(TRAIN[:2])
    with pytest.raises(InvalidInputError, match="3 designs but 2 scores"):
        p.fit(TRAIN[:3], np.zeros(2))
    with pytest.raises(InvalidInputError, match="at least 2 training designs, got 1"):
        p.fit(TRAIN[:1], np.zeros(1))
    with pytest.raises(InvalidInputError, match="design 2 .* has length 9"):
        p.fit([TRAIN[0], "ACGTACGTA"], np.zeros(2))
    with pytest.raises(InvalidInputError, match="has no setting"):
        make_proxy("latent-gp", SPACE, members=3)
    with pytest.raises(InvalidInputError, match="unknown warp 'box'"):
        make_proxy("latent-gp", SPACE, warp="box")


def test_log_warp_reaches_scores_far_above_the_training_range(proxy):
    # multiplicative fitness (exp of the additive landscape): the top 10% lie ~16 training sds above the rest
    gp, y = copy.deepcopy(proxy), np.exp(additive(TRAIN))
    low, top = y <= np.quantile(y, 0.9), y > np.quantile(y, 0.9)
    codes, high = gp.vae.encode([d for d, k in zip(TRAIN, low) if k]), [d for d, k in zip(TRAIN, top) if k]
    preds, quality = {}, {}
    for warp in ("none", "log"):
        gp.config.warp = warp
        preds[warp] = pred = gp.fit_gp(codes, y[low]).predict(high)
        quality[warp] = predictive_quality(y[top], pred.mean, pred.std, pred.warped)
    assert ScoreWarp.fit(y[low], "auto").kind == "log"  # the log's likelihood of these scores is higher
    assert preds["none"].warped is None
    lo, hi = preds["log"].warped.quantile(0.05), preds["log"].warped.quantile(0.95)
    assert np.all(lo < hi) and np.all(lo >= y[low].min() - 1e-9)
    inside = (y[top] >= lo) & (y[top] <= hi)
    assert np.isclose(inside.mean(), quality["log"]["coverage90"])
    assert inside[y[top] > 2 * y[low].max()].any()  # covers held-out scores beyond twice the training maximum
    # measured: 90% coverage 0.00 (none) against 0.40 (log); NLL 294 against 2.8
    assert quality["none"]["coverage90"] < 0.05 < 0.2 < quality["log"]["coverage90"]
    assert quality["log"]["nll"] < quality["none"]["nll"] - 100
