"""Choose the molecule defaults of reward and trust region on development tasks.

Usage:
    python scripts/choose_molecule_defaults.py [--tasks zinc-qed,zinc-plogp] [--seeds 0,1] [--jobs 2]

Every configuration (reward ``mean``/``lcb`` x nearest-offline Tanimoto similarity bound
``trust_region`` 0/0.4) runs the default generator with the new chemistry gates on the
development tasks (QED and penalized logP over ZINC, not the tasks whose figures the README
reports) and prints, per configuration, the means over tasks and seeds of: the candidates'
normalized oracle median (``score_norm_p50``), top-1 and top-10 among filter-passing candidates,
the proxy's Spearman on the candidates and IntDiv1. The decision rule: the highest mean
``score_norm_p50``; the README quotes this output.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os

import numpy as np

CONFIGS = {
    "mean, no trust region": {"reward": "mean", "trust_region": 0.0},
    "lcb, no trust region": {"reward": "lcb", "trust_region": 0.0},
    "mean, trust region 0.4": {"reward": "mean", "trust_region": 0.4},
    "lcb, trust region 0.4": {"reward": "lcb", "trust_region": 0.4},
}
KEYS = ("score_norm_p50", "oracle_top1_filtered", "oracle_top10_filtered", "proxy_spearman", "intdiv1", "filters_pass")


def cell(args: tuple[str, str, int]) -> tuple[str, str, int, dict]:
    """One run (in a worker process): ``(config name, task, seed)`` -> its metrics."""
    name, task, seed = args
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import seqmbo

    res = seqmbo.design(task, seed=seed, calibration=False, **CONFIGS[name])
    return name, task, seed, res.metrics


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", default="zinc-qed,zinc-plogp")
    p.add_argument("--seeds", default="0,1")
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args()
    tasks, seeds = args.tasks.split(","), [int(s) for s in args.seeds.split(",")]
    grid = [(c, t, s) for t in tasks for s in seeds for c in CONFIGS]
    rows: dict[str, list[dict]] = {c: [] for c in CONFIGS}
    with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        for name, task, seed, m in pool.map(cell, grid):
            print(f"{task:12s} seed {seed}  {name:24s} " + "  ".join(f"{k} {m.get(k, float('nan')):.3f}" for k in KEYS),
                  flush=True)
            rows[name].append(m)
    print(f"\nmeans over {len(tasks)} tasks x {len(seeds)} seeds ({', '.join(tasks)})")
    print("config                    " + "  ".join(f"{k:>21s}" for k in KEYS))
    best = max(CONFIGS, key=lambda c: np.mean([m["score_norm_p50"] for m in rows[c]]))
    for c in CONFIGS:
        vals = [np.nanmean([np.nan if m.get(k) is None else m[k] for m in rows[c]]) for k in KEYS]
        print(f"{c:24s}  " + "  ".join(f"{v:21.3f}" for v in vals) + ("   <- chosen" if c == best else ""))


if __name__ == "__main__":
    main()
