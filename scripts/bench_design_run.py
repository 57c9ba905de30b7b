"""Wall time and peak memory of whole design runs, each in a fresh process.

Usage:
    python scripts/bench_design_run.py --task tfbind8 --generator evolution [--repeats 3] [--threads 1,2]

Each run is `seqmbo design` in a new Python process (imports included); peak RSS is the child's
maximum resident set. Runs of different thread counts alternate, so their ratio is fair on a
noisy machine.
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


def one_run(task: str, generator: str, threads: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, SEQMBO_THREADS=str(threads))
        code = (
            "import resource, sys, json; from seqmbo.cli import main; rc = main(sys.argv[1:]); "
            "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(rc)"
        )
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", code, "design", task, "--generator", generator, "--seed", str(seed), "--out", tmp],
            env=env, capture_output=True, text=True,
        )
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"run failed: {proc.stderr.strip()}")
        rss = int(next(line.split()[1] for line in proc.stdout.splitlines() if line.startswith("RSS"))) / 1024
        m = json.loads(Path(tmp, "metrics.json").read_text())
    return {"threads": threads, "wall_s": wall, "peak_rss_mb": rss, "fit_s": m["time_fit_s"],
            "generate_s": m["time_generate_s"], "p100": m["score_norm_p100"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="tfbind8")
    ap.add_argument("--generator", default="evolution")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1")
    args = ap.parse_args()
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
