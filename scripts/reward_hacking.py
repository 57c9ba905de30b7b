"""Reward hacking, seen: proxy vs oracle along relaxed gradient ascent, for a plain net, an LCB ensemble and COMs.

Usage:
    SEQMBO_DATA_DIR=../shared/data python scripts/reward_hacking.py \\
        [--tasks tfbind8,ehrlich-20-16-2-4] [--steps 200] [--seed 0] [--out runs/reward_hacking]

For each task and proxy, the proxy is fitted on the offline data (oracle sealed); the
``gradient`` generator's ascent runs from the 128 best offline designs on the proxy's reward
(``reward.soft``); at every step the batch of argmax designs is scored by the proxy (its mean)
and, after the design phase, by the oracle, both normalized with the task's constants (designs
the oracle calls invalid count as the task's minimum, 0 normalized). Writes
``reward_hacking.png`` and ``reward_hacking.json`` under ``--out`` and prints a table with each
proxy's final ``proxy_overestimate`` (mean proxy − oracle over the final designs, oracle units).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

SETTINGS = [  # (label, proxy, reward kind)
    ("plain MLP (mean)", "mlp", "mean"),
    ("5-CNN ensemble (LCB, κ=1)", "ensemble", "lcb"),
    ("COMs (mean)", "com", "mean"),
]


def trace(task_name: str, proxy_name: str, kind: str, steps: int, seed: int) -> dict:
    import torch

    from seqmbo.generators.gradient import GradientGenerator
    from seqmbo.proxies import ProxyReward, make_proxy
    from seqmbo.run import set_threads
    from seqmbo.tasks import load_task

    set_threads()
    torch.manual_seed(seed)
    task = load_task(task_name)
    data = task.dataset
    t0 = time.perf_counter()
    with task.oracle.sealed():
        proxy = make_proxy(proxy_name, task.space, seed=seed).fit(data.designs, data.y)
        reward = ProxyReward(proxy, task.space, kind, 1.0)
        starts, _ = data.top(128)
        batches = GradientGenerator(steps=steps).ascend(reward.soft, starts, task.space, np.random.default_rng(seed))
        proxy_mean = [proxy.predict(b).mean for b in batches]
    elapsed = time.perf_counter() - t0
    oracle = [task.oracle(b) for b in batches]  # evaluation only, after the design phase
    valid = [np.isfinite(o) for o in oracle]
    oracle = [np.where(v, o, task.y_min) for o, v in zip(oracle, valid)]
    final_p, final_o = proxy_mean[-1], oracle[-1]
    return {
        "task": task.name, "proxy": proxy_name, "reward": kind, "steps": steps, "seed": seed,
        "dataset_best_norm": task.dataset_best_norm,
        "proxy_norm": [float(task.normalize(p).mean()) for p in proxy_mean],
        "oracle_norm": [float(task.normalize(o).mean()) for o in oracle],
        "valid": [float(v.mean()) for v in valid],
        "distinct": [len(set(b)) for b in batches],
        "proxy_overestimate": float(np.mean(final_p - final_o)),
        "proxy_overestimate_start": float(np.mean(proxy_mean[0] - oracle[0])),
        "time_s": elapsed,
    }


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(r["task"] for r in rows))
    labels = {(p, k): lab for lab, p, k in SETTINGS}
    fig, axes = plt.subplots(len(tasks), len(SETTINGS), figsize=(4.2 * len(SETTINGS), 3.4 * len(tasks)),
                             squeeze=False, sharex=True)
    for i, task in enumerate(tasks):
        task_rows = [r for r in rows if r["task"] == task]
        lo = min(min(r["proxy_norm"] + r["oracle_norm"]) for r in task_rows)
        hi = max(max(r["proxy_norm"] + r["oracle_norm"]) for r in task_rows)
        for j, (label, proxy, kind) in enumerate(SETTINGS):
            ax = axes[i, j]
            r = next((r for r in task_rows if r["proxy"] == proxy and r["reward"] == kind), None)
            if r is None:
                ax.axis("off")
                continue
            x = np.arange(len(r["proxy_norm"]))
            ax.plot(x, r["proxy_norm"], color="tab:red", lw=2, label="proxy (mean prediction)")
            ax.plot(x, r["oracle_norm"], color="tab:blue", lw=2, label="oracle (true score)")
            ax.fill_between(x, r["oracle_norm"], r["proxy_norm"], where=np.array(r["proxy_norm"]) > np.array(r["oracle_norm"]),
                            color="tab:red", alpha=0.15, label="overestimate")
            ax.axhline(r["dataset_best_norm"], color="gray", ls=":", lw=1, label="best offline design")
            ax.set_ylim(lo - 0.05 * (hi - lo + 1e-9), hi + 0.12 * (hi - lo + 1e-9))
            ax.set_title(f"{task}: {labels[(proxy, kind)]}\nfinal overestimate {r['proxy_overestimate']:+.3f} (oracle units)",
                         fontsize=9)
            if i == len(tasks) - 1:
                ax.set_xlabel("gradient-ascent step")
            if j == 0:
                ax.set_ylabel("normalized score, mean of 128 designs")
            if i == 0 and j == 0:
                ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("Proxy vs oracle along gradient ascent on the design logits (argmax designs)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="tfbind8,ehrlich-20-16-2-4")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/reward_hacking")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for task in args.tasks.split(","):
        for label, proxy, kind in SETTINGS:
            r = trace(task, proxy, kind, args.steps, args.seed)
            rows.append(r)
            print(f"{task} {label}: oracle {r['oracle_norm'][0]:.3f} -> {r['oracle_norm'][-1]:.3f}, proxy "
                  f"{r['proxy_norm'][0]:.3f} -> {r['proxy_norm'][-1]:.3f} ({r['time_s']:.0f} s)", flush=True)
    lines = ["| task | proxy | oracle start → end | proxy start → end | valid at end | distinct at end | proxy_overestimate (end) |",
             "|---|---|---|---|---|---|---|"]
    labels = {(p, k): lab for lab, p, k in SETTINGS}
    for r in rows:
        lines.append(f"| {r['task']} | {labels[(r['proxy'], r['reward'])]} | {r['oracle_norm'][0]:.3f} → {r['oracle_norm'][-1]:.3f} | "
                     f"{r['proxy_norm'][0]:.3f} → {r['proxy_norm'][-1]:.3f} | {r['valid'][-1]:.2f} | {r['distinct'][-1]} | "
                     f"{r['proxy_overestimate']:+.3f} |")
    table = "\n".join(lines)
    print(table)
    (out / "reward_hacking.json").write_text(json.dumps(rows, indent=1))
    (out / "table.md").write_text(table + "\n")
    plot(rows, out / "reward_hacking.png")
    print(f"figure: {out / 'reward_hacking.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
