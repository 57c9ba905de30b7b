"""The one orchestrator of a design run: fit a proxy, generate under the sealed oracle, gate,
select, evaluate, and write the run directory.

``seqmbo design`` and :func:`seqmbo.design` both land here; online rounds and benchmark grids reuse it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seqmbo.errors import InvalidInputError

log = logging.getLogger(__name__)

DEFAULT_TASK = "nci-qed"  # the no-download molecule task (QED over the NCI molecules bundled with RDKit)


@dataclass
class RunConfig:
    """Everything that decides a design run; written to ``config.toml`` so a run can be repeated.

    Attributes:
        task: a built-in task name or a path to a spec.
        generator: a generator name.
        proxy: a proxy name.
        n: candidates to keep (default: the task's ``n_candidates``).
        seed: the seed of every random choice (same seed, same candidates on CPU).
        reward: ``mean``, ``lcb`` or ``ucb`` of the proxy's prediction.
        kappa: the confidence-bound weight of ``lcb``/``ucb``.
        novel: keep only candidates not in the offline set (the baselines ``random`` and
            ``dataset-top`` skip this and the support gate).
        min_distance: diverse selection: pick candidates at this distance or more from better
            picks (0: off, plain top-n by reward).
        diverse: with ``min_distance``, how many picks must be diverse; the rest are the best
            remaining by reward (0: all ``n``).
        support: ``bigram`` keeps sequence designs on the offline data's support (every adjacent
            letter pair seen offline; out-of-support designs get reward ``-inf``), ``none`` turns it off.
        calibration: also fit two proxies of the same configuration on splits of the offline data
            (random 10% held out; top 10% by score held out) and record their rank correlation,
            NLL, 90% coverage and calibration error (``proxy_heldout_*``, ``proxy_ood_*``).
        generator_options: settings of the generator (``--set generator.KEY=VALUE``).
        proxy_options: settings of the proxy (``--set proxy.KEY=VALUE``).
    """

    task: str = DEFAULT_TASK
    generator: str = "evolution"
    proxy: str = "ensemble"
    n: int | None = None
    seed: int = 0
    reward: str = "mean"
    kappa: float = 1.0
    novel: bool = True
    min_distance: int = 0
    diverse: int = 0
    support: str = "bigram"
    calibration: bool = True
    generator_options: dict[str, Any] = field(default_factory=dict)
    proxy_options: dict[str, Any] = field(default_factory=dict)

    def set(self, key: str, value: Any) -> None:
        """Apply one ``KEY=VALUE`` (``generator.X`` / ``proxy.X`` go to the options tables)."""
        head, _, rest = key.partition(".")
        if rest and head in ("generator", "proxy"):
            getattr(self, f"{head}_options")[rest] = value
            return
        if key in ("generator_options", "proxy_options"):
            if not isinstance(value, dict):
                raise InvalidInputError(f"{key} must be a table of settings, got {value!r}")
            getattr(self, key).update(value)
            return
        names = {f.name for f in dataclasses.fields(self)} - {"generator_options", "proxy_options"}
        if key not in names:
            raise InvalidInputError(
                f"--set {key}: unknown setting; settings: {sorted(names)}, generator.<name>, proxy.<name>"
            )
        setattr(self, key, value)

    def apply_task_defaults(self) -> "RunConfig":
        """Apply the settings the task's spec recommends (its ``[run]`` table), under what is set later.

        A spec's ``[run]`` may hold any setting but ``task``, ``generator``, ``n`` and ``seed``;
        ``proxy_options``/``generator_options`` are merged key by key. ``proxy`` there names the
        proxy its ``proxy_options`` are for (default ``"ensemble"``): a run with another proxy
        does not get them. Call it once the run's proxy is chosen and before its own settings
        (``--set``), which then win; a ``config.toml`` written by a run already holds the
        resolved values and is not passed through here.
        """
        from seqmbo.tasks.spec import load_spec

        spec = load_spec(self.task)
        table = spec.get("run", {})
        where = spec.get("_path", spec["name"])
        if not isinstance(table, dict):
            raise InvalidInputError(f"{where}: 'run' must be a table of run settings, got {table!r}")
        names = ({f.name for f in dataclasses.fields(self)} - {"task", "generator", "n", "seed"})
        unknown = sorted(set(table) - names)
        if unknown:
            raise InvalidInputError(f"{where}: unknown run setting(s) {unknown} in [run]; settings: {sorted(names)}")
        for key, value in table.items():
            if key == "proxy":
                continue
            if key == "proxy_options" and _name(self.proxy) != table.get("proxy", "ensemble"):
                log.info("%s: [run] proxy_options are for proxy %r, not %r: not applied", where,
                         table.get("proxy", "ensemble"), _name(self.proxy))
                continue
            self.set(key, dict(value) if isinstance(value, dict) else value)
        return self

    @classmethod
    def from_toml(cls, path: str | Path) -> "RunConfig":
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text())
        except FileNotFoundError:
            raise InvalidInputError(f"{path}: no such config file") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise InvalidInputError(f"{path}: not a readable TOML config ({e})") from None
        data.pop("resolved", None)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise InvalidInputError(f"{path}: unknown config key(s) {unknown}; keys: {sorted(names)}")
        return cls(**data)


def parse_value(text: str) -> Any:
    """A ``--set`` value: TOML scalar syntax (``3``, ``0.5``, ``true``, ``"x"``), else the raw string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_setting(item: str) -> tuple[str, Any]:
    """A ``--set KEY=VALUE`` item as ``(key, value)`` with :func:`parse_value`; malformed items raise."""
    key, eq, value = item.partition("=")
    if not eq or not key.strip():
        raise InvalidInputError(f"--set {item!r}: expected KEY=VALUE")
    return key.strip(), parse_value(value.strip())


