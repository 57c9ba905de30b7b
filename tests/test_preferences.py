"""Preferences over several objectives: the scalarizations, the preference-conditioned GFlowNet
(MOGFN-PC) and the latent generator's ParEGO batches."""

import numpy as np
import pytest
import torch

import seqmbo
from landscapes import SPACE, additive, distinct
from seqmbo.data import Dataset
from seqmbo.errors import InvalidInputError
from seqmbo.generators import make_generator
from seqmbo.generators.gflownet import GFlowNetConfig, GFlowNetTrainer, TokenEnv
from seqmbo.pareto import hypervolume
from seqmbo.preferences import draw_preferences, scalarize_preferences

REGEX = {"name": "regex-enriched", "kind": "regex", "patterns": ["AV", "VC"], "min_length": 12, "max_length": 14,
         "offline_size": 600, "seed": 3, "n_candidates": 16, "enriched": "AVC", "enrichment": 0.25}
TINY_PROXY = {"proxy_options": {"members": 2, "epochs": 1, "min_steps": 20}, "calibration": False}


def test_scalarizations_by_hand():
    s = torch.tensor([[1.0, 0.5], [0.2, 0.9]])
    w = torch.tensor([0.5, 0.5])
    assert scalarize_preferences(s, w, "sum").tolist() == pytest.approx([0.75, 0.55])
    # min(1/0.5, 0.5/0.5) + 0.05 * 0.75 = 1.0375; min(0.4, 1.8) + 0.05 * 0.55 = 0.4275
    assert scalarize_preferences(s, w, "chebyshev").tolist() == pytest.approx([1.0375, 0.4275])
    corner = scalarize_preferences(s, torch.tensor([1.0, 0.0]), "chebyshev")  # objective 1 alone (+ rho * it)
    assert corner.tolist() == pytest.approx([1.05, 0.21])
    w = draw_preferences(np.random.default_rng(0), 500, 3, alpha=1.0)
    assert w.shape == (500, 3) and np.allclose(w.sum(1), 1) and (w >= 0).all()
    assert np.allclose(w.mean(0), 1 / 3, atol=0.03)


