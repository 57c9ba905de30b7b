"""Wall time of one small grid on 1 local process, 2 local processes and a 2-worker local Ray, in one run.

The grid is ``seqmbo bench --preset smoke`` (ehrlich-20-16-2-4 x random, evolution x 2 seeds = 4
cells, seconds each). For each executor it prints the grid's wall time, the sum of the cells' own
run times (``time_total_s`` in their metrics.json) and the overhead a cell pays to the executor,
``(wall x workers - sum of run times) / cells`` (process start and imports for local cells; Ray
start-up, scheduling and the worker's first imports for Ray), then the speed-ups. With ``--kill``
the Ray grid is run once more and one Ray worker is killed mid-cell: the script prints each
cell's status and attempts and the rows of results.csv.

Example::

    python scripts/bench_grid_executors.py --out bench-executors --kill
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path


def run(cells, out: Path, executor: str, workers: int) -> tuple[float, object]:
    from seqmbo.bench import GridOptions, run_grid

    t0 = time.perf_counter()
    table = run_grid(cells, out, GridOptions(executor=executor, workers=workers, device="cpu"))
    return time.perf_counter() - t0, table


def kill_one_ray_worker(cells, out: Path) -> None:
    """Run the grid on Ray and SIGKILL the first worker seen running a cell, 2 s into it."""
    import pandas as pd

    box: dict = {}
    thread = threading.Thread(target=lambda: box.setdefault("res", run(cells, out, "ray", 2)))
    thread.start()
    victim = None
    while victim is None and thread.is_alive():
        found = subprocess.run(["pgrep", "-f", "ray::_ray_cell"], capture_output=True, text=True).stdout.split()
        victim = int(found[0]) if found else None
        time.sleep(0.1)
    if victim is not None:
        time.sleep(2.0)
        os.kill(victim, signal.SIGKILL)
        print(f"killed Ray worker pid {victim} mid-cell", flush=True)
    thread.join()
    wall, table = box["res"]
    print(f"grid with a killed worker: {wall:.1f} s wall")
    print(table[["cell", "status", "attempts"]].to_string(index=False))
    print(f"results.csv rows: {len(pd.read_csv(out / 'results.csv'))} of {len(cells)}, "
          f"all finished: {bool((table['status'] == 'done').all())}")


def main(argv: list[str] | None = None) -> int:
    from seqmbo.bench import preset_grid

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench-executors")
    ap.add_argument("--kill", action="store_true", help="also kill a Ray worker mid-grid")
    args = ap.parse_args(argv)
    cells = preset_grid("smoke")
    out = Path(args.out)
    print(f"{len(cells)} cells; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    walls = {}
    for label, executor, workers in (("1 local process", "local", 1), ("2 local processes", "local", 2),
                                     ("2-worker local Ray", "ray", 2)):
        wall, table = run(cells, out / label.replace(" ", "-"), executor, workers)
        cell_s = float(table["time_total_s"].sum())
        walls[label] = wall
        print(f"{label:20s} wall {wall:6.1f} s   cells' own run time {cell_s:6.1f} s   "
              f"overhead {(wall * workers - cell_s) / len(cells):5.1f} s a cell", flush=True)
    base = walls["1 local process"]
    print(f"speed-up: 2 local x{base / walls['2 local processes']:.2f}, 2-worker Ray x{base / walls['2-worker local Ray']:.2f}")
    if args.kill:
        import ray

        ray.shutdown()
        kill_one_ray_worker(cells, out / "ray-killed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