@dataclass
class RunResult:
    """What a run returns: ``candidates`` (DataFrame, best first), ``metrics`` (flat dict), ``config``."""

    candidates: Any
    metrics: dict[str, Any]
    config: RunConfig
    out: Path | None = None


def design(task: str | Path | dict | None = None, generator: Any = "evolution", proxy: Any = "ensemble", *,
           n: int | None = None, seed: int = 0, out: str | Path | None = None,
           config: RunConfig | None = None, **settings: Any) -> RunResult:
    """One offline design run on a benchmark task.

    Args:
        task: a built-in task name, a spec path or a spec dict (default: the no-download default task).
        generator: a generator name (``random``, ``dataset-top``, ``evolution``, ...) or object.
        proxy: a proxy name (``ensemble``, ``mlp``, ...) or object.
        n: candidates to keep (default: the task's ``n_candidates``).
        seed: seed of every random choice.
        out: if given, the run directory to write (candidates.csv, metrics.json, config.toml, report.png).
        config: a full :class:`RunConfig` (the other arguments and the task's ``[run]``
            defaults are then ignored).
        **settings: further :class:`RunConfig` fields (``reward="lcb"``, ``generator_options={...}``);
            they override the task spec's ``[run]`` defaults.

    Returns:
        A :class:`RunResult`.
    """
    if config is None:
        config = RunConfig(
            task=DEFAULT_TASK if task is None else task, generator=generator, proxy=proxy, n=n, seed=seed
        ).apply_task_defaults()  # type: ignore[arg-type]
        for k, v in settings.items():
            config.set(k, v)
    return execute(config, out)


