"""Gradient ascent in a VAE's latent space against gradient ascent on relaxed one-hot designs, step by step.

Usage:
    SEQMBO_DATA_DIR=../shared/data python scripts/latent_vs_relaxed.py \\
        [--tasks tfbind8,zinc-osimertinib] [--steps 100] [--every 5] [--starts 16] [--seed 0] \\
        [--out runs/latent_vs_relaxed] [--figure docs/latent_vs_relaxed.png]

For each task one proxy with a differentiable ``forward_soft`` is fitted on the offline data
(oracle sealed): the task's default 5-CNN ensemble on one-hot designs (a 5-CNN ensemble over
SELFIES one-hot on molecule tasks, whose default fingerprint proxy has no relaxed input); the
reward is its mean (``lcb``, κ=1, on molecules: the run defaults of each kind). From the same
``--starts`` best offline designs,

- ``relaxed``: the ``gradient`` generator's ascent on the logits of the designs (``reward.soft``
  of the softmax), its argmax designs taken every ``--every`` steps;
- ``latent``: the ``latent`` generator's ``gradient`` method (a VAE fitted on the offline
  designs, ascent on its latent MLP ensemble), its codes decoded every ``--every`` steps.

At each recorded step the designs are scored, after the design phase, by the oracle (mean and
max over valid designs, normalized with the task's constants), the proxy (its mean; the latent
method also by the latent MLP ensemble it climbs), and counted as valid and novel (not in the
offline set). ``overestimate`` is proxy − oracle, mean over valid designs, normalized units.
Writes ``trajectory.csv`` under ``--out`` and the figure; prints the first and last step.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

METHODS = ("relaxed", "latent")
COLUMNS = ["task", "method", "step", "designs", "distinct", "valid", "novel", "oracle_mean", "oracle_max",
           "proxy_mean", "overestimate", "latent_proxy_mean", "latent_overestimate", "time_s"]


def proxy_for(task, cfg, seed: int):
    """A proxy with ``forward_soft`` for the task's space, fitted on the offline data (``cfg``: the run config)."""
    from seqmbo.proxies import make_proxy
    from seqmbo.proxies.ensemble import SequenceEnsemble, TrainConfig

    data = task.dataset
    if task.space.kind == "molecule":
        proxy = SequenceEnsemble(task.space, members=5, arch="cnn", train=TrainConfig(seed=seed))
    else:
        proxy = make_proxy("ensemble", task.space, seed=seed, **cfg.proxy_options)
    return proxy.fit(data.designs, data.y)


def relaxed_steps(reward, task, starts: list[str], steps: int, every: int, seed: int) -> dict[int, dict]:
    """``{step: {"designs": [...]}}`` of the ``gradient`` generator's ascent."""
    from seqmbo.generators.gradient import GradientGenerator

    batches = GradientGenerator(steps=steps, seed_top=len(starts)).ascend(
        reward.soft, starts, task.space, np.random.default_rng(seed))
    return {t: {"designs": batches[t]} for t in range(0, steps + 1, every)}


def latent_steps(reward, task, n_starts: int, steps: int, every: int, seed: int) -> dict[int, dict]:
    """``{step: {"designs": [...], "latent": predictions}}`` of the ``latent`` generator's gradient ascent."""
    from seqmbo.generators.latent import LatentGenerator

    gen = LatentGenerator(method="gradient", seed_top=n_starts, steps=steps, decode_every=every)
    gen.propose(reward, n_starts, task.dataset, np.random.default_rng(seed))  # the proposals are not used
    return {t: {"designs": gen.vae.decode(z), "latent": pred} for t, z, pred in gen.trajectory}


def score(task, proxy, trace: dict[int, dict]) -> list[dict]:
    """One row a recorded step: oracle (after design), proxy, validity, novelty (see the module docstring)."""
    offline = set(task.dataset.designs)
    rows = []
    for step, rec in sorted(trace.items()):
        designs = rec["designs"]
        ok = task.space.is_valid(designs) & np.array([bool(d) for d in designs])
        oracle = np.full(len(designs), np.nan)
        if ok.any():
            oracle[ok] = task.oracle([d for d, v in zip(designs, ok) if v])
        ok &= np.isfinite(oracle)
        good = [d for d, v in zip(designs, ok) if v]
        true = task.normalize(oracle[ok])
        pred = task.normalize(proxy.predict(good).mean) if good else np.array([])
        row = {"step": step, "designs": len(designs), "distinct": len(set(designs)), "valid": float(ok.mean()),
               "novel": float(np.mean([d not in offline for d in designs])),
               "oracle_mean": _mean(true), "oracle_max": float(true.max()) if good else float("nan"),
               "proxy_mean": _mean(pred), "overestimate": _mean(pred - true)}
        if "latent" in rec:
            lat = task.normalize(rec["latent"])
            row.update(latent_proxy_mean=_mean(lat), latent_overestimate=_mean(lat[ok] - true))
        rows.append(row)
    return rows


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if len(x) else float("nan")


