"""Benchmark table: tasks x generators x seeds through the public API, mean +- std over seeds.

Usage:
    python scripts/bench_table.py --tasks tfbind8 --generators random,evolution --seeds 8 --out runs/bench
Prints a markdown table (and writes it, with every run's metrics, under --out).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from seqmbo.errors import SeqmboError
from seqmbo.run import RunConfig, execute, parse_setting

COLUMNS = ["score_norm_p100", "score_norm_p50", "diversity", "novelty", "validity", "proxy_overestimate",
           "time_total_s", "peak_rss_mb"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", required=True)
    ap.add_argument("--generators", required=True)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--out", default="runs/bench")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args()
    out = Path(args.out)
    try:
        settings = [parse_setting(item) for item in args.set]
    except SeqmboError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    rows = []
    for task in args.tasks.split(","):
        gens = args.generators.split(",")
        runs: dict[str, list] = {gen: [] for gen in gens}
        for seed in range(args.seeds):  # seeds outermost: a stopped grid holds equal seeds a generator
            for gen in gens:
                try:
                    cfg = RunConfig(task=task, generator=gen, seed=seed)
                    cfg.proxy = dict(settings).get("proxy", cfg.proxy)  # the task's proxy_options depend on it
                    cfg.apply_task_defaults()
                    for key, value in settings:
                        cfg.set(key, value)
                    res = execute(cfg, out / f"{task}_{gen}_seed{seed}", force=True)
                except SeqmboError as e:
                    print(f"error: {task} {gen} seed {seed}: {e}", file=sys.stderr)
                    return 2
                runs[gen].append(res.metrics)
                print(f"{task} {gen} seed {seed}: p100 {res.metrics['score_norm_p100']:.3f} "
                      f"p50 {res.metrics['score_norm_p50']:.3f} ({res.metrics['time_total_s']:.0f} s)", flush=True)
        for gen in gens:
            rows.append(table_row(task, gen, runs[gen]))
    lines = ["| task | generator | seeds | D(best) | p100 | p50 | optimum found | diversity | novelty | validity | overestimate | time/run s | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        f = lambda c, d=3: f"{r[c][0]:.{d}f} ± {r[c][1]:.{d}f}"  # noqa: E731
        lines.append(f"| {r['task']} | {r['generator']} | {r['seeds']} | {r['dataset_best_norm']:.3f} | {f('score_norm_p100')} | "
                     f"{f('score_norm_p50')} | {r['optimum_found']}/{r['seeds']} | {f('diversity', 2)} | {f('novelty', 2)} | "
                     f"{r['validity'][0]:.2f} | {f('proxy_overestimate')} | {r['time_total_s'][0]:.0f} | {r['peak_rss_mb'][0]:.0f} |")
    table = "\n".join(lines)
    print(table)
    out.mkdir(parents=True, exist_ok=True)
    (out / "table.md").write_text(table + "\n")
    (out / "rows.json").write_text(json.dumps(rows, indent=2))
    return 0


def table_row(task: str, gen: str, runs: list[dict]) -> dict:
    """Mean and std over seeds of the :data:`COLUMNS` of one task and generator."""
    row = {"task": task, "generator": gen, "seeds": len(runs), "dataset_best_norm": runs[0]["dataset_best_norm"],
           "optimum_found": sum(r["score_norm_p100"] >= 1.0 - 1e-9 for r in runs)}
    for c in COLUMNS:
        vals = np.array([np.nan if r.get(c) is None else r[c] for r in runs], dtype=float)
        row[c] = (float(np.nanmean(vals)), float(np.nanstd(vals)))
    return row


if __name__ == "__main__":
    sys.exit(main())