def execute(cfg: RunConfig, out: str | Path | None = None) -> RunResult:
    """Run ``cfg`` and, when ``out`` is given, write the run directory atomically."""
    import pandas as pd
    import torch

    from seqmbo.gates import AllOf, Novel, Unique, Valid, select_diverse
    from seqmbo.generators import make_generator
    from seqmbo.metrics.run_metrics import library_metrics, peak_rss_mb, proxy_metrics, score_metrics
    from seqmbo.proxies import ProxyReward, make_proxy
    from seqmbo.tasks import load_task

    t_start = time.perf_counter()
    task = load_task(cfg.task)
    space, data = task.space, task.dataset
    n = int(cfg.n if cfg.n is not None else task.n_candidates)
    if n < 1:
        raise InvalidInputError(f"n must be >= 1, got {n}")
    gen = make_generator(cfg.generator, **cfg.generator_options)
    set_threads()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)

    t0 = time.perf_counter()
    proxy = make_proxy(cfg.proxy, space, seed=cfg.seed, **cfg.proxy_options)
    with task.oracle.sealed():
        proxy.fit(data.designs, data.y)
    time_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    quality = proxy_calibration(cfg, space, data, proxy, task) if cfg.calibration else {}
    time_calibration = time.perf_counter() - t0
    support = make_support(cfg.support, space, data.designs)
    reward = ProxyReward(proxy, space, cfg.reward, cfg.kappa, support=support)

    t0 = time.perf_counter()
    with task.oracle.sealed():
        raw = list(gen.propose(reward, n, data, rng))
        uses_reward = getattr(gen, "uses_reward", True)
        gates = [Valid(space), Unique()]
        if not getattr(gen, "baseline", False):  # baselines are judged as they come
            gates += [support] if support is not None else []
            gates += [Novel(1, space)] if cfg.novel else []
        kept = [d for d, k in zip(raw, AllOf(*gates)(raw, data.designs)) if k]
        if uses_reward and kept:
            r = reward(kept)
            kept = [kept[i] for i in np.argsort(-r, kind="stable")]
        if cfg.min_distance > 0:
            kept = select_diverse(kept, n, cfg.min_distance, cfg.diverse or None, space)
        candidates = kept[:n]
        pred = proxy.predict(candidates) if candidates else None
    time_generate = time.perf_counter() - t0
    if not candidates:
        raise InvalidInputError(
            f"generator {cfg.generator!r} produced no candidate that passed the gates "
            f"(valid, unique{', novel' if cfg.novel else ''}); {len(raw)} proposed"
        )
    if len(candidates) < n:
        log.warning("only %d of %d requested candidates passed the gates", len(candidates), n)

    oracle_y = task.oracle(candidates)  # evaluation only, after the design phase
    mean = pred.mean if pred is not None else np.full(len(candidates), np.nan)
    std = pred.std if pred is not None and pred.std is not None else np.full(len(candidates), np.nan)
    valid = space.is_valid(candidates) & np.isfinite(oracle_y)
    column = "smiles" if getattr(space, "kind", "") == "molecule" else "sequence"
    table = pd.DataFrame({column: candidates, "proxy_mean": mean, "proxy_std": std, "oracle": oracle_y})

    metrics: dict[str, Any] = {
        "task": task.name, "generator": _name(cfg.generator), "proxy": _name(cfg.proxy), "seed": cfg.seed,
        "n_candidates": len(candidates), "oracle_calls_design": task.oracle.design_calls,
    }
    metrics.update(score_metrics(oracle_y, task.normalize, task.y_min))
    metrics["dataset_best_norm"] = task.dataset_best_norm
    metrics.update(library_metrics(space, candidates, data.designs, valid))
    if getattr(space, "kind", "") == "molecule":
        from seqmbo.metrics.mol_run import oracle_top_metrics

        metrics.update(oracle_top_metrics(oracle_y))  # oracle_top1, oracle_top10_mean (raw units)
    metrics.update(proxy_metrics(mean, oracle_y))
    metrics.update({"reward": cfg.reward, "kappa": cfg.kappa, "n_offline": len(data), "n_proposed": len(raw)})
    metrics.update(quality)
    metrics["time_fit_s"] = time_fit
    metrics["time_calibration_s"] = time_calibration
    metrics["time_generate_s"] = time_generate
    metrics["time_total_s"] = time.perf_counter() - t_start
    metrics["peak_rss_mb"] = peak_rss_mb()
    metrics = {k: _jsonable(v) for k, v in metrics.items()}
    result = RunResult(table, metrics, cfg)
    if out is not None:
        result.out = write_run(out, result, task, gen, proxy)
    return result