def run_task(name: str, args) -> list[dict]:
    """Both ascents on task ``name``; the rows of :func:`score` with task, method and time."""
    import torch

    from seqmbo.config import RunConfig, with_kind_defaults
    from seqmbo.proxies import ProxyReward
    from seqmbo.tasks import load_task

    torch.manual_seed(args.seed)
    task = load_task(name)
    cfg = RunConfig(task=name)
    cfg.apply_task_defaults()
    cfg = with_kind_defaults(cfg, task.space.kind)
    t0 = time.perf_counter()
    with task.oracle.sealed():
        proxy = proxy_for(task, cfg, args.seed)
        print(f"{name}: proxy fitted ({time.perf_counter() - t0:.0f} s)", flush=True)
        traces, times = {}, {}
        for method in METHODS:
            reward = ProxyReward(proxy, task.space, cfg.reward, cfg.kappa)
            t1 = time.perf_counter()
            if method == "relaxed":
                starts, _ = task.dataset.top(args.starts)
                traces[method] = relaxed_steps(reward, task, starts, args.steps, args.every, args.seed)
            else:
                traces[method] = latent_steps(reward, task, args.starts, args.steps, args.every, args.seed)
            times[method] = time.perf_counter() - t1
    rows = []
    for method in METHODS:  # the oracle only now, after the design phase
        for r in score(task, proxy, traces[method]):
            rows.append({"task": name, "method": method, **r, "time_s": round(times[method], 1)})
    return rows


def read_rows(path: Path) -> list[dict]:
    """The rows of a ``trajectory.csv`` (numbers as floats, ``step`` as int)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r.update({k: float(v) if v else float("nan") for k, v in r.items() if k not in ("task", "method")})
        r["step"] = int(r["step"])
    return rows


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = list(dict.fromkeys(r["task"] for r in rows))
    panels = [("oracle score (normalized)", "oracle_mean"), ("proxy − oracle (normalized)", "overestimate"),
              ("valid fraction", "valid"), ("novel fraction", "novel")]
    colors = {"relaxed": "tab:orange", "latent": "tab:blue"}
    fig, axes = plt.subplots(len(tasks), len(panels), figsize=(3.6 * len(panels), 2.9 * len(tasks)), squeeze=False)
    for i, task in enumerate(tasks):
        for j, (title, key) in enumerate(panels):
            ax = axes[i, j]
            for method in METHODS:
                sel = [r for r in rows if r["task"] == task and r["method"] == method]
                x = [r["step"] for r in sel]
                ax.plot(x, [r[key] for r in sel], color=colors[method], lw=2, label=f"{method}: mean")
                if key == "oracle_mean":
                    ax.plot(x, [r["oracle_max"] for r in sel], color=colors[method], ls="--", lw=1, label=f"{method}: max")
                if key == "overestimate" and method == "latent":
                    ax.plot(x, [r["latent_overestimate"] for r in sel], color=colors[method], ls=":", lw=1.5,
                            label="latent: its latent MLP")
            if key == "overestimate":
                ax.axhline(0, color="gray", lw=0.8)
            if key in ("valid", "novel"):
                ax.set_ylim(-0.05, 1.05)
            ax.set_title(f"{task}: {title}", fontsize=9)
            if i == len(tasks) - 1:
                ax.set_xlabel("ascent step")
            if i == 0 and j in (0, 1):
                ax.legend(fontsize=7)
    fig.suptitle("Gradient ascent in latent space vs on relaxed one-hot designs (same proxy, same starts)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", default="tfbind8,zinc-osimertinib")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--every", type=int, default=5)
    ap.add_argument("--starts", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/latent_vs_relaxed")
    ap.add_argument("--figure", default="docs/latent_vs_relaxed.png")
    ap.add_argument("--replot", action="store_true", help="only draw the figure from --out's trajectory.csv")
    args = ap.parse_args()
    if args.replot:
        plot(read_rows(Path(args.out) / "trajectory.csv"), Path(args.figure))
        return 0
    from seqmbo.run import set_threads

    set_threads()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in args.tasks.split(","):
        rows += run_task(name, args)
        with open(out / "trajectory.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS, restval="")
            w.writeheader()
            w.writerows(rows)
        for r in rows:
            if r["task"] == name and r["step"] in (0, args.steps):
                print(" ".join(f"{k}={r.get(k, '')}" if isinstance(r.get(k), (str, int)) else f"{k}={r.get(k, float('nan')):.3f}"
                               for k in COLUMNS), flush=True)
    plot(rows, Path(args.figure))
    print(f"wrote {out / 'trajectory.csv'} and {args.figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
