"""The one orchestrator of a design run: fit a proxy, generate under the sealed oracle, gate,
select, predict, evaluate (when the task has an oracle) and write the run directory.

``seqmbo design`` / :func:`seqmbo.design` (a benchmark task) and ``seqmbo propose`` /
:func:`seqmbo.propose` (the user's own table, no oracle) both land in :func:`execute`; online
rounds and benchmark grids reuse it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqmbo.config import DEFAULT_TASK, RunConfig, name_of, parse_setting, parse_value, with_kind_defaults
from seqmbo.errors import InvalidInputError

__all__ = ["DEFAULT_TASK", "RunConfig", "RunResult", "design", "execute", "parse_setting", "parse_value"]

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What a run returns: ``candidates`` (DataFrame, best first), ``metrics`` (flat dict), ``config``."""

    candidates: Any
    metrics: dict[str, Any]
    config: RunConfig
    out: Path | None = None


def design(task: str | Path | dict | None = None, generator: Any = "evolution", proxy: Any = "ensemble", *,
           n: int | None = None, seed: int = 0, out: str | Path | None = None, force: bool = False,
           config: RunConfig | None = None, **settings: Any) -> RunResult:
    """One offline design run on a benchmark task.

    Args:
        task: a built-in task name, a spec path or a spec dict (default: the no-download default task).
        generator: a generator name (``random``, ``dataset-top``, ``evolution``, ...) or object.
        proxy: a proxy name (``ensemble``, ``mlp``, ...) or object.
        n: candidates to keep (default: the task's ``n_candidates``).
        seed: seed of every random choice.
        out: if given, the run directory to write (candidates.csv, metrics.json, config.toml, report.png).
        force: replace the files of an earlier run in ``out`` (without it, such a folder is refused).
        config: a full :class:`RunConfig` (the other arguments and the task's ``[run]``
            defaults are then ignored).
        **settings: further :class:`RunConfig` fields (``reward="lcb"``, ``device="cpu"``,
            ``generator_options={...}``); they override the task spec's ``[run]`` defaults.

    Returns:
        A :class:`RunResult`.
    """
    if config is None:
        config = RunConfig(
            task=DEFAULT_TASK if task is None else task, generator=generator, proxy=proxy, n=n, seed=seed
        ).apply_task_defaults()  # type: ignore[arg-type]
        for k, v in settings.items():
            config.set(k, v)
    return execute(config, out, force=force)


def load_problem(cfg: RunConfig):
    """The run's task: the user's table when ``cfg.data`` is set, else the benchmark ``cfg.task``."""
    if cfg.data is not None:
        from seqmbo.tasks.user_data import user_task

        return user_task(cfg.data, x=cfg.x, y=cfg.y, kind=cfg.kind, direction=cfg.direction,
                         constraints=cfg.constraints)
    from seqmbo.tasks import load_task

    return load_task(cfg.task)


def execute(cfg: RunConfig, out: str | Path | None = None, task=None, force: bool = False) -> RunResult:
    """Run ``cfg`` on ``task`` (default: :func:`load_problem`) and, when ``out`` is given, write the
    run directory atomically (an earlier run there is replaced only with ``force``). The only loop
    of a design run."""
    from seqmbo import multiobjective as mo
    from seqmbo.generators import make_generator
    from seqmbo.progress import stage
    from seqmbo.proxies import make_proxy

    t_start = time.perf_counter()
    if out is not None:
        check_writable(out, force)
    task = load_problem(cfg) if task is None else task
    space, data = task.space, task.dataset
    cfg = with_kind_defaults(cfg, space.kind)  # e.g. the molecule defaults of reward and trust region
    n = int(cfg.n if cfg.n is not None else task.n_candidates)
    if n < 1:
        raise InvalidInputError(f"n must be >= 1, got {n}")
    gen = make_generator(cfg.generator, device=cfg.device, **cfg.generator_options)
    rng = np.random.default_rng(cfg.seed)
    sealed = task.oracle.sealed if task.has_oracle else contextlib.nullcontext
    times: dict[str, float] = {}

    with stage("fitting the proxy", times, "time_fit_s"), sealed():
        proxy = mo.objective_proxy(cfg, task, make_proxy)  # one per measured column with several
        proxy.fit(data.designs, mo.fit_targets(task))
    calibrate = _calibrates(cfg, gen) and not mo.is_multi(task)
    with stage("calibrating the proxy", times, "time_calibration_s", skip=not calibrate):
        quality = proxy_calibration(cfg, space, data, proxy, sealed) if calibrate else {}
    invalid = set(data.info.get("invalid", ()))  # labelled designs the oracle called invalid (online rounds)
    base_support = make_support(cfg, space, [d for d in data.designs if d not in invalid])  # bigram, or chemistry
    support = mo.constraint_support(task, base_support)
    reward = mo.make_reward(proxy, space, cfg, support)
    with stage(f"generating ({name_of(cfg.generator)})", times, "time_generate_s"), sealed():
        raw = list(gen.propose(reward, n, data, rng))
        candidates, removed = gate_and_select(cfg, space, data, gen, reward, support, raw, n)
        pred = proxy.predict(candidates)
    with stage("scoring the candidates", times, "time_evaluate_s"):
        table, metrics = summarize(cfg, task, candidates, pred, raw, removed)
        if space.kind == "molecule":
            from seqmbo.metrics.mol_run import realism_metrics

            metrics.update(realism_metrics(space, table, data.designs, base_support))
        metrics.update(mo.objective_report(task, proxy, candidates, table))
    metrics.update(quality)
    metrics.update(getattr(gen, "quality", None) or {})  # a generator's own diagnostics (latent: encoder quality)
    warn_if_weak(task, quality)
    metrics.update(times)
    metrics["time_total_s"] = time.perf_counter() - t_start
    from seqmbo.metrics.run_metrics import peak_rss_mb

    metrics["peak_rss_mb"] = peak_rss_mb()
    metrics = {k: _jsonable(v) for k, v in metrics.items()}
    result = RunResult(table, metrics, cfg)
    if out is not None:
        result.out = write_run(out, result, task, gen, proxy)
    return result


