"""GFlowNet training-step time with the run's proxy reward: designs as token tensors vs strings.

One script run measures both ways on the same proxy, reward, settings and seed:

* ``tokens``: the run's :class:`~seqmbo.proxies.reward.ProxyReward`, which the GFlowNet scores
  through ``on_tokens`` (validity and bigram support checked on the ids, the proxy reads
  their one-hot; no strings while training);
* ``strings``: the same reward seen only as a function of strings (no ``on_tokens``), which
  makes the GFlowNet decode every new design, check it letter by letter, encode it and
  one-hot it again at every step — the way it worked before ``on_tokens``.

A step's time is ``(time of propose with S steps - time with 0 steps) / S`` (calibration and
final sampling cancel), with fresh reward caches each time; rounds alternate between the two
ways so a busy machine slows both alike; the median round is reported. Both ways give the same
candidates (checked).

Usage::

    python scripts/bench_gflownet_steps.py --task tfbind8 --steps 200 --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # seqmbo from this checkout


class StringsOnly:
    """The same reward without ``on_tokens``: the GFlowNet must make strings."""

    def __init__(self, reward) -> None:
        self.reward = reward

    def __call__(self, designs):
        return self.reward(designs)

    def support_bigrams(self):
        return self.reward.support_bigrams()


def propose_time(make_reward, data, steps: int, options: dict, device: str) -> tuple[float, list[str]]:
    from seqmbo.generators import make_generator

    gen = make_generator("gflownet", device=device, **{**options, "steps": steps})
    reward = make_reward()
    t = time.perf_counter()
    out = gen.propose(reward, 128, data, np.random.default_rng(0))
    return time.perf_counter() - t, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="tfbind8", help="a sequence task (tfbind8 needs its data)")
    parser.add_argument("--steps", type=int, default=200, help="training steps a timed propose")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--batch-size", type=int, default=128, help="trajectories a step")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--device", default="cpu", help="auto, cpu or cuda")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    from seqmbo.gates import BigramSupport
    from seqmbo.proxies import ProxyReward, make_proxy
    from seqmbo.tasks import load_task

    task = load_task(args.task)
    data, space = task.dataset, task.space
    proxy = make_proxy("ensemble", space, seed=0, device=args.device, members=5).fit(data.designs, data.y)
    support = BigramSupport(data.designs, space)
    ways = {
        "tokens": lambda: ProxyReward(proxy, space, "mean", support=support),
        "strings": lambda: StringsOnly(ProxyReward(proxy, space, "mean", support=support)),
    }
    options = dict(batch_size=args.batch_size, min_samples=1024, sample_factor=1)
    per_step: dict[str, list[float]] = {k: [] for k in ways}
    outs: dict[str, list[str]] = {}
    for _ in range(args.rounds):
        for way, make_reward in ways.items():
            t_full, outs[way] = propose_time(make_reward, data, args.steps, options, args.device)
            t_zero, _ = propose_time(make_reward, data, 0, options, args.device)
            per_step[way].append((t_full - t_zero) / args.steps)
    same = outs["tokens"] == outs["strings"]
    print(f"task {task.name}, {args.steps} steps x batch {args.batch_size}, device {args.device}, "
          f"{args.threads} thread(s), {args.rounds} rounds")
    print(f"{'way':<8} {'ms/step (median)':>17} {'best':>8} {'traj/s':>8}")
    med = {}
    for way, times in per_step.items():
        med[way] = statistics.median(times)
        print(f"{way:<8} {1e3 * med[way]:>17.2f} {1e3 * min(times):>8.2f} {args.batch_size / med[way]:>8.0f}")
    print(f"speed-up tokens vs strings: {med['strings'] / med['tokens']:.2f}x; same candidates: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