def _letter_scores(tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Two conflicting objectives of DNA designs: the share of A and the share of T (+ 0.05)."""
    share = torch.stack([(tokens == 0).float().mean(1), (tokens == 3).float().mean(1)], dim=1)
    return share + 0.05


def test_preference_steers_the_sampler_towards_its_objective():
    env = TokenEnv.from_space(SPACE)
    cfg = GFlowNetConfig(steps=250, batch_size=64, beta=6.0, offline_fraction=0.0, replay_fraction=0.0,
                         epsilon=0.0, policy="mlp", hidden_dim=64)
    torch.manual_seed(0)
    trainer = GFlowNetTrainer(env, cfg, torch.Generator().manual_seed(0), n_preferences=2,
                              preference_rng=np.random.default_rng(0))
    trainer.train(_letter_scores)
    shares = {}
    for w in ((0.9, 0.1), (0.5, 0.5), (0.1, 0.9)):
        tokens, lengths = trainer.sample(2000, prefs=torch.tensor(w))
        shares[w] = _letter_scores(tokens, lengths).mean(0).tolist()
    a = [shares[w][0] for w in shares]
    t = [shares[w][1] for w in shares]
    # the more weight on A, the more As (and fewer Ts); measured (seed 0, shares + 0.05): A 0.59/0.42/0.22,
    # T 0.22/0.41/0.60
    assert a[0] > a[1] + 0.1 > a[2] + 0.2 and t[2] > t[1] + 0.1 > t[0] + 0.2
    assert trainer.log_z_head(torch.tensor([[0.9, 0.1]])).shape == (1,)
    with pytest.raises(ValueError, match="preferences"):
        trainer.sample(4)


def test_preference_settings_are_checked():
    with pytest.raises(InvalidInputError, match="preference"):
        GFlowNetConfig(preference="pareto")
    with pytest.raises(InvalidInputError, match="beta_conditioning"):
        GFlowNetConfig(preference="dirichlet", beta_conditioning=True)
    with pytest.raises(InvalidInputError, match="several objectives"):
        GFlowNetConfig(preference="dirichlet").preferences_for(1)
    assert GFlowNetConfig().preferences_for(1) == 0 and GFlowNetConfig().preferences_for(3) == 3
    assert GFlowNetConfig(preference="none").preferences_for(3) == 0
    with pytest.raises(InvalidInputError, match="scalarization"):
        make_generator("latent", scalarization="max")


def test_preference_gflownet_proposes_across_the_front_and_repeats():
    from seqmbo.generators.gflownet import GFlowNetGenerator

    reward = Letters()
    designs = [d for d in distinct(400, 1) if reward.vector([d]).sum() <= 3][:100]
    data = Dataset(designs, reward(designs), SPACE)
    opts = dict(steps=80, batch_size=64, min_samples=512, policy="mlp", hidden_dim=64)
    gen = GFlowNetGenerator(**opts)
    out = gen.propose(reward, 32, data, np.random.default_rng(0))
    assert out == GFlowNetGenerator(**opts).propose(reward, 32, data, np.random.default_rng(0))
    assert gen.last_run["preferences"] == 2 and len(gen.last_run["reward_ranges"]) == 2
    V = reward.vector(out)
    assert not ((V >= V[0]).all(1) & (V > V[0]).any(1)).any()  # NSGA-II order: no design dominates the first
    assert _front_hv(V) > _front_hv(reward.vector(designs)) + 0.1
    assert V[:, 0].max() >= 5 and V[:, 1].max() >= 5  # both ends of the front are reached


@pytest.mark.slow
def test_preference_gflownet_run_beats_the_offline_front_and_repeats():
    opts = {"steps": 60, "batch_size": 32, "min_samples": 256, "preference": "dirichlet"}
    run = seqmbo.design(REGEX, generator="gflownet", seed=0, generator_options=opts, **TINY_PROXY)
    m = run.metrics
    assert m["n_objectives"] == 2 and m["hv_p100"] > m["dataset_hv"]
    again = seqmbo.design(REGEX, generator="gflownet", seed=0, generator_options=opts, **TINY_PROXY)
    assert run.candidates["sequence"].tolist() == again.candidates["sequence"].tolist()


class Letters:
    """A reward with two conflicting objectives on DNA 8-mers: the number of As and the number of Ts."""

    n_objectives = 2

    def vector(self, designs):
        x = SPACE.encode(designs)
        return np.stack([(x == 0).sum(1), (x == 3).sum(1)], axis=1).astype(float)

    def __call__(self, designs):
        return self.vector(designs).mean(1)


class GridCodes:
    """A stand-in for a VAE: code ``z (8,)`` in ``[0, 4)^8`` decodes to the letters ``floor(z)``."""

    def decode(self, z):
        return SPACE.decode(np.clip(np.floor(z), 0, 3).astype(int))

    def encode(self, designs):
        return SPACE.encode(designs) + 0.5


def _front_hv(V):
    return hypervolume(V / 8.0, np.full(2, -0.1))


@pytest.mark.parametrize("scalarization", ["chebyshev", "sum"])
def test_latent_parego_batches_reach_past_the_offline_front(scalarization):
    pytest.importorskip("botorch")
    from seqmbo.generators.latent import LatentConfig
    from seqmbo.generators.latent_search import VectorObjective, bo_search, parego_scalar

    reward = Letters()
    offline = [d for d in distinct(400, 0) if reward.vector([d]).sum() <= 3][:100]  # at most 3 of A and T
    cfg = LatentConfig(budget=64, batch=16, raw_samples=16, restarts=1, opt_iters=10, scalarization=scalarization)
    runs = []
    for _ in range(2):
        objective = VectorObjective(GridCodes(), reward)
        bo_search(objective, GridCodes().encode(offline[:32]), (np.zeros(8), np.full(8, 4.0)), cfg, seed=0)
        runs.append(objective)
    assert list(runs[0].vectors) == list(runs[1].vectors)  # same seed, same designs
    found = np.array(list(runs[0].vectors.values()))
    assert runs[0].evaluations >= 64 and found.shape[1] == 2
    # measured: the offline front (A + T <= 3) has hypervolume 0.13; the batches' 0.40 (chebyshev), 0.50 (sum)
    assert _front_hv(found) > _front_hv(reward.vector(offline)) + 0.1
    # ParEGO's scalar: min-max normalized columns, -inf for an invalid row
    Y = np.array([[0.0, 4.0], [4.0, 0.0], [2.0, 2.0], [-np.inf, 1.0]])
    got = parego_scalar(Y, np.array([0.5, 0.5]), "sum", (np.zeros(2), np.full(2, 4.0)))
    assert got[:3].tolist() == pytest.approx([0.5, 0.5, 0.5]) and got[3] == -np.inf


def test_latent_preference_needs_several_objectives():
    designs = distinct(50, 0)
    with pytest.raises(InvalidInputError, match="several objectives"):
        make_generator("latent", preference="dirichlet", vae_epochs=1).propose(
            additive, 8, Dataset(designs, additive(designs), SPACE), np.random.default_rng(0))
