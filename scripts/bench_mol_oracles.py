"""Throughput of the 20 GuacaMol v2 objectives against guacamol 0.5.5's own speed.

Scores the reference set's 303 SMILES (300 ZINC molecules and 3 invalid) under all 20
objectives, repeated ``--repeats`` times, on 1 process and on N processes, and prints
scorings per second (one scoring = one molecule under one objective) and the ratio to the
reference's single-process guacamol speed (its ``timing_note``, about 626 scorings/s).

    python scripts/bench_mol_oracles.py --data-dir /path/to/data --repeats 10 --jobs 1,2
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np

from seqmbo.oracles.guacamol import GUACAMOL_V2_NAMES, GUACAMOL_V2_TITLES
from seqmbo.oracles.molecules import score_all

REFERENCE = "reference/guacamol_v2_zinc300.json"


def _reference_rate(note: str) -> float:
    match = re.search(r"\((\d+(?:\.\d+)?)/s\)", note)
    return float(match.group(1)) if match else 626.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("SEQMBO_DATA_DIR"),
                        help="data mirror holding reference/ (default: $SEQMBO_DATA_DIR)")
    parser.add_argument("--repeats", type=int, default=10, help="passes over the 303 SMILES per timing")
    parser.add_argument("--jobs", default="1,2", help="comma-separated process counts to time")
    parser.add_argument("--rounds", type=int, default=3, help="timings per process count; the best is kept")
    args = parser.parse_args(argv)
    if not args.data_dir:
        print("error: pass --data-dir or set SEQMBO_DATA_DIR", file=sys.stderr)
        return 2
    path = Path(args.data_dir) / REFERENCE
    if not path.is_file():
        print(f"error: reference file not found: {path}", file=sys.stderr)
        return 2
    ref = json.loads(path.read_text())
    smiles = list(ref["smiles"])
    names = list(GUACAMOL_V2_NAMES)
    ref_rate = _reference_rate(ref.get("timing_note", ""))

    scores = score_all(smiles, names)  # also a correctness check
    worst = 0.0
    for name in names:
        expected = np.array(ref["scores"][GUACAMOL_V2_TITLES[name]], dtype=float)
        expected[expected == ref.get("invalid_value", -1.0)] = np.nan
        same_nan = np.array_equal(np.isnan(scores[name]), np.isnan(expected))
        diff = np.nanmax(np.abs(scores[name] - expected)) if same_nan else np.inf
        worst = max(worst, float(diff))
    print(f"agreement with guacamol 0.5.5: max |diff| = {worst:.3g} "
          f"over {len(smiles)} SMILES x {len(names)} objectives")

    batch = smiles * args.repeats
    n_scorings = len(batch) * len(names)
    print(f"cpus available: {len(os.sched_getaffinity(0))}; batch: {len(batch)} SMILES x {len(names)} objectives")
    print(f"reference (guacamol 0.5.5, 1 process): {ref_rate:.0f} scorings/s")
    print(f"load average before timing: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          "(other processes on this machine compete for the same cores)")
    base = None
    for jobs in (int(j) for j in args.jobs.split(",")):
        wall, cpu = min(_timed(batch, names, jobs) for _ in range(args.rounds))
        rate = n_scorings / wall
        base = base or rate
        print(f"{jobs} process(es): {rate:8.0f} scorings/s  wall {wall:.2f} s, cpu {cpu:.2f} s  "
              f"x{rate / ref_rate:.1f} vs guacamol  x{rate / base:.2f} vs 1 process  "
              f"(cpu-bound rate {n_scorings / cpu * jobs:.0f}/s)")
    return 0


def _cpu_seconds() -> float:
    self_, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return self_.ru_utime + self_.ru_stime + children.ru_utime + children.ru_stime


def _timed(batch: list[str], names: list[str], jobs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its finished workers) of one scoring."""
    cpu, start = _cpu_seconds(), time.perf_counter()
    score_all(batch, names, n_jobs=jobs)
    return time.perf_counter() - start, _cpu_seconds() - cpu


if __name__ == "__main__":
    sys.exit(main())
