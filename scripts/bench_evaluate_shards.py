"""Wall time and peak memory of ``seqmbo evaluate`` in one process, in local worker processes and on Ray.

The library: ``--n`` molecules, each a random ZINC250k molecule changed by one random RDKit edit
(``mutate`` of ``bench_mol_metrics.py``; a few are left invalid on purpose), written to a .smi
file; the reference: the 249,455 ZINC250k SMILES, as a text file. The reference summary is built
first (in ``--workers`` processes) and cached, so every mode below starts from the same cached
summary and the figures compare the library's evaluation only.

Each mode runs in a fresh process (``one``: the one-process path, ``local``: ``--workers`` local
processes, ``ray``: a local Ray with ``--workers`` CPUs, Ray start-up included); peak memory is
the largest sum of the resident memory of that process and all its descendants (Ray's own
processes included), sampled every 0.25 s. The metrics of every mode are compared with the
first one's.

Example::

    python scripts/bench_evaluate_shards.py --n 50000 --modes one,local,ray --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_mol_metrics import ResourceMonitor, mutate, read_zinc  # noqa: E402


def prepare(work: Path, n: int, data_dir: Path, workers: int) -> tuple[Path, Path]:
    """The reference and library files (made once) and the cached reference summary."""
    from seqmbo.sharding import ShardOptions, reference_stats

    work.mkdir(parents=True, exist_ok=True)
    ref, lib = work / "zinc250k.txt", work / f"library-{n}.smi"
    zinc = None
    if not ref.is_file():
        zinc = read_zinc(data_dir)
        ref.write_text("\n".join(zinc) + "\n")
    if not lib.is_file():
        zinc = zinc or read_zinc(data_dir)
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        lib.write_text("\n".join(mutate([zinc[i] for i in rng.integers(len(zinc), size=n)], rng)) + "\n")
        print(f"library of {n} mutated ZINC molecules written in {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    reference_stats(ref, ShardOptions("local", workers))
    print(f"reference summary (cached after the first time): {time.perf_counter() - t0:.1f} s", flush=True)
    return ref, lib


def run_mode(mode: str, lib: Path, ref: Path, out: Path, workers: int, shard_size: int) -> dict:
    """One evaluation in this process, measured."""
    from seqmbo.evaluation import evaluate
    from seqmbo.sharding import ShardOptions

    sharding = None if mode == "one" else ShardOptions(mode, workers, shard_size)
    with ResourceMonitor() as mon:
        t0 = time.perf_counter()
        metrics = evaluate(lib, reference=ref, oracle=["qed"], out=out, sharding=sharding)
        wall = time.perf_counter() - t0
    return {"mode": mode, "wall_s": wall, "peak_total_rss_mb": mon.peak_total_rss_mb, "metrics": metrics}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--modes", default="one,local,ray")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shard-size", type=int, default=20_000)
    ap.add_argument("--work", default="bench-evaluate", help="folder for the files and outputs")
    ap.add_argument("--data-dir", default=os.environ.get("SEQMBO_DATA_DIR", "data"))
    ap.add_argument("--run-mode", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    work = Path(args.work)
    if args.run_mode:
        res = run_mode(args.run_mode, work / f"library-{args.n}.smi", work / "zinc250k.txt",
                       work / f"out-{args.run_mode}-{args.n}", args.workers, args.shard_size)
        print("RESULT " + json.dumps(res), flush=True)
        return 0
    ref, lib = prepare(work, args.n, Path(args.data_dir), args.workers)
    print(f"{args.n} SMILES against {ref.name}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
          flush=True)
    results = []
    for mode in args.modes.split(","):
        cmd = [sys.executable, __file__, "--run-mode", mode, "--n", str(args.n), "--workers", str(args.workers),
               "--shard-size", str(args.shard_size), "--work", str(work)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            print(f"{mode}: failed\n{proc.stderr[-2000:]}")
            continue
        res = json.loads(line[7:])
        results.append(res)
        print(f"{mode:6s} wall {res['wall_s']:8.1f} s   peak RSS (all processes) {res['peak_total_rss_mb']:7.0f} MB   "
              f"worker peak {res['metrics'].get('worker_peak_rss_mb', '-')} MB", flush=True)
    if len(results) > 1:
        base = results[0]
        for res in results[1:]:
            diffs = {k: abs(v - base["metrics"][k]) for k, v in res["metrics"].items()
                     if isinstance(v, float) and isinstance(base["metrics"].get(k), float)}
            same = all(res["metrics"][k] == v for k, v in base["metrics"].items() if not isinstance(v, float))
            worst = max(diffs, key=diffs.get)
            print(f"{res['mode']} vs {base['mode']}: speed-up x{base['wall_s'] / res['wall_s']:.2f}, memory "
                  f"x{res['peak_total_rss_mb'] / base['peak_total_rss_mb']:.2f}; largest metric difference "
                  f"{diffs[worst]:.2e} ({worst}); other keys identical: {same}")
    if results:
        print(json.dumps({k: v for k, v in results[0]["metrics"].items()}, indent=None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
