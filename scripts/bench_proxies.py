"""Proxies that know what they don't know: gradient ascent under each proxy, overestimation, calibration, fit time.

Usage:
    SEQMBO_DATA_DIR=../shared/data python scripts/bench_proxies.py [--seeds 8] [--gb1-seeds 8] \\
        [--out runs/bench_proxies] [--skip-gb1] [--skip-ehrlich]

1. tfbind8, 128 candidates, ``seed`` 0..N-1, through :func:`seqmbo.run.execute`: the ``gradient``
   generator with the ensemble (reward mean and LCB), a plain MLP, COMs and MC dropout, and the
   ``random`` baseline: score_norm_p100 / p50, proxy_overestimate, and the calibration keys
   each run records (held-out / OOD Spearman, 90% coverage, calibration error, NLL).
   The same gradient runs on ehrlich-20-16-2-4 (built in), where a proxy can be hacked
   (infeasible designs score 0), for the overestimate of each proxy.
2. gb1: :func:`seqmbo.metrics.calibration.proxy_quality` of each proxy kind on the offline set.
3. The fit time of the 5-member CNN ensemble on tfbind8's 32,898 designs (``time_fit_s`` of the
   ensemble runs of 1).

Every finished run is appended to ``runs.jsonl`` under ``--out``; a rerun skips what is there.
Prints markdown tables of mean ± std over seeds and writes them to ``tables.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

RUNS = [  # (label, proxy, reward, extra RunConfig settings)
    ("random", "ensemble", "mean", {"generator": "random", "calibration": False}),
    ("gradient + ensemble (mean)", "ensemble", "mean", {}),
    ("gradient + ensemble (LCB κ=1)", "ensemble", "lcb", {"calibration": False}),  # same proxy as the row above
    ("gradient + MLP (mean)", "mlp", "mean", {}),
    ("gradient + COMs", "com", "mean", {}),
    ("gradient + MC dropout (mean)", "mc-dropout", "mean", {}),
]
QUALITY = ["spearman", "coverage90", "calib_err", "nll"]


def load_done(path: Path) -> dict[tuple, dict]:
    done = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                done[(r["bench"], r["task"], r["label"], r["seed"])] = r
    return done


def record(path: Path, row: dict) -> None:
    with path.open("a") as f:
        f.write(json.dumps(row) + "\n")


def ms(values, digits=3) -> str:
    v = np.array([np.nan if x is None else x for x in values], dtype=float)
    if np.all(np.isnan(v)):
        return "—"
    return f"{np.nanmean(v):.{digits}f} ± {np.nanstd(v):.{digits}f}"


def design_runs(seeds: int, out: Path, done: dict, task: str = "tfbind8") -> list[dict]:
    from seqmbo.run import RunConfig, execute

    rows = []
    for seed in range(seeds):
        for label, proxy, reward, extra in RUNS:
            key = ("design", task, label, seed)
            if key not in done:
                cfg = RunConfig(task=task, generator=extra.get("generator", "gradient"), proxy=proxy, reward=reward,
                                seed=seed, n=128, calibration=extra.get("calibration", True))
                res = execute(cfg)
                done[key] = {"bench": "design", "task": task, "label": label, "seed": seed, **res.metrics}
                record(out / "runs.jsonl", done[key])
                m = res.metrics
                print(f"{task} seed {seed} {label}: p100 {m['score_norm_p100']:.3f} p50 {m['score_norm_p50']:.3f} "
                      f"overestimate {m['proxy_overestimate']:+.3f} fit {m['time_fit_s']:.0f} s "
                      f"calibration {m.get('time_calibration_s', 0):.0f} s", flush=True)
            rows.append(done[key])
    return rows


def gb1_quality(seeds: int, out: Path, done: dict) -> list[dict]:
    import torch

    from seqmbo.metrics.calibration import proxy_quality
    from seqmbo.proxies import make_proxy
    from seqmbo.run import set_threads
    from seqmbo.tasks import load_task

    set_threads()
    task = load_task("gb1")
    rows = []
    for seed in range(seeds):
        for proxy in ("ensemble", "mc-dropout", "mlp", "com"):
            key = ("quality", "gb1", proxy, seed)
            if key not in done:
                torch.manual_seed(seed)
                t0 = time.perf_counter()
                with task.oracle.sealed():
                    q = proxy_quality(lambda: make_proxy(proxy, task.space, seed=seed), task.dataset, seed)
                done[key] = {"bench": "quality", "task": "gb1", "label": proxy, "proxy": proxy, "seed": seed, **q,
                             "time_calibration_s": time.perf_counter() - t0}
                record(out / "runs.jsonl", done[key])
                print(f"gb1 seed {seed} {proxy}: OOD spearman {q['proxy_ood_spearman']:.3f} "
                      f"coverage90 {q['proxy_ood_coverage90']} ({done[key]['time_calibration_s']:.0f} s)", flush=True)
            rows.append(done[key])
    return rows


def tables(design: list[dict], quality: list[dict], seeds: int, gb1_seeds: int, ehrlich: list[dict] = ()) -> str:
    lines = []
    for task, runs in (("tfbind8", design), ("ehrlich-20-16-2-4", ehrlich)):
        if not runs:
            continue
        lines += [f"### {task}, 128 candidates, {len({r['seed'] for r in runs})} seeds (mean ± std)", "",
                  "| method | p100 | p50 | proxy_overestimate | proxy_spearman (candidates) | n_candidates | fit s | calibration s |",
                  "|---|---|---|---|---|---|---|---|"]
        for label, *_ in RUNS:
            rs = [r for r in runs if r["label"] == label]
            lines.append(f"| {label} | {ms([r['score_norm_p100'] for r in rs])} | {ms([r['score_norm_p50'] for r in rs])} | "
                         f"{ms([r['proxy_overestimate'] for r in rs])} | {ms([r['proxy_spearman'] for r in rs])} | "
                         f"{ms([r['n_candidates'] for r in rs], 0)} | "
                         f"{ms([r['time_fit_s'] for r in rs], 1)} | {ms([r.get('time_calibration_s') for r in rs], 1)} |")
        lines.append("")
    lines += ["### Proxy quality: held-out (random 10%) and OOD (top 10% by score), fresh fits on ≤ "
              "10,000 training rows (mean ± std over seeds)", "",
              "| task | proxy | seeds | heldout spearman | heldout coverage90 | OOD spearman | OOD coverage90 | OOD calib_err | OOD nll |",
              "|---|---|---|---|---|---|---|---|---|"]
    cal = [(task, label.split("+ ")[1].split(" (")[0], [r for r in runs if r["label"] == label])
           for task, runs in (("tfbind8", design), ("ehrlich-20-16-2-4", ehrlich))
           for label, _, _, extra in RUNS if extra.get("calibration", True)]
    for proxy in ("ensemble", "mc-dropout", "mlp", "com"):
        cal.append(("gb1", proxy, [r for r in quality if r["label"] == proxy]))
    for task, name, rs in cal:
        if not rs:
            continue
        lines.append(f"| {task} | {name} | {len(rs)} | {ms([r['proxy_heldout_spearman'] for r in rs])} | "
                     f"{ms([r['proxy_heldout_coverage90'] for r in rs])} | {ms([r['proxy_ood_spearman'] for r in rs])} | "
                     f"{ms([r['proxy_ood_coverage90'] for r in rs])} | {ms([r['proxy_ood_calib_err'] for r in rs])} | "
                     f"{ms([r['proxy_ood_nll'] for r in rs])} |")
    fit = [r["time_fit_s"] for r in design if r["label"] == "gradient + ensemble (mean)"]
    fit += [r["time_fit_s"] for r in design if r["label"] == "gradient + ensemble (LCB κ=1)"]
    lines += ["", f"5-member CNN ensemble fit on tfbind8 (32,898 designs, 10 epochs, batch 128): {ms(fit, 1)} s "
              f"over {len(fit)} fits; SEQMBO_THREADS={os.environ.get('SEQMBO_THREADS', '1')}, "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end"]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--gb1-seeds", type=int, default=None, help="seeds of the gb1 quality runs (default: --seeds)")
    ap.add_argument("--skip-gb1", action="store_true")
    ap.add_argument("--skip-ehrlich", action="store_true")
    ap.add_argument("--out", default="runs/bench_proxies")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    done = load_done(out / "runs.jsonl")
    design = design_runs(args.seeds, out, done)
    gb1_seeds = args.seeds if args.gb1_seeds is None else args.gb1_seeds
    quality = [] if args.skip_gb1 else gb1_quality(gb1_seeds, out, done)
    ehrlich = [] if args.skip_ehrlich else design_runs(args.seeds, out, done, task="ehrlich-20-16-2-4")
    table = tables(design, quality, args.seeds, gb1_seeds, ehrlich)
    print(table)
    (out / "tables.md").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
