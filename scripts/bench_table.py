"""Benchmark table: tasks x generators x seeds through the public API, mean +- std over seeds.

Usage:
    python scripts/bench_table.py --tasks tfbind8 --generators random,evolution --seeds 8 --out runs/bench
Prints a markdown table (and writes it, with every run's metrics, under --out). A generator
``latent:cma`` is ``latent`` with ``generator.method=cma``; ``--keep`` reuses runs already
finished under --out (their ``metrics.json``); ``--gen-set latent.pretrained=PATH`` sets
``generator.pretrained`` on the runs of ``latent`` only (``--set`` reaches every run). Molecule tasks get a second table: oracle top-1,
top-10 mean (raw units), IntDiv1 and validity.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from seqmbo.bench import finished
from seqmbo.errors import InvalidInputError, SeqmboError
from seqmbo.run import RunConfig, execute, parse_setting

MOLECULE_COLUMNS = ["oracle_top1", "oracle_top10_mean", "intdiv1"]

COLUMNS = ["score_norm_p100", "score_norm_p50", "diversity", "novelty", "validity", "proxy_overestimate",
           "time_total_s", "peak_rss_mb"] + MOLECULE_COLUMNS


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", required=True)
    ap.add_argument("--generators", required=True)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--out", default="runs/bench")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--gen-set", action="append", default=[], metavar="GEN.KEY=VALUE",
                    help="generator.KEY=VALUE on the runs of generator GEN only")
    ap.add_argument("--keep", action="store_true", help="reuse finished runs under --out")
    args = ap.parse_args()
    out = Path(args.out)
    try:
        settings = [parse_setting(item) for item in args.set]
        own = [gen_setting(item) for item in args.gen_set]
    except SeqmboError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    rows = []
    for task in args.tasks.split(","):
        gens = args.generators.split(",")
        runs: dict[str, list] = {gen: [] for gen in gens}
        for seed in range(args.seeds):  # seeds outermost: a stopped grid holds equal seeds a generator
            for gen in gens:
                run_dir = out / f"{task}_{gen.replace(':', '-')}_seed{seed}"
                try:
                    metrics = finished(run_dir) if args.keep else None
                    metrics = metrics or run(task, gen, seed, settings_for(gen, settings, own), run_dir)
                except SeqmboError as e:
                    print(f"error: {task} {gen} seed {seed}: {e}", file=sys.stderr)
                    return 2
                runs[gen].append(metrics)
                print(f"{task} {gen} seed {seed}: p100 {metrics['score_norm_p100']:.3f} "
                      f"p50 {metrics['score_norm_p50']:.3f} ({metrics['time_total_s']:.0f} s)", flush=True)
        for gen in gens:
            rows.append(table_row(task, gen, runs[gen]))
    lines = ["| task | generator | seeds | D(best) | p100 | p50 | optimum found | diversity | novelty | validity | overestimate | time/run s | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        f = lambda c, d=3: f"{r[c][0]:.{d}f} ± {r[c][1]:.{d}f}"  # noqa: E731
        lines.append(f"| {r['task']} | {r['generator']} | {r['seeds']} | {r['dataset_best_norm']:.3f} | {f('score_norm_p100')} | "
                     f"{f('score_norm_p50')} | {r['optimum_found']}/{r['seeds']} | {f('diversity', 2)} | {f('novelty', 2)} | "
                     f"{r['validity'][0]:.2f} | {f('proxy_overestimate')} | {r['time_total_s'][0]:.0f} | {r['peak_rss_mb'][0]:.0f} |")
    mols = [r for r in rows if np.isfinite(r["oracle_top1"][0])]
    if mols:
        lines += ["", "| task | generator | seeds | top-1 | top-10 mean | IntDiv1 | validity |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['task']} | {r['generator']} | {r['seeds']} | {r['oracle_top1'][0]:.3f} ± {r['oracle_top1'][1]:.3f} | "
                  f"{r['oracle_top10_mean'][0]:.3f} ± {r['oracle_top10_mean'][1]:.3f} | {r['intdiv1'][0]:.3f} | "
                  f"{r['validity'][0]:.2f} |" for r in mols]
    table = "\n".join(lines)
    print(table)
    out.mkdir(parents=True, exist_ok=True)
    (out / "table.md").write_text(table + "\n")
    (out / "rows.json").write_text(json.dumps(rows, indent=2))
    return 0


def gen_setting(item: str) -> tuple[str, str, object]:
    """``GEN.KEY=VALUE`` as ``(GEN, "generator.KEY", value)``.

    Raises:
        InvalidInputError: ``item`` does not name a generator and a key.
    """
    name, dot, rest = item.partition(".")
    if not (name and dot and rest):
        raise InvalidInputError(f"--gen-set {item!r}: expected GEN.KEY=VALUE (e.g. latent.pretrained=PATH)")
    key, value = parse_setting(rest)
    return name, f"generator.{key}", value


def settings_for(gen: str, settings: list, own: list) -> list:
    """The ``--set`` settings, then the ``--gen-set`` ones of ``gen``'s generator (``latent`` for ``latent:bo``)."""
    return settings + [(key, value) for name, key, value in own if name == gen.partition(":")[0]]


def run(task: str, gen: str, seed: int, settings: list, run_dir: Path) -> dict:
    """Metrics of one run of ``gen`` (``latent:METHOD``: the latent generator with that method)."""
    name, _, method = gen.partition(":")
    cfg = RunConfig(task=task, generator=name, seed=seed)
    cfg.proxy = dict(settings).get("proxy", cfg.proxy)  # the task's proxy_options depend on it
    cfg.apply_task_defaults()
    for key, value in settings + ([("generator.method", method)] if method else []):
        cfg.set(key, value)
    return execute(cfg, run_dir, force=True).metrics


def table_row(task: str, gen: str, runs: list[dict]) -> dict:
    """Mean and std over seeds of the :data:`COLUMNS` of one task and generator."""
    row = {"task": task, "generator": gen, "seeds": len(runs), "dataset_best_norm": runs[0]["dataset_best_norm"],
           "optimum_found": sum(r["score_norm_p100"] >= 1.0 - 1e-9 for r in runs)}
    for c in COLUMNS:
        vals = np.array([np.nan if r.get(c) is None else r[c] for r in runs], dtype=float)
        vals = vals[~np.isnan(vals)]  # e.g. the molecule keys of a sequence task
        row[c] = (float(vals.mean()), float(vals.std())) if vals.size else (float("nan"), float("nan"))
    return row


if __name__ == "__main__":
    sys.exit(main())
