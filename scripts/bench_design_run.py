"""Wall time and peak memory of whole design runs, each in a fresh process.

Usage:
    python scripts/bench_design_run.py --task tfbind8 --generator evolution [--repeats 3] [--threads 1,2]
    python scripts/bench_design_run.py --task tfbind8 --generator gflownet --against 0f4c7cc

Each run is `seqmbo design` in a new Python process (imports included); peak RSS is the child's
maximum resident set. Runs of different thread counts (or, with ``--against REV``, of this
checkout and of commit REV checked out in a temporary git worktree) alternate, so their ratio is
fair on a noisy machine; with ``--against`` the script also says whether both gave the same candidates.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]


def one_run(task: str, generator: str, threads: int, seed: int, code_root: Path = ROOT, sets: tuple = ()) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, SEQMBO_THREADS=str(threads), PYTHONPATH=str(code_root))
        if "SEQMBO_DATA_DIR" in env:
            env["SEQMBO_DATA_DIR"] = str(Path(env["SEQMBO_DATA_DIR"]).resolve())
        code = (
            "import resource, sys, json; from seqmbo.cli import main; rc = main(sys.argv[1:]); "
            "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(rc)"
        )
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", code, "design", task, "--generator", generator, "--seed", str(seed), "--out", tmp,
             *[a for item in sets for a in ("--set", item)]],
            env=env, capture_output=True, text=True, cwd=code_root,
        )
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"run failed: {proc.stderr.strip()}")
        rss = int(next(line.split()[1] for line in proc.stdout.splitlines() if line.startswith("RSS"))) / 1024
        m = json.loads(Path(tmp, "metrics.json").read_text())
        designs = [line.split(",")[0] for line in Path(tmp, "candidates.csv").read_text().splitlines()[1:]]
    return {"threads": threads, "wall_s": wall, "peak_rss_mb": rss, "fit_s": m["time_fit_s"],
            "generate_s": m["time_generate_s"], "p100": m["score_norm_p100"], "candidates": designs}


def compare(args: argparse.Namespace) -> int:
    """This checkout against commit ``args.against``, alternating, one thread each."""
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), args.against], check=True)
        try:
            rows = {"before": [], "after": []}
            for r in range(args.repeats):
                order = [("before", old), ("after", ROOT)] if r % 2 == 0 else [("after", ROOT), ("before", old)]
                for label, root in order:
                    row = one_run(args.task, args.generator, 1, seed=args.seed, code_root=root, sets=tuple(args.set))
                    rows[label].append(row)
                    print(f"{label:6s} repeat {r}: wall {row['wall_s']:.1f} s (fit {row['fit_s']:.1f} s, generate "
                          f"{row['generate_s']:.1f} s), peak RSS {row['peak_rss_mb']:.0f} MB, p100 {row['p100']:.3f}",
                          flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
    med = {k: sorted(x["wall_s"] for x in v)[len(v) // 2] for k, v in rows.items()}
    rss = {k: max(x["peak_rss_mb"] for x in v) for k, v in rows.items()}
    same = rows["before"][0]["candidates"] == rows["after"][0]["candidates"]
    print(f"{args.task} {args.generator} seed {args.seed}, {args.repeats} repeats, before = {args.against}:")
    print(f"  median wall: before {med['before']:.1f} s, after {med['after']:.1f} s -> {med['before'] / med['after']:.2f}x faster")
    print(f"  peak RSS: before {rss['before']:.0f} MB, after {rss['after']:.0f} MB")
    print(f"  same candidates: {same}")
    print(f"load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="tfbind8")
    ap.add_argument("--generator", default="evolution")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1")
    ap.add_argument("--against", default=None, metavar="REV", help="compare with this git commit (one thread)")
    ap.add_argument("--seed", type=int, default=0, help="with --against: the seed of every run")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a setting of every run")
    args = ap.parse_args()
    if args.against:
        return compare(args)
    threads = [int(t) for t in args.threads.split(",")]
    rows = []
    for r in range(args.repeats):
        for t in threads:
            row = one_run(args.task, args.generator, t, seed=r)
            rows.append(row)
            print(f"threads {t} seed {r}: wall {row['wall_s']:.1f} s (fit {row['fit_s']:.1f} s, "
                  f"generate {row['generate_s']:.1f} s), peak RSS {row['peak_rss_mb']:.0f} MB, p100 {row['p100']:.3f}")
    print(f"load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for t in threads:
        w = sorted(x["wall_s"] for x in rows if x["threads"] == t)
        m = max(x["peak_rss_mb"] for x in rows if x["threads"] == t)
        print(f"threads {t}: median wall {w[len(w) // 2]:.1f} s, peak RSS {m:.0f} MB over {len(w)} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
