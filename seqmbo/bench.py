"""A grid of design runs (tasks x generators x proxies x seeds) on local processes or a Ray cluster.

Each cell is one independent run of :func:`seqmbo.run.execute` with its own run directory under
``OUT/runs/``. A cell whose ``metrics.json`` exists is finished and never run again when the
grid restarts; a failed cell is retried once and then reported as failed without stopping the
grid; a worker killed mid-run loses nothing but that cell's progress (the run directory is
written atomically at the end of the run). ``results.csv`` (one row a run: the metrics plus the
settings) and ``summary.md`` (mean ± std over seeds, the random baseline, published numbers) are
rewritten after every cell.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from seqmbo.errors import InvalidInputError

log = logging.getLogger(__name__)

SUMMARY_KEYS = ("score_norm_p100", "score_norm_p50", "diversity", "novelty", "oracle_top1", "oracle_top10_mean",
                "time_total_s")
PRESETS: dict[str, dict[str, Any]] = {
    # a grid small enough for a smoke test of the machinery (seconds a cell)
    "smoke": {"tasks": ["ehrlich-20-16-2-4"], "generators": ["random", "evolution"], "seeds": 2,
              "settings": {"calibration": False, "n": 16, "proxy_options": {"members": 2, "min_steps": 50},
                           "generator_options": {}}},
}


@dataclass(frozen=True)
class Cell:
    """One run of the grid."""

    task: str
    generator: str
    proxy: str
    seed: int
    settings: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def name(self) -> str:
        """The cell's folder name: ``<task>__<generator>__<proxy>__seed<S>``."""
        return f"{Path(self.task).stem}__{self.generator}__{self.proxy}__seed{self.seed}"


def make_grid(tasks: Sequence[str], generators: Sequence[str], proxies: Sequence[str], seeds: int,
              settings: dict[str, Any] | None = None, with_random: bool = True) -> list[Cell]:
    """Every combination, seeds ``0..seeds-1``; the ``random`` baseline is added when missing."""
    if not tasks or not generators or not proxies or seeds < 1:
        raise InvalidInputError("a grid needs at least one task, generator, proxy and seed")
    gens = list(dict.fromkeys(generators))
    if with_random and "random" not in gens:
        gens.insert(0, "random")
    return [Cell(t, g, p, s, dict(settings or {})) for t in tasks for g in gens for p in proxies for s in range(seeds)]


def run_cell(cell: Cell, out: Path, device: str = "auto") -> dict[str, Any]:
    """Run one cell into ``out`` (its run directory); return its metrics with the cell's settings."""
    from seqmbo.run import RunConfig, execute

    cfg = RunConfig(task=cell.task, generator=cell.generator, proxy=cell.proxy, seed=cell.seed, device=device)
    cfg.apply_task_defaults()
    for key, value in cell.settings.items():
        if cell.generator in ("random", "dataset-top") and (key == "generator_options" or key.startswith("generator.")):
            continue  # the baselines take no generator settings
        cfg.set(key, value)
    result = execute(cfg, out, force=True)
    return result.metrics


def finished(out: Path) -> dict[str, Any] | None:
    """The metrics of a finished run directory, or ``None``."""
    p = out / "metrics.json"
    if not p.is_file():
        return None
    try:
        return json.loads(p.read_text())
    except (OSError, json.JSONDecodeError):
        return None


@dataclass
class GridOptions:
    """How a grid runs.

    Attributes:
        executor: ``local`` (one process a cell, ``workers`` at a time) or ``ray``.
        workers: local processes at once (default: the cores given, ``os.cpu_count() // cpus_per_run``).
        cpus_per_run: torch threads (local) or Ray CPUs of each cell.
        gpus_per_run: Ray GPUs of each cell (local: cells use the device setting).
        address: the Ray cluster to join (``None``: start a local Ray).
        retries: how often a failed cell is tried again.
        device: the runs' ``--device``.
    """

    executor: str = "local"
    workers: int | None = None
    cpus_per_run: int = 1
    gpus_per_run: float = 0.0
    address: str | None = None
    retries: int = 1
    device: str = "auto"


