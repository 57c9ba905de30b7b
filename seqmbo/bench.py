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

import copy
import json
import logging
import math
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from seqmbo.errors import InvalidInputError, SeqmboError

log = logging.getLogger(__name__)

SUMMARY_KEYS = ("score_norm_p100", "score_norm_p50", "diversity", "novelty", "oracle_top1", "oracle_top10_mean",
                "time_total_s")
SEQUENCE_METHODS = [("random", "ensemble"), ("dataset-top", "ensemble"), ("evolution", "ensemble"),
                    ("gradient", "ensemble"), ("gradient", "com"), ("latent", "ensemble"), ("gflownet", "ensemble")]
MOLECULE_METHODS = [("random", "ensemble"), ("dataset-top", "ensemble"), ("evolution", "ensemble"),
                    ("latent", "ensemble"), ("gflownet", "ensemble")]
ZINC_MPO = ["zinc-osimertinib", "zinc-fexofenadine", "zinc-ranolazine", "zinc-perindopril", "zinc-amlodipine",
            "zinc-sitagliptin", "zinc-zaleplon"]
PRESETS: dict[str, dict[str, Any]] = {
    # a grid small enough for a smoke test of the machinery (seconds a cell)
    "smoke": {"tasks": ["ehrlich-20-16-2-4"], "generators": ["random", "evolution"], "seeds": 2,
              "settings": {"calibration": False, "n": 16, "proxy_options": {"members": 2, "min_steps": 50},
                           "generator_options": {}}},
    # the grid behind the README's benchmark table: groups of tasks, each with its (generator, proxy) pairs
    "readme": {"groups": [
        {"tasks": ["tfbind8", "gb1", "utr", "gfp", "ehrlich-20-16-2-4", "ehrlich-32-32-4-4"],
         "methods": SEQUENCE_METHODS, "seeds": 8},
        {"tasks": ZINC_MPO, "methods": MOLECULE_METHODS, "seeds": 3},
    ], "settings": {}},
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


def preset_grid(name: str, settings: dict[str, Any] | None = None, seeds: int | None = None) -> list[Cell]:
    """The cells of a named preset (``seeds`` overrides its seeds); ``settings`` go on top of its own."""
    if name not in PRESETS:
        raise InvalidInputError(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}")
    preset = PRESETS[name]
    merged = copy.deepcopy({**preset.get("settings", {}), **(settings or {})})
    if "groups" not in preset:
        return make_grid(preset["tasks"], preset["generators"], ["ensemble"], seeds or preset["seeds"], merged)
    return [Cell(task, gen, proxy, seed, dict(merged)) for group in preset["groups"] for task in group["tasks"]
            for gen, proxy in group["methods"] for seed in range(seeds or group["seeds"])]


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
        gpus_per_run: GPUs of each cell (Ray ``num_gpus``; local: ``CUDA_VISIBLE_DEVICES`` handed out
            round-robin from ``gpus``, a fraction shares one GPU among ``1 / gpus_per_run`` cells).
        gpus: the local GPU ids (default: ``$CUDA_VISIBLE_DEVICES``, else every GPU torch sees).
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
    gpus: list[str] | None = None


def local_gpus() -> list[str]:
    """The GPU ids this machine offers: ``$CUDA_VISIBLE_DEVICES`` when set, else torch's count."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [g.strip() for g in env.split(",") if g.strip() and g.strip() != "-1"]
    import torch

    return [str(i) for i in range(torch.cuda.device_count())]


class GpuPool:
    """Hands out GPU ids to cells round-robin: ``per_run`` < 1 lets ``floor(1 / per_run)`` cells
    share a GPU; ``per_run`` >= 1 gives each cell ``ceil(per_run)`` whole GPUs."""

    def __init__(self, ids: Sequence[str], per_run: float) -> None:
        if per_run > 0 and not ids:
            raise InvalidInputError("--gpus-per-run needs a GPU, and none is visible (CUDA_VISIBLE_DEVICES, torch)")
        self.ids = list(ids)
        self.per_run = per_run
        self.need = max(1, math.ceil(per_run)) if per_run > 0 else 0
        if self.need > len(self.ids):
            raise InvalidInputError(f"--gpus-per-run {per_run} needs {self.need} GPUs; this machine has {len(self.ids)}")
        slots = int(1 / per_run + 1e-9) if 0 < per_run < 1 else 1
        self.free = {g: slots for g in self.ids}
        self._next = 0

    def take(self) -> list[str] | None:
        """GPU ids for one cell (``[]`` when cells use no GPU), or ``None`` while too few are free."""
        if not self.need:
            return []
        order = self.ids[self._next:] + self.ids[:self._next]
        got = [g for g in order if self.free[g] > 0][: self.need]
        if len(got) < self.need:
            return None
        for g in got:
            self.free[g] -= 1
        self._next = (self.ids.index(got[-1]) + 1) % len(self.ids)
        return got

    def give(self, ids: Sequence[str]) -> None:
        """Return a finished cell's GPUs."""
        for g in ids:
            self.free[g] += 1


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
    todo = run_order(todo)
    log.info("grid: %d cells, %d finished earlier, %d to run", len(cells), len(cells) - len(todo), len(todo))
    train_learned_oracles({c.task for c in todo})
    t0 = time.perf_counter()
    runner = _run_local if opts.executor == "local" else _run_ray
    for cell, metrics, status in runner(todo, out, opts):
        results[cell.name] = _row(cell, metrics, status)
        write_results(out, [results[c.name] for c in cells if c.name in results])
        _progress(results, len(cells))
    wall = time.perf_counter() - t0
    footer = (f"Grid: {len(cells)} cells ({len(todo)} run now, {len(cells) - len(todo)} finished earlier) in "
              f"{wall:.0f} s wall on {hardware()}; executor {opts.executor}, {opts.cpus_per_run} CPU and "
              f"{opts.gpus_per_run:g} GPU a cell.")
    table = write_results(out, [results[c.name] for c in cells if c.name in results], footer)
    log.info("grid done in %.1f s", wall)
    return table


def run_order(cells: Sequence[Cell]) -> list[Cell]:
    """Seed 0 of every cell first, then seed 1, ... (grid order within a seed): a grid stopped
    early has every row of its table, at fewer seeds. results.csv keeps the grid's order."""
    return sorted(cells, key=lambda c: c.seed)


def train_learned_oracles(tasks: set[str]) -> None:
    """Train (or find in the cache) the oracle of each learned-oracle task once, before the cells
    start, so parallel cells do not each train it."""
    from seqmbo.tasks import load_task
    from seqmbo.tasks.spec import load_spec

    for task in sorted(tasks):
        try:
            learned = load_spec(task)["kind"] == "learned"
        except SeqmboError:
            continue  # the cell reports it
        if learned:
            log.warning("grid: the learned oracle of %s (trained once, then cached)", task)
            load_task(task)


def hardware() -> str:
    """This machine in words: CPU model and count, and the GPU when torch sees one."""
    import platform

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), model)
    except OSError:
        pass
    gpu = "no GPU"
    try:
        import torch

        if torch.cuda.is_available():
            gpu = f"{torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}"
    except ImportError:
        pass
    return f"{os.cpu_count()} CPUs ({model}), {gpu}"


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
    pool = GpuPool(opts.gpus if opts.gpus is not None else (local_gpus() if opts.gpus_per_run > 0 else []),
                   opts.gpus_per_run)
    queue = [(cell, 0) for cell in cells]
    running: dict[subprocess.Popen, tuple[Cell, int, Path, list[str]]] = {}
    env = dict(os.environ, SEQMBO_THREADS=str(max(1, opts.cpus_per_run)))
    while queue or running:
        while queue and len(running) < workers and (gpus := pool.take()) is not None:
            cell, tries = queue.pop(0)
            log_path = out / "runs" / f"{cell.name}.log"
            spec = json.dumps({"cell": asdict(cell), "out": str(out / "runs" / cell.name), "device": opts.device})
            cell_env = dict(env, CUDA_VISIBLE_DEVICES=",".join(gpus)) if pool.need else env
            with open(log_path, "w") as fh:
                proc = subprocess.Popen([sys.executable, "-m", "seqmbo.bench", spec], stdout=fh, stderr=subprocess.STDOUT,
                                        env=cell_env)
            running[proc] = (cell, tries, log_path, gpus)
        time.sleep(0.2)
        for proc in [p for p in running if p.poll() is not None]:
            cell, tries, log_path, gpus = running.pop(proc)
            pool.give(gpus)
            metrics = finished(out / "runs" / cell.name) if proc.returncode == 0 else None
            if metrics is not None:
                extra = {"attempts": tries + 1, **({"gpus": ",".join(gpus)} if pool.need else {})}
                yield cell, {**metrics, **extra}, "done"
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
    from seqmbo.sharding import init_ray

    ray = init_ray(opts.address, opts.workers or os.cpu_count())
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
    attempts = Path(f"{out}.attempts")  # one line an attempt (first thing): a retried cell shows how often it started
    with open(attempts, "a") as fh:
        fh.write(f"pid {os.getpid()} started {time.time():.1f}\n")
    import ray
    import torch

    torch.set_num_threads(max(1, threads))
    metrics = run_cell(Cell(**cell), Path(out), device)
    gpus = ray.get_gpu_ids()
    extra = {"attempts": len(attempts.read_text().splitlines()), **({"gpus": ",".join(map(str, gpus))} if gpus else {})}
    return {**metrics, **extra}