WEAK_SPEARMAN, FEW_ROWS, LOW_COVERAGE = 0.3, 50, 0.6


def warn_if_weak(task, quality: dict[str, Any]) -> None:
    """Say in plain words when the proxy's predictions deserve little trust (few rows, weak held-out
    fit, intervals far narrower than its errors)."""
    rho = quality.get("proxy_heldout_spearman")
    cover = quality.get("proxy_heldout_coverage90")
    if cover is not None and cover < LOW_COVERAGE:
        log.warning("the model's uncertainty is too small: its 90%% intervals hold only %.0f%% of held-out scores; "
                    "read proxy_std as a lower bound of the error, not as a confidence interval", 100 * cover)
    n = len(task.dataset)
    if n < FEW_ROWS:
        log.warning("only %d scored designs: the model has little to learn from; treat its predictions as a rough "
                    "guide and measure the candidates before trusting them", n)
    if rho is not None and rho < WEAK_SPEARMAN:
        log.warning("the model ranks held-out designs poorly (Spearman %.2f < %.1f): its predictions for new designs "
                    "are weak; more or less noisy data, or another proxy, may help", rho, WEAK_SPEARMAN)


def _calibrates(cfg: RunConfig, gen) -> bool:
    """Baselines are not guided by the proxy: their runs fit one proxy (for the table), no more."""
    return cfg.calibration and not gen.baseline


def make_gates(cfg: RunConfig, space, gen, support) -> list[Any]:
    """The run's gates, in order: valid, unique, then (not for baselines) support (for molecules
    the chemistry gates and the trust region), novel."""
    from seqmbo.gates import Novel, Unique, Valid
    from seqmbo.gates.core import leaf_gates

    gates: list[Any] = [Valid(space), Unique(space)]
    if gen.baseline:  # baselines are judged as they come
        return gates
    if support is not None:  # e.g. the chemistry gates and a constraint gate, each counted under its own name
        gates.extend(leaf_gates(support))
    if cfg.novel:
        gates.append(Novel(1, space))
    return gates


def gate_and_select(cfg: RunConfig, space, data, gen, reward, support, raw: list[str], n: int):
    """Gate the proposals, rank them by reward (reward-guided generators) and select ``n``.

    Returns:
        ``(candidates, removed)``: the selected designs, best first, and how many proposals each
        gate removed (``{gate name: count}``).
    """
    from seqmbo.gates import AllOf, select_diverse

    gates = AllOf(*make_gates(cfg, space, gen, support))
    probes = set(getattr(gen, "off_support", ())) if data.info.get("online") else set()  # local's probes
    gated = [d for d in raw if d not in probes]  # probes skip the gates and are not counted as removed
    verdicts = iter(gates(gated, data.designs) if gated else ())
    kept = [d for d in raw if d in probes or next(verdicts)]  # raw's order, each gated design once
    removed = dict(gates.removed)
    if gen.uses_reward and kept:
        from seqmbo.multiobjective import selection_order

        kept = [kept[i] for i in selection_order(reward, kept, limit=4 * n)]
    if cfg.min_distance > 0:
        kept = select_diverse(kept, n, cfg.min_distance, cfg.diverse or None, space)
    candidates = kept[:n]
    if not candidates:
        names = ", ".join(f"{k} removed {v}" for k, v in removed.items())
        raise InvalidInputError(
            f"generator {name_of(cfg.generator)!r} produced no candidate that passed the gates "
            f"({names}); {len(raw)} proposed"
        )
    if len(candidates) < n:
        log.warning("only %d of %d requested candidates passed the gates", len(candidates), n)
    return candidates, removed


