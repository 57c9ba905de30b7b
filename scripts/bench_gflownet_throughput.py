"""Throughput of trajectory-balance training: seqmbo's GFlowNet vs torchgfn, side by side.

The task both sides train on:

* sequences of 8 letters over a 4-letter alphabet, built left to right by appending
  (torchgfn: its append-only ``BitSequence`` with 2-bit words, i.e. 4 letters, 8 words, plus
  its obligatory exit action; seqmbo: ``TokenEnv(4, 8, 8)``, fixed length, no stop action);
* the same policy network: one-hot prefix ``(8 x 4 = 32)`` -> 256 -> ReLU -> 256 -> ReLU
  -> 5 outputs (torchgfn: 4 letters + exit; seqmbo: 4 letters + the state-flow output);
* the same reward, one torch function on the ``(n, 8)`` letters: ``log R = -d / 2`` with
  ``d`` the Hamming distance to the nearest of 8 fixed modes;
* batch 64, on-policy, no exploration, fused Adam (lr 1e-3, log Z lr 0.1), no gradient
  clipping, ``torch.set_num_threads(--threads)`` (default 1) for both.

torchgfn is measured two ways — log-probs saved while sampling (one pass with gradients)
and recomputed after sampling without gradients — and its faster way is the one compared.
Rounds alternate between the sides, so a busy machine slows both alike; the median round
of each side is reported (and the best).

torchgfn is never a dependency of seqmbo: run this script with a throw-away interpreter that
has it, e.g. ::

    python3 -m venv /tmp/gfnbench-venv
    /tmp/gfnbench-venv/bin/pip install torch==2.13.0    # the local CPU wheel
    /tmp/gfnbench-venv/bin/pip install torchgfn==2.4.1
    /tmp/gfnbench-venv/bin/python scripts/bench_gflownet_throughput.py

Without torchgfn (``import gfn`` fails) only seqmbo's side runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # seqmbo from this checkout

LENGTH, LETTERS, BATCH, HIDDEN = 8, 4, 64, 256


def make_log_reward() -> Callable[[torch.Tensor], torch.Tensor]:
    """``log R(x) = -(Hamming distance to the nearest of 8 modes) / 2`` on ``(n, 8)`` letters."""
    modes = torch.randint(0, LETTERS, (8, LENGTH), generator=torch.Generator().manual_seed(0))

    def log_reward(letters: torch.Tensor) -> torch.Tensor:
        dist = (letters[:, None, :] != modes[None]).sum(dim=-1).min(dim=1).values
        return -0.5 * dist.float()

    return log_reward


def make_mlp(n_out: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(LENGTH * LETTERS, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, n_out)
    )


# ---------------------------------------------------------------------------------- seqmbo
Side = tuple[Callable[[], None], Callable[[], float]]  # one training step, current log Z


def seqmbo_side(log_reward: Callable) -> Side:
    from seqmbo.generators.gflownet import GFlowNetConfig, GFlowNetTrainer, TokenEnv

    cfg = GFlowNetConfig(
        policy="mlp", hidden_dim=HIDDEN, n_layers=2, batch_size=BATCH, loss="tb", lr=1e-3, lr_logz=0.1,
        grad_clip=None, epsilon=0.0, temperature=1.0, offline_fraction=0.0, replay_fraction=0.0,
    )
    torch.manual_seed(0)
    trainer = GFlowNetTrainer(TokenEnv(LETTERS, LENGTH, LENGTH), cfg, torch.Generator().manual_seed(0))
    assert sum(p.numel() for p in trainer.policy.parameters()) == sum(p.numel() for p in make_mlp(5).parameters())

    def fn(tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return log_reward(tokens)

    return (lambda: trainer.step(fn)), (lambda: float(trainer.log_z.detach()))


# ---------------------------------------------------------------------------------- torchgfn
def torchgfn_sides(log_reward: Callable) -> dict[str, Side]:
    """torchgfn's public API: an env, a policy estimator, TBGFlowNet, its sampler."""
    from gfn.estimators import DiscretePolicyEstimator
    from gfn.gflownet import TBGFlowNet
    from gfn.gym import BitSequence
    from gfn.preprocessors import Preprocessor

    class Letters(BitSequence):
        """Append-only sequences of 8 two-bit words (= 4 letters), with the shared reward."""

        def log_reward(self, final_states):  # noqa: D102
            return log_reward(final_states.tensor)

    class OneHotPrefix(Preprocessor):
        """One-hot of the placed letters, padding (-1) as zeros: ``(n, 32)``."""

        def preprocess(self, states):  # noqa: D102
            t = states.tensor.clamp(min=-1, max=LETTERS - 1) + 1
            return nn.functional.one_hot(t, LETTERS + 1)[..., 1:].flatten(-2).float()

    env = Letters(word_size=2, seq_size=2 * LENGTH, n_modes=4)
    assert env.n_actions == LETTERS + 1

    def build() -> tuple[TBGFlowNet, torch.optim.Optimizer]:
        torch.manual_seed(0)
        preprocessor = OneHotPrefix(LENGTH * LETTERS)
        pf = DiscretePolicyEstimator(make_mlp(env.n_actions), env.n_actions, preprocessor=preprocessor)
        net = TBGFlowNet(pf=pf, pb=None, constant_pb=True, init_logZ=0.0)
        groups = [{"params": net.pf_pb_parameters(), "lr": 1e-3}, {"params": net.logz_parameters(), "lr": 0.1}]
        opt = torch.optim.Adam(groups, fused=True)  # the same optimizer kernel as seqmbo's trainer
        return net, opt

    def side(recompute: bool) -> Side:
        """torchgfn's two ways: keep the log-probs of sampling, or sample without grad and recompute them."""
        net, opt = build()

        def step() -> None:
            with torch.set_grad_enabled(not recompute):
                trajectories = net.sample_trajectories(env, n=BATCH, save_logprobs=not recompute)
            loss = net.loss(env, trajectories, recalculate_all_logprobs=recompute)
            opt.zero_grad()
            loss.backward()
            opt.step()

        return step, lambda: float(net.logZ.detach())

    return {"torchgfn (log-probs while sampling)": side(False), "torchgfn (recomputed)": side(True)}