def write_results(out: Path, rows: list[dict[str, Any]], footer: str = ""):
    """``results.csv``, ``summary.md`` and ``readme_table.md`` (with ``footer``, the grid's wall time
    and hardware, once it is done), atomically; returns the results table."""
    import pandas as pd

    from seqmbo.io import write_outputs

    table = pd.DataFrame(rows)
    tail = f"\n{footer}\n" if footer else ""
    write_outputs(out, {"results.csv": lambda p: table.to_csv(p, index=False),
                        "summary.md": lambda p: p.write_text(summary_markdown(table) + tail),
                        "readme_table.md": lambda p: p.write_text(readme_table(table) + tail)})
    return table


README_COLUMNS = (("p100", "score_norm_p100", 3), ("p50", "score_norm_p50", 3), ("diversity", "diversity", 2),
                  ("novelty distance", "novelty_distance", 2), ("validity", "validity", 2))


def readme_table(table) -> str:
    """The README's benchmark table from a results table: one row a task and method, mean ± std
    over the finished seeds; the oracle column says ``learned oracle`` where a model scores."""
    if table.empty or "status" not in table:
        return "no runs\n"
    ok = table[table["status"].str.startswith("done")]
    lines = ["| task | oracle | generator | proxy | seeds | " + " | ".join(c for c, _, _ in README_COLUMNS) + " |",
             "|" + "---|" * (5 + len(README_COLUMNS))]
    for (task, gen, proxy), grp in ok.groupby(["task_arg", "generator", "proxy"], sort=False):
        kind = grp["oracle_kind"].dropna().iloc[0] if "oracle_kind" in grp and grp["oracle_kind"].notna().any() else "—"
        kind = "learned oracle" if kind == "learned" else kind
        cells = []
        for _, key, digits in README_COLUMNS:
            vals = grp[key].dropna() if key in grp else grp.iloc[:0, 0]
            cells.append(f"{vals.mean():.{digits}f} ± {vals.std(ddof=0):.{digits}f}" if len(vals) else "—")
        lines.append(f"| {task} | {kind} | {gen} | {proxy} | {len(grp)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


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
        if "oracle_kind" in good and (good["oracle_kind"] == "learned").any():
            task = f"{task} (learned oracle)"
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
        method = r.get("method") or r.get("Method") or "?"  # the mirror's file has "method"
        out.append(f"| {method} | " + " | ".join(r.get(c) or "—" for _, c in wanted) + " |")
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