def run_grid(cells: list[Cell], out: str | Path, options: GridOptions | None = None):
    """Run every unfinished cell; return the results table (a DataFrame, one row a cell)."""
    opts = options or GridOptions()
    if opts.executor not in ("local", "ray"):
        raise InvalidInputError(f"unknown executor {opts.executor!r}; use local or ray")
    out = Path(out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    todo = []
    for cell in cells:
        done = finished(out / "runs" / cell.name)
        if done is not None:
            results[cell.name] = _row(cell, done, "done (earlier)")
        else:
            todo.append(cell)
    log.info("grid: %d cells, %d finished earlier, %d to run", len(cells), len(cells) - len(todo), len(todo))
    t0 = time.perf_counter()
    runner = _run_local if opts.executor == "local" else _run_ray
    for cell, metrics, status in runner(todo, out, opts):
        results[cell.name] = _row(cell, metrics, status)
        write_results(out, [results[c.name] for c in cells if c.name in results])
        _progress(results, len(cells))
    table = write_results(out, [results[c.name] for c in cells if c.name in results])
    log.info("grid done in %.1f s", time.perf_counter() - t0)
    return table


def _progress(results: dict, total: int) -> None:
    failed = sum(r["status"] == "failed" for r in results.values())
    log.warning("grid: %d/%d cells done, %d failed", len(results) - failed, total, failed)


def _row(cell: Cell, metrics: dict[str, Any] | None, status: str) -> dict[str, Any]:
    row = {"cell": cell.name, "task_arg": cell.task, "generator": cell.generator, "proxy": cell.proxy,
           "seed": cell.seed, "status": status, "settings": json.dumps(cell.settings, sort_keys=True)}
    if metrics:  # its task, generator, proxy and seed are the cell's own
        row.update({k: v for k, v in metrics.items() if k not in row})
    return row


def _run_local(cells: list[Cell], out: Path, opts: GridOptions):
    """One subprocess a cell, ``workers`` at once; a killed or failed process is retried."""
    workers = opts.workers or max(1, (os.cpu_count() or 1) // max(1, opts.cpus_per_run))
    queue = [(cell, 0) for cell in cells]
    running: dict[subprocess.Popen, tuple[Cell, int, Path]] = {}
    env = dict(os.environ, SEQMBO_THREADS=str(max(1, opts.cpus_per_run)))
    while queue or running:
        while queue and len(running) < workers:
            cell, tries = queue.pop(0)
            log_path = out / "runs" / f"{cell.name}.log"
            spec = json.dumps({"cell": asdict(cell), "out": str(out / "runs" / cell.name), "device": opts.device})
            with open(log_path, "w") as fh:
                proc = subprocess.Popen([sys.executable, "-m", "seqmbo.bench", spec], stdout=fh, stderr=subprocess.STDOUT,
                                        env=env)
            running[proc] = (cell, tries, log_path)
        time.sleep(0.2)
        for proc in [p for p in running if p.poll() is not None]:
            cell, tries, log_path = running.pop(proc)
            metrics = finished(out / "runs" / cell.name) if proc.returncode == 0 else None
            if metrics is not None:
                yield cell, metrics, "done"
            elif tries < opts.retries:
                log.warning("cell %s failed (exit %s); retrying", cell.name, proc.returncode)
                queue.append((cell, tries + 1))
            else:
                log.warning("cell %s failed twice; see %s", cell.name, log_path)
                yield cell, {"error": _last_line(log_path)}, "failed"


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text().splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


def _run_ray(cells: list[Cell], out: Path, opts: GridOptions):
    """Each cell a Ray task with its CPUs/GPUs; Ray retries a cell whose worker died, and one that raised."""
    try:
        import ray
    except ImportError:
        raise InvalidInputError("--executor ray needs Ray: pip install 'seqmbo[ray]'") from None
    ray.init(address=opts.address, ignore_reinit_error=True, log_to_driver=False,
             **({} if opts.address else {"num_cpus": opts.workers or os.cpu_count()}))
    remote = ray.remote(num_cpus=opts.cpus_per_run, num_gpus=opts.gpus_per_run, max_retries=opts.retries,
                        retry_exceptions=True)(_ray_cell)
    pending = {remote.remote(asdict(cell), str(out / "runs" / cell.name), opts.device, opts.cpus_per_run): cell
               for cell in cells}
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        cell = pending.pop(ready[0])
        try:
            yield cell, ray.get(ready[0]), "done"
        except Exception as e:  # a cell that failed on every try: reported, the grid goes on
            yield cell, {"error": str(e).splitlines()[-1][:300] if str(e) else type(e).__name__}, "failed"


def _ray_cell(cell: dict, out: str, device: str, threads: int) -> dict:
    import torch

    torch.set_num_threads(max(1, threads))
    return run_cell(Cell(**cell), Path(out), device)


def write_results(out: Path, rows: list[dict[str, Any]]):
    """``results.csv`` and ``summary.md``, atomically; returns the results table."""
    import pandas as pd

    from seqmbo.io import write_outputs

    table = pd.DataFrame(rows)
    write_outputs(out, {"results.csv": lambda p: table.to_csv(p, index=False),
                        "summary.md": lambda p: p.write_text(summary_markdown(table))})
    return table


def summary_markdown(table) -> str:
    """Mean ± std over seeds per task, generator and proxy, with the published numbers beside."""
    if table.empty or "status" not in table:
        return "no runs\n"
    ok = table[table["status"].str.startswith("done")]
    keys = [k for k in SUMMARY_KEYS if k in ok and ok[k].notna().any()]
    lines = ["| task | generator | proxy | runs | failed | " + " | ".join(keys) + " |",
             "|" + "---|" * (5 + len(keys))]
    for (task, gen, proxy), grp in table.groupby(["task_arg", "generator", "proxy"], sort=False):
        good = grp[grp["status"].str.startswith("done")]
        cells = [f"{good[k].mean():.3f} ± {good[k].std(ddof=0):.3f}" if k in good and good[k].notna().any() else "—"
                 for k in keys]
        lines.append(f"| {task} | {gen} | {proxy} | {len(good)} | {len(grp) - len(good)} | " + " | ".join(cells) + " |")
    published = published_rows(sorted(set(table["task_arg"])))
    if published:
        lines += ["", "Published 100th-percentile normalized scores (Design-Bench protocol; 128 designs):", ""]
        lines += published
    return "\n".join(lines) + "\n"


def published_rows(tasks: list[str]) -> list[str]:
    """Rows of the published Design-Bench table for the grid's tasks (from ``$SEQMBO_DATA_DIR``)."""
    import csv

    from seqmbo.data.fetch import search_dirs

    columns = {"tfbind8": "TFBind8", "tfbind8-raw": "TFBind8", "gfp": "GFP", "utr": "UTR"}
    wanted = [(t, columns[t]) for t in tasks if t in columns]
    path = next((d / "reference" / "designbench_published.csv" for _, d in search_dirs()
                 if (d / "reference" / "designbench_published.csv").is_file()), None)
    if not wanted or path is None:
        return []
    rows = list(csv.DictReader(path.open()))
    out = ["| method | " + " | ".join(t for t, _ in wanted) + " |", "|---|" + "---|" * len(wanted)]
    for r in rows:
        out.append(f"| {r['Method']} | " + " | ".join(r.get(c) or "—" for _, c in wanted) + " |")
    return out


def _worker_main(argv: Sequence[str]) -> int:
    """``python -m seqmbo.bench SPEC``: run one cell (the local executor's worker)."""
    from seqmbo.errors import SeqmboError
    from seqmbo.run import set_threads

    logging.basicConfig(level=logging.WARNING, format="seqmbo: %(message)s")
    spec = json.loads(argv[0])
    set_threads()
    try:
        run_cell(Cell(**spec["cell"]), Path(spec["out"]), spec["device"])
    except SeqmboError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_worker_main(sys.argv[1:]))