def summarize(cfg: RunConfig, task, candidates: list[str], pred, raw: list[str], removed: dict[str, int]):
    """The candidates' table (best first) and the run's metrics; the oracle is called here, after design."""
    import pandas as pd

    from seqmbo.metrics.run_metrics import library_metrics, proxy_metrics, score_metrics

    space, data = task.space, task.dataset
    mean = task.sign * pred.mean  # in the user's units (lower is better when direction = "min")
    std = pred.std if pred.std is not None else np.full(len(candidates), np.nan)
    table = pd.DataFrame({space.column: candidates, "proxy_mean": mean, "proxy_std": std})
    metrics: dict[str, Any] = {
        "task": task.name, "generator": name_of(cfg.generator), "proxy": name_of(cfg.proxy), "seed": cfg.seed,
        "n_candidates": len(candidates),
    }
    valid = space.is_valid(candidates)
    if task.has_oracle:
        oracle_y = task.oracle(candidates)  # evaluation only, after the design phase
        valid &= np.isfinite(oracle_y)
        table["oracle"] = oracle_y
        metrics["oracle_calls_design"] = task.oracle.design_calls
        metrics["oracle_kind"] = task.oracle_kind  # "learned": scores come from a model, not a measurement
        if "oracle_spearman" in task.spec:
            metrics["oracle_spearman"] = task.spec["oracle_spearman"]
        metrics.update(score_metrics(oracle_y, task.normalize, task.y_min))
        metrics["dataset_best_norm"] = task.dataset_best_norm
        if space.kind == "molecule":
            from seqmbo.metrics.mol_run import oracle_top_metrics

            metrics.update(oracle_top_metrics(oracle_y))  # oracle_top1, oracle_top10_mean (raw units)
        metrics.update(proxy_metrics(mean, oracle_y))
    table["nearest_offline"], table["nearest_distance"] = nearest_offline(space, candidates, data.designs)
    metrics.update(library_metrics(space, candidates, data.designs, valid, table["nearest_distance"].to_numpy()))
    metrics.update({"reward": cfg.reward, "kappa": cfg.kappa, "n_offline": len(data), "n_proposed": len(raw)})
    metrics.update({f"gate_removed_{k}": v for k, v in removed.items()})
    return table, metrics


def nearest_offline(space, candidates: list[str], offline: list[str], block: int = 512):
    """For each candidate, its nearest offline design and the distance to it (the space's distance)."""
    names, dists = [], []
    for s in range(0, len(candidates), block):
        d = space.distance(candidates[s:s + block], offline)
        idx = d.argmin(1)
        names += [offline[i] for i in idx]
        dists += d[np.arange(len(idx)), idx].tolist()
    return names, dists


def proxy_calibration(cfg: RunConfig, space, data, proxy, sealed=contextlib.nullcontext) -> dict[str, Any]:
    """Held-out and OOD quality of fresh proxies like the run's (see :mod:`seqmbo.metrics.calibration`).

    Runs under the sealed oracle; fresh proxies are seeded by the run's seed, so a run's
    candidates do not depend on ``calibration``.
    """
    import copy

    from seqmbo.metrics.calibration import proxy_quality
    from seqmbo.proxies import make_proxy

    if isinstance(cfg.proxy, str):
        def fresh():
            return make_proxy(cfg.proxy, space, seed=cfg.seed, device=cfg.device, **cfg.proxy_options)
    else:
        def fresh():
            return copy.deepcopy(proxy)
    with sealed():
        return proxy_quality(fresh, data, cfg.seed)


def set_threads() -> None:
    """Torch threads from ``$SEQMBO_THREADS`` (default 1: small models gain little from more, and
    oversubscribed cores slow them down many times over). Called at the command-line entry only."""
    import os

    import torch

    text = os.environ.get("SEQMBO_THREADS", "1")
    try:
        threads = max(1, int(text))
    except ValueError:
        raise InvalidInputError(f"$SEQMBO_THREADS must be a whole number, got {text!r}") from None
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def make_support(cfg: RunConfig, space, designs):
    """The reward's support gate: for sequences the one named by ``cfg.support`` (``bigram`` or
    ``none``); for molecules the chemistry gates of :func:`seqmbo.gates.realism.chemistry_gates`."""
    from seqmbo.gates import BigramSupport
    from seqmbo.gates.realism import chemistry_gates, chemistry_settings

    if cfg.support not in ("bigram", "none"):
        raise InvalidInputError(f"unknown support {cfg.support!r}; use 'bigram' or 'none'")
    chemistry = chemistry_settings(cfg, space.kind)
    if chemistry is not None:
        return chemistry_gates(chemistry, space, designs)
    return None if cfg.support == "none" else BigramSupport(designs, space)