def proxy_calibration(cfg: RunConfig, space, data, proxy, task) -> dict[str, Any]:
    """Held-out and OOD quality of fresh proxies like the run's (see :mod:`seqmbo.metrics.calibration`).

    Runs under the sealed oracle, and leaves torch's global random state as it found it so a
    run's candidates do not depend on ``calibration``.
    """
    import copy

    import torch

    from seqmbo.metrics.calibration import proxy_quality
    from seqmbo.proxies import make_proxy

    if isinstance(cfg.proxy, str):
        def fresh():
            return make_proxy(cfg.proxy, space, seed=cfg.seed, **cfg.proxy_options)
    else:
        def fresh():
            return copy.deepcopy(proxy)
    with task.oracle.sealed(), torch.random.fork_rng(devices=[]):
        return proxy_quality(fresh, data, cfg.seed)


def set_threads() -> None:
    """Torch threads from ``$SEQMBO_THREADS`` (default 1: small models gain little from more, and
    oversubscribed cores slow them down many times over)."""
    import os

    import torch

    text = os.environ.get("SEQMBO_THREADS", "1")
    try:
        threads = max(1, int(text))
    except ValueError:
        raise InvalidInputError(f"$SEQMBO_THREADS must be a whole number, got {text!r}") from None
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


def make_support(kind: str, space, designs):
    """The support gate named by ``kind`` (``bigram`` or ``none``); molecules have none (SELFIES are always valid)."""
    from seqmbo.gates import BigramSupport

    if kind not in ("bigram", "none"):
        raise InvalidInputError(f"unknown support {kind!r}; use 'bigram' or 'none'")
    if kind == "none" or getattr(space, "kind", "") == "molecule":
        return None
    return BigramSupport(designs, space)


def _name(obj: Any) -> str:
    return obj if isinstance(obj, str) else type(obj).__name__


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        return None if not math.isfinite(float(v)) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def resolved_config(cfg: RunConfig, task, gen, proxy) -> dict[str, Any]:
    """The config as TOML data: the user's settings plus what they resolved to (for the record)."""
    data = {k: v for k, v in dataclasses.asdict(cfg).items() if v is not None}
    data["task"] = str(cfg.task) if isinstance(cfg.task, (str, Path)) else task.name
    data["generator"], data["proxy"] = _name(cfg.generator), _name(cfg.proxy)
    resolved: dict[str, Any] = {"task_spec": {k: v for k, v in task.spec.items() if not k.startswith("_")}}
    gcfg = getattr(gen, "config", None)
    if dataclasses.is_dataclass(gcfg):
        resolved["generator"] = {k: v for k, v in dataclasses.asdict(gcfg).items() if v is not None}
    tcfg = getattr(proxy, "train_cfg", None)
    if dataclasses.is_dataclass(tcfg):
        resolved["proxy"] = {**dataclasses.asdict(tcfg), **getattr(proxy, "net_options", {})}
    data["resolved"] = resolved
    return data


def write_run(out: str | Path, result: RunResult, task, gen, proxy) -> Path:
    """Write candidates.csv, metrics.json, config.toml and report.png into ``out`` (atomically)."""
    import tomli_w

    from seqmbo.io import write_outputs
    from seqmbo.report import design_report

    config_data = resolved_config(result.config, task, gen, proxy)
    return write_outputs(out, {
        "candidates.csv": lambda p: result.candidates.to_csv(p, index=False),
        "metrics.json": lambda p: p.write_text(json.dumps(result.metrics, indent=2) + "\n"),
        "config.toml": lambda p: p.write_text(tomli_w.dumps(config_data)),
        "report.png": lambda p: design_report(p, result, task),
    })
