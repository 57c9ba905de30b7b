"""seqmbo's GFlowNet: it samples x with probability R(x)/Z, and the generator around it behaves.

The correctness contract trains on spaces small enough to enumerate and compares the sampled
distribution with ``R(x) / Z``:

* exactly: the model's probability of every design is ``exp(sum of log P_F)`` (``P_B = 1``),
  so ``L1(P_model, R/Z)`` is computed without sampling noise (and ``sum P_model = 1`` checks
  the masks);
* empirically: 20,000 designs drawn by the batched sampler. Their L1 distance to ``R/Z``
  has, from sampling alone, expectation ``sum_x sqrt(2 p(1-p) / (pi N))`` (the mean absolute
  deviation of a binomial proportion, normal approximation): 0.053 for the 256-design space,
  0.024 for the 39-design one (for the rewards below). The threshold is 2.5x that noise
  level; a sampler that ignored the policy or the masks is off by far more (uniform vs
  ``R/Z``: L1 > 1.2 here).

and ``log Z`` must land within 0.05 of ``log sum_x R(x)``.

The beta-conditioned sampler (one network for ``beta`` in ``[1, 2]``) is held to the same
contract at ``beta = 1, 1.5, 2`` against ``R(x)^beta / Z_beta`` (see
:func:`test_beta_conditioned_sampler_matches_reward_power_over_partition`).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from seqmbo.data.dataset import Dataset
from seqmbo.errors import InvalidInputError
from seqmbo.generators.gflownet import (
    GFlowNetConfig,
    GFlowNetGenerator,
    GFlowNetTrainer,
    ReplayBuffer,
    RewardCache,
    RewardShaper,
    TokenEnv,
    make_policy,
    sample_trajectories,
    subtrajectory_balance,
    trajectory_balance,
    trajectory_log_probs,
)
from seqmbo.generators.gflownet.constraints import TransitionMask
from seqmbo.generators.gflownet.env import row_keys
from seqmbo.spaces.sequence import SequenceSpace, dna

N_SAMPLES = 20_000


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny networks: one thread is fastest and immune to a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ---------------------------------------------------------------------------------- helpers
def enumerate_designs(env: TokenEnv) -> tuple[torch.Tensor, torch.Tensor]:
    rows, lengths = [], []
    for n in range(env.min_length, env.max_length + 1):
        for letters in itertools.product(range(env.vocab_size), repeat=n):
            rows.append(list(letters) + [-1] * (env.max_length - n))
            lengths.append(n)
    return torch.tensor(rows), torch.tensor(lengths)


def known_log_reward(env: TokenEnv):
    """A reward over ~2 orders of magnitude: letter weights, doubled at odd positions, + length."""
    weight = torch.linspace(-1.0, 1.0, env.vocab_size)
    pos_scale = 1.0 + torch.arange(env.max_length) % 2

    def log_reward(tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        real = tokens >= 0
        return (weight[tokens.clamp(min=0)] * pos_scale * real).sum(dim=1) + 0.3 * lengths.float()

    return log_reward


def sampling_noise_l1(p: torch.Tensor, n: int) -> float:
    """Expected L1 distance between ``p`` and the histogram of ``n`` draws from it."""
    return float(torch.sqrt(2 * p * (1 - p) / (math.pi * n)).sum())


def check_sampler_against_partition(
    trainer: GFlowNetTrainer, env: TokenEnv, log_reward, beta: float | None = None, log_z_tol: float = 0.05
) -> dict[str, float]:
    """The correctness contract of the module docstring, at ``beta`` (``None``: unconditioned).

    Target ``R(x)^beta / Z_beta`` (``beta = 1`` unconditioned); asserts the exact L1 < 0.05,
    the empirical L1 of :data:`N_SAMPLES` draws < 2.5x the sampling noise, and
    ``|log Z(beta) - log sum_x R(x)^beta| < log_z_tol``. Returns the measured numbers.
    """
    designs, lengths = enumerate_designs(env)
    log_r = log_reward(designs, lengths) * (1.0 if beta is None else beta)
    target = torch.softmax(log_r, dim=0)
    log_sum_r = float(torch.logsumexp(log_r, dim=0))

    model = trainer.log_prob(designs, lengths, beta).exp()
    assert float(model.sum()) == pytest.approx(1.0, abs=1e-4)  # masks: all mass on valid designs
    exact_l1 = float((model - target).abs().sum())
    assert exact_l1 < 0.05, (beta, exact_l1)

    tokens, got_lengths = trainer.sample(N_SAMPLES, beta=beta)
    index = {k: i for i, k in enumerate(row_keys(designs, env.vocab_size).tolist())}
    hits = torch.tensor([index[k] for k in row_keys(tokens, env.vocab_size).tolist()])
    assert torch.equal(got_lengths, lengths[hits])
    empirical = torch.bincount(hits, minlength=len(designs)).float() / N_SAMPLES
    l1 = float((empirical - target).abs().sum())
    noise = sampling_noise_l1(target, N_SAMPLES)
    assert l1 < 2.5 * noise, (beta, l1, noise)

    log_z_err = float(trainer.log_z_at(beta).detach()) - log_sum_r
    assert abs(log_z_err) < log_z_tol, (beta, log_z_err)
    return {"exact_l1": exact_l1, "l1": l1, "noise": noise, "log_z_err": log_z_err}


CASES = {
    # name: (env, settings); the variable-length case uses the GRU (what "auto" picks there)
    "fixed-4x4": (TokenEnv(4, 4, 4), dict(policy="mlp", hidden_dim=128, steps=500)),
    "variable-1..3x3": (TokenEnv(3, 1, 3), dict(policy="gru", hidden_dim=64, n_layers=1, steps=400)),
}


@pytest.mark.parametrize("loss", ["tb", "subtb"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_samples_match_reward_over_partition(case, loss):
    env, settings = CASES[case]
    cfg = GFlowNetConfig(
        loss=loss, batch_size=128, epsilon=0.0, offline_fraction=0.0, replay_fraction=0.0, grad_clip=None, **settings
    )
    torch.manual_seed(0)
    trainer = GFlowNetTrainer(env, cfg, torch.Generator().manual_seed(0))
    log_reward = known_log_reward(env)
    trainer.train(log_reward)
    check_sampler_against_partition(trainer, env, log_reward)


BETAS = (1.0, 1.5, 2.0)


def train_beta_conditioned(env: TokenEnv, loss: str, **settings) -> tuple[GFlowNetTrainer, object]:
    """A sampler for ``beta`` uniform in ``[1, 2]`` on :func:`known_log_reward` (contract settings)."""
    cfg = GFlowNetConfig(
        loss=loss, batch_size=128, epsilon=0.0, offline_fraction=0.0, replay_fraction=0.0, grad_clip=None,
        beta_conditioning=True, beta_min=BETAS[0], beta_max=BETAS[-1], beta=BETAS[0], **settings,
    )  # fmt: skip
    torch.manual_seed(0)
    trainer = GFlowNetTrainer(env, cfg, torch.Generator().manual_seed(0))
    log_reward = known_log_reward(env)
    trainer.train(log_reward)
    return trainer, log_reward


def assert_betas_are_distinguishable(env: TokenEnv) -> None:
    """The test can fail: a sampler blind to beta is off by far more than the 0.05 threshold."""
    designs, lengths = enumerate_designs(env)
    base = known_log_reward(env)(designs, lengths)
    p_lo, p_hi = torch.softmax(BETAS[0] * base, 0), torch.softmax(BETAS[-1] * base, 0)
    # L1(R/Z, R^2/Z_2) is 0.84 (fixed-4x4) and 0.74 (variable-1..3x3): one distribution
    # for both betas is >= 0.37 away from one of them
    assert float((p_lo - p_hi).abs().sum()) / 2 > 4 * 0.05


@pytest.mark.parametrize(
    "case, loss, steps, top_log_z_tol",
    [("fixed-4x4", "tb", 1000, 0.05), ("variable-1..3x3", "subtb", 1000, 0.15)],
)
def test_beta_conditioned_sampler_matches_reward_power_over_partition(case, loss, steps, top_log_z_tol):
    """One beta-conditioned network samples ``R^beta / Z_beta`` at every trained beta.

    Same thresholds as the unconditioned contract (exact L1 < 0.05, empirical L1 < 2.5x
    noise, ``log Z`` within 0.05), on the same spaces and rewards, with twice as many steps
    (measured exact L1 0.01-0.035 over seeds 0-3). SubTB only sees ``log Z`` through the
    sub-trajectories that start at the root, so at the top end of the beta range (trained by
    half as many nearby betas as an inner point) its ``log Z`` lags: -0.02 to -0.08 after 1000
    steps, -0.01 after 3000 (the slow test), hence 0.15 there; the distribution is already right.
    """
    env, settings = CASES[case]
    assert_betas_are_distinguishable(env)
    trainer, log_reward = train_beta_conditioned(env, loss, **{**settings, "steps": steps})
    for beta in BETAS:
        tol = top_log_z_tol if beta == BETAS[-1] else 0.05
        check_sampler_against_partition(trainer, env, log_reward, beta, log_z_tol=tol)


@pytest.mark.slow
@pytest.mark.parametrize(
    "case, loss, settings",
    [
        ("fixed-4x4", "tb", dict(policy="transformer", hidden_dim=64, steps=1000)),
        ("fixed-4x4", "subtb", dict(policy="mlp", hidden_dim=128, steps=2000)),
        ("variable-1..3x3", "subtb", dict(policy="gru", hidden_dim=64, n_layers=1, steps=3000)),
        ("variable-1..3x3", "tb", dict(policy="transformer", hidden_dim=64, steps=1500, beta_sampling="log_uniform")),
    ],
)
def test_beta_conditioned_contract_other_policies_and_losses(case, loss, settings):
    env, _ = CASES[case]
    trainer, log_reward = train_beta_conditioned(env, loss, **settings)
    for beta in BETAS:
        check_sampler_against_partition(trainer, env, log_reward, beta)


def bigram_constraint(env: TokenEnv) -> TransitionMask:
    """A sparse support: ``b`` may follow ``a`` iff ``b - a`` is in ``{0, 1}`` (mod ``V``),
    except that the last token may follow nothing but itself ... and nothing follows it."""
    v = env.vocab_size
    a, b = torch.arange(v)[:, None], torch.arange(v)[None, :]
    allowed = ((b - a) % v <= 1) & (a != v - 1)
    return TransitionMask(env, allowed)


def test_transition_mask_prunes_dead_ends_and_samples_stay_on_the_support():
    fixed = TokenEnv(4, 4, 4)
    mask = bigram_constraint(fixed)
    designs, lengths = enumerate_designs(fixed)
    inside = mask.contains(designs, lengths)
    # token 3 has no successor: allowed only last; 0->0/1, 1->1/2, 2->2/3
    expected = [all((b - a) % 4 <= 1 and a != 3 for a, b in zip(d, d[1:])) for d in designs.tolist()]
    assert inside.tolist() == expected and 0 < int(inside.sum()) < len(designs)
    assert not mask.table[0, 4, 3] and mask.table[3, 2, 3]  # dead end pruned at the start, fine at the end
    variable = TokenEnv(4, 2, 4)
    vmask = bigram_constraint(variable)
    assert vmask.table[1, 2, 3] and vmask.table[2, 3].tolist() == [False] * 4 + [True]  # 2 -> 3, then only stop
    torch.manual_seed(0)
    for env, m in ((fixed, mask), (variable, vmask)):
        net = make_policy(env, "gru", hidden_dim=8, n_layers=1)
        gen = torch.Generator().manual_seed(0)
        tokens, lengths = sample_trajectories(net, env, 2000, gen, epsilon=0.5, constraint=m)
        assert m.contains(tokens, lengths).all()
        assert env.valid_rows(tokens)[0].all()
    unconstrained = TransitionMask.from_bigrams(fixed, np.ones((4, 4), bool))
    assert unconstrained is None  # nothing to mask: the plain path


def test_constrained_sampler_matches_reward_over_the_supported_designs():
    """The contract on the designs of the support (``R = 0`` elsewhere): masks keep P_F normalized."""
    env, settings = CASES["fixed-4x4"]
    cfg = GFlowNetConfig(
        batch_size=128, epsilon=0.0, offline_fraction=0.0, replay_fraction=0.0, grad_clip=None, **settings
    )
    torch.manual_seed(0)
    trainer = GFlowNetTrainer(env, cfg, torch.Generator().manual_seed(0))
    trainer.set_constraint(bigram_constraint(env))
    known = known_log_reward(env)

    def log_reward(tokens, lengths):  # what the trainer never samples gets (numerically) zero reward
        return torch.where(trainer.constraint.contains(tokens, lengths), known(tokens, lengths), -1e4)

    trainer.train(log_reward)
    check_sampler_against_partition(trainer, env, log_reward)


@pytest.mark.parametrize("conditioned", [False, True], ids=["plain", "beta"])
@pytest.mark.parametrize("policy", ["mlp", "gru", "transformer"])
@pytest.mark.parametrize("env", [TokenEnv(3, 2, 5), TokenEnv(5, 6, 6)], ids=["variable", "fixed"])
def test_incremental_sampling_logits_match_the_batched_forward(policy, env, conditioned):
    torch.manual_seed(0)
    beta_range = (0.5, 8.0) if conditioned else None
    net = make_policy(env, policy, hidden_dim=32, n_layers=2, beta_range=beta_range).eval()
    beta = torch.linspace(0.5, 8.0, 16) if conditioned else None
    tokens, _ = sample_trajectories(net, env, 16, torch.Generator().manual_seed(1), epsilon=0.5, beta=beta)
    with torch.no_grad():
        full, _ = net(tokens, env.n_positions, beta)
        if conditioned:  # beta changes the logits
            assert not torch.allclose(full, net(tokens, env.n_positions, beta.flip(0))[0])
        state = net.start(16, beta)
        for t in range(env.max_length):  # the sampler's positions (t = L is a forced stop)
            logits, state = net.step(state, tokens, t)
            live = (tokens[:, t - 1] >= 0) if t else torch.ones(16, dtype=torch.bool)
            torch.testing.assert_close(logits[live], full[live, t], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("beta_range", [None, (1.0, 4.0)], ids=["plain", "beta"])
def test_mlp_dense_and_prefix_sum_first_layers_agree(beta_range):
    env = TokenEnv(4, 3, 6)
    torch.manual_seed(0)
    net = make_policy(env, "mlp", hidden_dim=16, beta_range=beta_range)
    beta = None if beta_range is None else torch.linspace(1.0, 4.0, 8)
    tokens, _ = sample_trajectories(net, env, 8, torch.Generator().manual_seed(0), epsilon=1.0, beta=beta)
    with torch.no_grad():
        dense = net(tokens, env.n_positions, beta)
        net.dense_max = 0
        sums = net(tokens, env.n_positions, beta)
    torch.testing.assert_close(dense, sums)


def test_masks_stop_action_and_lengths():
    env = TokenEnv(3, 2, 4)
    m = env.masks()
    assert m.shape == (5, 4)
    assert not m[:2, 3].any() and m[2:, 3].all()  # stop forbidden before min_length
    assert m[4].tolist() == [False, False, False, True]  # ... and the only action at max_length
    fixed = TokenEnv(4, 5, 5)
    assert fixed.n_actions == 4 and fixed.masks().all() and fixed.stop is None

    torch.manual_seed(0)
    net = make_policy(env, "gru", hidden_dim=8, n_layers=1)
    for eps in (0.0, 1.0):  # the untrained policy, and uniformly random valid actions
        tokens, lengths = sample_trajectories(net, env, 4000, torch.Generator().manual_seed(2), epsilon=eps)
        assert lengths.min() >= 2 and lengths.max() <= 4
        ok, counted = env.valid_rows(tokens)
        assert ok.all() and torch.equal(counted, lengths)
        assert set(lengths.tolist()) == {2, 3, 4}


def test_subtb_with_huge_lambda_is_tb_and_residuals_are_zero_on_a_balanced_flow():
    gen = torch.Generator().manual_seed(0)
    log_pf = -torch.rand(6, 5, generator=gen)
    log_flow = torch.randn(6, 5, generator=gen)
    log_z, log_r = torch.tensor(0.3), torch.randn(6, generator=gen)
    steps = torch.full((6,), 5)
    tb = trajectory_balance(log_pf, log_z, log_r)
    subtb = subtrajectory_balance(log_pf, log_flow, log_z, log_r, steps, lam=1e6)
    assert float(subtb) == pytest.approx(float(tb), rel=1e-3)
    # flows consistent with P_F and R (F(s_t) = Z * prod P_F, R = F(s_K)) give a zero loss
    flows = log_z + torch.cat([torch.zeros(6, 1), log_pf.cumsum(1)[:, :-1]], dim=1)
    balanced_r = log_z + log_pf.sum(1)
    assert float(subtrajectory_balance(log_pf, flows, log_z, balanced_r, steps, lam=0.9)) < 1e-10
    # variable lengths: positions past a trajectory's end are ignored
    short = torch.tensor([3, 5, 2, 5, 1, 4])
    pf_short = torch.where(torch.arange(5)[None] < short[:, None], log_pf, 0.0)
    r_short = log_z + pf_short.sum(1)
    assert float(subtrajectory_balance(pf_short, flows, log_z, r_short, short, lam=0.9)) < 1e-10


def test_trajectory_log_probs_include_the_stop_action():
    env = TokenEnv(2, 1, 2)
    net = make_policy(env, "mlp", hidden_dim=8)
    designs, lengths = enumerate_designs(env)  # A, B, AA, AB, BA, BB
    with torch.no_grad():
        log_pf, _ = trajectory_log_probs(net, env, designs, lengths)
    assert log_pf.shape == (6, 3)
    assert (log_pf[lengths == 1, 2] == 0).all()  # no action after the stop
    assert (log_pf[lengths == 2, 2] == 0).all()  # the forced stop at max_length has P = 1
    assert float(log_pf.sum(1).exp().sum()) == pytest.approx(1.0, abs=1e-5)


# ---------------------------------------------------------------------------------- rewards
def test_reward_shaper_normalizes_any_units():
    raw = np.array([-1003.0, -1001.0, -1000.0])  # negative, arbitrary units
    shaper = RewardShaper.fit(raw, "power", beta=2.0, reward_min=1e-3, low_quantile=0.0)
    assert (shaper.lo, shaper.hi) == (-1003.0, -1000.0)
    s = shaper.normalize(np.array([-1003.0, -1000.0, -997.0, np.nan, -np.inf, -2000.0]))
    np.testing.assert_allclose(s, [1e-3, 1.0, 2.0, 1e-3, 1e-3, 1e-3])  # better than data: > 1
    np.testing.assert_allclose(shaper(np.array([-1000.0, -997.0])), [0.0, 2 * np.log(2.0)])
    expo = RewardShaper.fit(raw, "exponential", beta=3.0, low_quantile=0.0)
    np.testing.assert_allclose(expo(np.array([-1000.0, -997.0])), [3.0, 6.0])
    # scaling and shifting the raw reward changes nothing
    moved = RewardShaper.fit(raw * 7 + 5, "power", beta=2.0, low_quantile=0.0)
    np.testing.assert_allclose(moved(raw * 7 + 5), shaper(raw))
    # degenerate ranges stay finite
    for data in (np.array([5.0]), np.array([2.0, 2.0]), np.array([np.nan])):
        assert np.isfinite(RewardShaper.fit(data)(np.array([0.0, 2.0, 5.0]))).all()


def test_invalid_designs_get_the_floor_less_the_penalty_scalar_and_preference_targets():
    from seqmbo.generators.gflownet.preference import VectorShaper, preference_log_reward

    shaper = RewardShaper.fit(np.array([0.0, 1.0]), "power", beta=2.0, reward_min=1e-3, low_quantile=0.0, penalty=50.0)
    got = shaper(np.array([1.0, -5.0, np.nan, -np.inf]))
    floor = 2.0 * np.log(1e-3)
    np.testing.assert_allclose(got, [0.0, floor, floor - 50.0, floor - 50.0])  # a poor valid design: the floor only
    # several objectives: invalid rows become nan, their targets the floor less the penalty
    cfg = GFlowNetConfig(beta=2.0, reward_min=1e-3)
    vec = VectorShaper.fit(np.array([[0.0, 0.0], [1.0, 1.0]]), GFlowNetConfig(low_quantile=0.0))
    scores = vec(np.array([[1.0, 1.0], [np.nan, 0.5], [1.0, -np.inf]]))
    assert np.isfinite(scores[0]).all() and np.isnan(scores[1:]).all()
    w = torch.full((3, 2), 0.5)
    targets = preference_log_reward(torch.as_tensor(scores), w, cfg, penalty=50.0)
    assert float(targets[0]) > floor
    at_floor = float(preference_log_reward(torch.full((1, 2), 1e-3, dtype=torch.float64), w[:1], cfg)[0])
    np.testing.assert_allclose(targets[1:].numpy(), [at_floor - 50.0] * 2, rtol=1e-6)
    # the default penalty is the log-count of the token strings
    env = TokenEnv(67, 1, 76)
    assert GFlowNetConfig().invalid_log_penalty(env) == pytest.approx(76 * math.log(68))
    assert GFlowNetConfig(invalid_penalty=0).invalid_log_penalty(env) == 0.0
    assert GFlowNetConfig().invalid_log_penalty(env, cloning=False) == 0.0  # the floor only without cloning
    # behaviour cloning is on by default for molecules with several objectives only
    assert GFlowNetConfig().cloning_steps("molecule", 2) == 300
    assert GFlowNetConfig().cloning_steps("molecule", 0) == GFlowNetConfig().cloning_steps("protein", 3) == 0
    assert GFlowNetConfig(pretrain_steps=50).cloning_steps("dna", 0) == 50


def test_reward_cache_calls_once_per_batch_on_new_designs_only():
    seen: list[list[str]] = []

    def reward(designs):
        seen.append(list(designs))
        return np.arange(len(designs), dtype=float)

    cache = RewardCache(reward)
    a = cache(["AC", "GT", "AC"])
    b = cache(["GT", "TT", "AC", "TT"])
    assert seen == [["AC", "GT"], ["TT"]]
    np.testing.assert_array_equal(a, [0, 1, 0])
    np.testing.assert_array_equal(b, [1, 0, 0, 0])
    cache(["AC"])
    assert cache.calls == 2


def test_replay_buffer_keeps_the_best_distinct_designs():
    buf = ReplayBuffer(3, 2, 4)
    buf.add(torch.tensor([[0, 1], [0, 1], [2, 2]]), torch.tensor([2, 2, 2]), torch.tensor([1.0, 1.0, 0.5]))
    buf.add(torch.tensor([[3, 3], [1, 1], [0, 1]]), torch.tensor([2, 2, 2]), torch.tensor([5.0, -1.0, 1.0]))
    assert buf.tokens.tolist() == [[3, 3], [0, 1], [2, 2]]
    assert buf.log_rewards.tolist() == [5.0, 1.0, 0.5]


# ---------------------------------------------------------------------------------- generator
TARGET = "GATTACA"
SPACE = dna(7)
FAST = dict(steps=400, hidden_dim=64, batch_size=64, min_samples=512)


def matches(designs) -> np.ndarray:
    """Reward in odd units: letters matching GATTACA, shifted negative."""
    return np.array([sum(a == b for a, b in zip(d, TARGET)) for d in designs], dtype=float) - 50.0


def offline(space=SPACE, n=400, max_matches=3) -> Dataset:
    rng = np.random.default_rng(0)
    designs = [d for d in dict.fromkeys(space.sample(4 * n, rng)) if matches([d])[0] + 50 <= max_matches][:n]
    return Dataset(designs, matches(designs) + 50.0, space)


def test_generator_finds_the_optimum_outside_the_data_and_returns_sorted_novel_designs():
    calls: list[list[str]] = []

    def reward(designs):
        calls.append(list(designs))
        return matches(designs)

    data = offline()
    gen = GFlowNetGenerator(**FAST)
    out = gen.propose(reward, 32, data, np.random.default_rng(0))
    assert len(out) >= 32 and len(set(out)) == len(out)
    assert SPACE.is_valid(out).all()
    assert not set(out) & set(data.designs)
    scores = matches(out)
    assert (np.diff(scores) <= 0).all()  # best first
    assert out[0] == TARGET
    # every design was scored once, in one call per batch
    flat = [d for batch in calls for d in batch]
    assert len(flat) == len(set(flat))
    assert len(calls) <= FAST["steps"] + 2
    assert gen.last_run["reward_calls"] == len(calls)


def test_generator_is_reproducible():
    data = offline()
    quick = {**FAST, "steps": 40}
    a = GFlowNetGenerator(**quick).propose(matches, 8, data, np.random.default_rng(7))
    b = GFlowNetGenerator(**quick).propose(matches, 8, data, np.random.default_rng(7))
    c = GFlowNetGenerator(**quick).propose(matches, 8, data, np.random.default_rng(8))
    assert a == b
    assert a != c


def test_a_warm_started_propose_trains_warm_steps_on_the_same_policy(monkeypatch):
    steps: list[int] = []
    train = GFlowNetTrainer.train

    def counted(self, log_reward, n=None):
        losses = train(self, log_reward, n)
        steps.append(len(losses))
        return losses

    monkeypatch.setattr(GFlowNetTrainer, "train", counted)
    data = offline()
    gen = GFlowNetGenerator(**{**FAST, "steps": 30, "warm_steps": 7})
    gen.warm_start = True
    gen.propose(matches, 8, data, np.random.default_rng(0))
    first = gen._trainer
    gen.propose(matches, 8, data, np.random.default_rng(1))
    assert gen._trainer is first and steps == [30, 7]
    cold = GFlowNetGenerator(**{**FAST, "steps": 30, "warm_steps": 7})  # without warm_start every propose is fresh
    cold.propose(matches, 8, data, np.random.default_rng(0))
    cold.propose(matches, 8, data, np.random.default_rng(1))
    assert steps[2:] == [30, 30]
    with pytest.raises(InvalidInputError, match="warm_steps"):
        GFlowNetConfig(warm_steps=-1)


@pytest.mark.parametrize(
    "loss, policy, expected",
    [("tb", "auto", "GRUPolicy"), ("subtb", "auto", "GRUPolicy"), ("tb", "transformer", "TransformerPolicy")],
)
def test_generator_variable_length_space(loss, policy, expected):
    space = SequenceSpace("ACGT", 3, 9, "dna")

    def reward(designs):  # prefers long designs rich in G; nan for one invalid pattern
        r = np.array([d.count("G") + 0.2 * len(d) for d in designs], dtype=float)
        r[[d.startswith("TTT") for d in designs]] = np.nan
        return r

    rng = np.random.default_rng(1)
    designs = list(dict.fromkeys(space.sample(300, rng)))
    data = Dataset(designs, np.nan_to_num(reward(designs)), space)
    gen = GFlowNetGenerator(
        loss=loss, policy=policy, hidden_dim=32, n_layers=1, steps=60, batch_size=64, min_samples=400
    )
    out = gen.propose(reward, 16, data, np.random.default_rng(0))
    assert gen.last_run["policy"] == expected
    assert len(out) >= 16 and len(set(out)) == len(out)
    assert space.is_valid(out).all()
    lengths = {len(d) for d in out}
    assert min(lengths) >= 3 and max(lengths) <= 9 and len(lengths) > 1
    r = reward(out)
    finite = np.isfinite(r)
    assert finite[: finite.sum()].all()  # invalid designs, if any, come last
    assert (np.diff(r[finite]) <= 0).all()


def test_config_checks_and_overrides():
    assert GFlowNetGenerator(loss="subtb").config.loss == "subtb"
    assert GFlowNetGenerator(GFlowNetConfig(steps=5), beta=3.0).config == GFlowNetConfig(steps=5, beta=3.0)
    with pytest.raises(InvalidInputError, match="has no setting"):
        GFlowNetGenerator(stepz=3)
    with pytest.raises(InvalidInputError, match="loss must be one of"):
        GFlowNetConfig(loss="db")
    with pytest.raises(InvalidInputError, match="offline_fraction \\+ replay_fraction"):
        GFlowNetConfig(offline_fraction=0.6, replay_fraction=0.6)


def test_beta_conditioning_config_checks():
    cfg = GFlowNetConfig(beta_conditioning=True, beta_min=1.0, beta_max=16.0, beta=4.0, sample_betas=[2, 8])
    assert cfg.sample_betas == (2.0, 8.0) and cfg.proposal_betas == (2.0, 8.0)  # lists (TOML) become tuples
    assert GFlowNetConfig(beta_conditioning=True, beta=4.0).proposal_betas == (4.0,)
    bad = [
        (dict(beta_min=0.0), "0 < beta_min <= beta_max"),
        (dict(beta_min=5.0, beta_max=2.0, beta=3.0), "0 < beta_min <= beta_max"),
        (dict(beta=30.0), "outside the trained range"),
        (dict(beta=4.0, sample_betas=[0.5]), "outside the trained range"),
        (dict(beta_sampling="normal"), "beta_sampling must be one of"),
        (dict(sample_betas="high"), "sample_betas must be a list of numbers"),
    ]
    for settings, message in bad:
        with pytest.raises(InvalidInputError, match=message):
            GFlowNetConfig(beta_conditioning=True, **settings)
    with pytest.raises(InvalidInputError, match="sample_betas needs beta_conditioning"):
        GFlowNetConfig(sample_betas=[1.0])
    GFlowNetConfig(beta_min=-1.0)  # the range is not looked at while conditioning is off


def test_unconditioned_trainer_refuses_other_betas():
    env = TokenEnv(4, 3, 3)
    trainer = GFlowNetTrainer(env, GFlowNetConfig(beta=2.0, hidden_dim=8))
    assert trainer.log_z_at(2.0) is trainer.log_z
    with pytest.raises(ValueError, match="not beta-conditioned"):
        trainer.sample(4, beta=3.0)
    conditioned = GFlowNetTrainer(env, GFlowNetConfig(beta_conditioning=True, hidden_dim=8))
    assert conditioned.log_z is None and conditioned.log_z_at(torch.tensor([1.0, 20.0])).shape == (2,)
    with pytest.raises(ValueError, match="needs each trajectory's beta"):
        conditioned.loss(*conditioned.sample(4), torch.zeros(4))


@pytest.mark.parametrize("loss, policy", [("tb", "auto"), ("subtb", "transformer")])
def test_generator_beta_conditioned_samples_at_each_proposal_beta(loss, policy):
    data = offline()
    quick = {**FAST, "steps": 60, "loss": loss, "policy": policy, "hidden_dim": 32}
    cond = dict(beta_conditioning=True, beta_min=1.0, beta_max=16.0, beta=8.0, sample_betas=[1.0, 16.0])
    gen = GFlowNetGenerator(**quick, **cond)
    out = gen.propose(matches, 8, data, np.random.default_rng(7))
    assert out == GFlowNetGenerator(**quick, **cond).propose(matches, 8, data, np.random.default_rng(7))
    assert len(out) >= 8 and len(set(out)) == len(out) and SPACE.is_valid(out).all()
    assert not set(out) & set(data.designs) and (np.diff(matches(out)) <= 0).all()
    assert math.isfinite(gen.last_run["log_z"])


def test_generator_masks_actions_off_the_rewards_bigram_support():
    class SupportedReward:  # the shape of ProxyReward: off-support designs get -inf
        def __init__(self):
            self.seen = np.ones((4, 4), dtype=bool)
            self.seen[3, 3] = self.seen[0, 2] = False  # no "TT", no "AG"

        def support_bigrams(self):
            return self.seen

        def __call__(self, designs):
            r = matches(designs)
            return np.where([("TT" in d) or ("AG" in d) for d in designs], -np.inf, r)

    data = offline()
    off_support = int(np.isinf(SupportedReward()(data.designs)).sum())  # all scored at calibration
    gen = GFlowNetGenerator(**{**FAST, "steps": 40})
    out = gen.propose(SupportedReward(), 16, data, np.random.default_rng(0))
    assert gen.last_run["support_mask"] and gen.last_run["designs_invalid"] == off_support
    assert len(out) >= 16 and not any(("TT" in d) or ("AG" in d) for d in out)
    plain = GFlowNetGenerator(**{**FAST, "steps": 40}, support_mask=False)
    plain.propose(SupportedReward(), 16, data, np.random.default_rng(0))
    assert not plain.last_run["support_mask"] and plain.last_run["designs_invalid"] > off_support


@pytest.mark.slow
def test_generator_default_settings_improve_on_an_8_letter_landscape():
    """A tfbind8-sized problem with the default settings (~1 min on 2 cores)."""
    space = dna(8)
    r = np.random.default_rng(1)
    additive, pairwise = r.normal(size=(8, 4)), 0.7 * r.normal(size=(7, 4, 4))
    grid = np.array(list(itertools.product(range(4), repeat=8)))
    f = additive[np.arange(8), grid].sum(1) + pairwise[np.arange(7), grid[:, :-1], grid[:, 1:]].sum(1)
    table = dict(zip(space.decode(grid), f))
    low = np.flatnonzero(f <= np.median(f))
    data = Dataset(space.decode(grid[low]), f[low], space)

    def reward(designs):
        return np.array([table[d] for d in designs])

    out = GFlowNetGenerator().propose(reward, 128, data, np.random.default_rng(0))
    top = reward(out[:128])
    norm = (top - f.min()) / (f.max() - f.min())
    assert norm.max() > 0.95 and np.median(norm) > 0.8  # the offline best is ~0.54


def test_behaviour_cloning_raises_the_likelihood_of_the_data_and_keeps_samples_inside_it():
    env = TokenEnv(4, 2, 8)
    rng = np.random.default_rng(0)
    lengths = torch.as_tensor(rng.integers(2, 9, 200))
    tokens = torch.full((200, 8), -1)
    for i, n in enumerate(lengths.tolist()):  # the data: tokens 0 and 1 only
        tokens[i, :n] = torch.as_tensor(rng.integers(0, 2, n))
    with torch.random.fork_rng():
        torch.manual_seed(0)
        trainer = GFlowNetTrainer(env, GFlowNetConfig(batch_size=64), torch.Generator().manual_seed(0))
    inside = lambda t: float(((t >= 2).sum(dim=1) == 0).float().mean())  # noqa: E731
    before, share_before = float(trainer.log_prob(tokens, lengths).mean()), inside(trainer.sample(1000)[0])
    losses = trainer.behaviour_clone(tokens, lengths, 100)
    after, share_after = float(trainer.log_prob(tokens, lengths).mean()), inside(trainer.sample(1000)[0])
    assert len(losses) == 100 and losses[-1] < losses[0] - 2.0
    # the best a policy can do here is log(1/7) + n log(1/2) (lengths uniform in 2..8): -5.1 on average
    assert before < -8.0 and after > -6.0
    assert share_before < 0.1 and share_after > 0.9
    # log Z is set to the mean gap log R - log P_F over the designs
    log_r = lambda t, n: torch.full((t.shape[0],), -2.0)  # noqa: E731
    value = trainer.fit_log_z(tokens, lengths, log_r)
    assert value == pytest.approx(-2.0 - float(trainer.log_prob(tokens, lengths).mean()), abs=1e-4)
    assert float(trainer.log_z.detach()) == pytest.approx(value)


def test_generator_pretraining_keeps_training_designs_on_a_sparse_support():
    space = SequenceSpace("ACGT", 3, 12, "dna")

    def reward(designs):  # the support: designs made of A and C only (no bigram table); more C is better
        return np.array([d.count("C") + 0.1 * len(d) if set(d) <= {"A", "C"} else -np.inf for d in designs])

    rng = np.random.default_rng(1)
    designs = ["".join(rng.choice(list("AC"), n)) for n in rng.integers(3, 9, 300)]
    designs += list(space.sample(100, rng))
    designs = list(dict.fromkeys(designs))
    data = Dataset(designs, np.nan_to_num(reward(designs), neginf=0.0), space)
    quick = dict(hidden_dim=32, n_layers=1, steps=30, batch_size=64, min_samples=400)
    shares, accepted = {}, {}
    for steps in (0, 200):
        gen = GFlowNetGenerator(**quick, pretrain_steps=steps)
        out = gen.propose(reward, 16, data, np.random.default_rng(0))
        run = gen.last_run
        shares[steps] = run["designs_invalid"] / run["designs_scored"]
        accepted[steps] = int(np.isfinite(reward(out)).sum())
    assert gen.last_run["pretrain_designs"] == int(np.isfinite(reward(designs)).sum())
    assert gen.last_run["pretrain_nll"][1] < gen.last_run["pretrain_nll"][0]
    assert shares[0] > 0.8 and shares[200] < 0.5
    assert accepted[200] > 2 * accepted[0]