RUN_FILES = ("candidates.csv", "metrics.json", "config.toml", "report.png")


def check_writable(out: str | Path, force: bool = False) -> None:
    """Refuse, before any work, an output folder that cannot be written, or that holds an earlier
    run (unless ``force``). Nothing is created: a run that stops on bad input leaves no folder."""
    import tempfile

    p = Path(out)
    earlier = [f for f in RUN_FILES if (p / f).exists()]
    if earlier and not force:
        raise InvalidInputError(f"{out}: holds an earlier run ({', '.join(earlier)}); choose another --out, "
                                "or --force to replace it")
    if p.exists() and not p.is_dir():
        raise InvalidInputError(f"{out}: exists and is not a folder")
    existing = next(q for q in (p, *p.absolute().parents) if q.exists())  # the folder the run would create in
    if not existing.is_dir():
        raise InvalidInputError(f"{out}: cannot create the output folder ({existing} is not a folder)")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as e:
        raise InvalidInputError(f"{out}: the output folder cannot be written ({e.strerror})") from None


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def resolved_config(cfg: RunConfig, task, gen, proxy) -> dict[str, Any]:
    """The config as TOML data: the user's settings plus what they resolved to (for the record).

    Paths (a task spec, the user's table) are written absolute, so the config repeats the run
    from any folder.
    """
    data = {k: v for k, v in dataclasses.asdict(cfg).items() if v is not None}
    data["task"] = _absolute(cfg.task) if isinstance(cfg.task, (str, Path)) else task.name
    if cfg.data is not None:
        data["data"] = _absolute(cfg.data)
    data["generator"], data["proxy"] = name_of(cfg.generator), name_of(cfg.proxy)
    resolved: dict[str, Any] = {"task_spec": {k: v for k, v in task.spec.items() if not k.startswith("_")}}
    gcfg = getattr(gen, "config", None)
    if dataclasses.is_dataclass(gcfg):
        resolved["generator"] = {k: v for k, v in dataclasses.asdict(gcfg).items() if v is not None}
    tcfg = getattr(proxy, "train_cfg", None)
    if dataclasses.is_dataclass(tcfg):
        train = {k: v for k, v in dataclasses.asdict(tcfg).items() if v is not None}  # TOML has no None
        resolved["proxy"] = {**train, **getattr(proxy, "net_options", {})}
    data["resolved"] = resolved
    return data


def _absolute(path: str | Path) -> str:
    """A spec or data path made absolute when it names an existing file; a task name stays as it is."""
    p = Path(str(path)).expanduser()
    return str(p.resolve()) if p.is_file() else str(path)


def write_run(out: str | Path, result: RunResult, task, gen, proxy) -> Path:
    """Write candidates.csv, metrics.json, config.toml and report.png into ``out`` (atomically)."""
    import tomli_w

    from seqmbo.io import write_outputs
    from seqmbo.report import design_report

    config_data = resolved_config(result.config, task, gen, proxy)
    writers = {  # RUN_FILES, and the extras below
        "candidates.csv": lambda p: result.candidates.to_csv(p, index=False),
        "metrics.json": lambda p: p.write_text(json.dumps(result.metrics, indent=2) + "\n"),
        "config.toml": lambda p: p.write_text(tomli_w.dumps(config_data)),
        "report.png": lambda p: design_report(p, result, task),
    }
    if task.space.kind == "molecule":
        from seqmbo.io import write_sdf
        from seqmbo.report import candidates_grid

        writers["candidates.sdf"] = lambda p: write_sdf(p, result.candidates)
        writers["best.png"] = lambda p: candidates_grid(p, result.candidates)
    if not task.has_oracle:  # the user's data as read, so that config.toml repeats the run from anywhere
        from seqmbo.multiobjective import offline_frame

        offline, y_setting = offline_frame(task)
        writers["offline.csv"] = lambda p: offline.to_csv(p, index=False)
        if not Path(str(result.config.data)).is_file():
            config_data.update(data=str(Path(out).resolve() / "offline.csv"), x=task.space.column, y=y_setting)
    return write_outputs(out, writers)