# ---------------------------------------------------------------------------------- timing
def true_log_partition(log_reward: Callable) -> float:
    """``log sum_x R(x)`` over all ``4^8`` sequences."""
    grid = torch.cartesian_prod(*[torch.arange(LETTERS)] * LENGTH)
    return float(torch.logsumexp(log_reward(grid), dim=0))


def measure(sides: dict[str, Side], n_steps: int, rounds: int, warmup: int) -> dict[str, list[float]]:
    for step, _ in sides.values():
        for _ in range(warmup):
            step()
    rates: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, (step, _) in sides.items():
            start = time.perf_counter()
            for _ in range(n_steps):
                step()
            rates[name].append(n_steps * BATCH / (time.perf_counter() - start))
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="training steps a round and side")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--warmup", type=int, default=30, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (both sides)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    log_reward = make_log_reward()

    sides = {"seqmbo": seqmbo_side(log_reward)}
    from importlib.metadata import PackageNotFoundError, version

    try:
        gfn_version = version("torchgfn")
    except PackageNotFoundError:
        gfn_version = None
    if gfn_version is not None:
        sides.update(torchgfn_sides(log_reward))

    rates = measure(sides, args.steps, args.rounds, args.warmup)
    print(
        f"TB training throughput, {LENGTH} letters over {LETTERS}, batch {BATCH}, MLP 32-{HIDDEN}-{HIDDEN}-5, "
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), "
        f"{args.rounds} rounds x {args.steps} steps"
    )
    for name, values in rates.items():
        print(f"  {name:38s} median {statistics.median(values):9.0f} traj/s   best {max(values):9.0f} traj/s")
    n_trained = args.warmup + args.rounds * args.steps
    log_zs = ", ".join(f"{name} {log_z():.3f}" for name, (_, log_z) in sides.items())
    print(f"  sanity: log Z after {n_trained} steps: {log_zs}; true log sum R = {true_log_partition(log_reward):.3f}")
    if gfn_version is None:
        print("  torchgfn: not importable here (run with an interpreter that has torchgfn==2.4.1)")
        return 0
    ours = statistics.median(rates["seqmbo"])
    name = max((k for k in rates if k != "seqmbo"), key=lambda k: statistics.median(rates[k]))
    theirs = statistics.median(rates[name])
    best_ratio = max(rates["seqmbo"]) / max(max(v) for k, v in rates.items() if k != "seqmbo")
    print(f"  torchgfn {gfn_version}: faster way = {name}")
    print(f"  ratio seqmbo / torchgfn: {ours / theirs:.2f}x (medians), {best_ratio:.2f}x (bests)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
