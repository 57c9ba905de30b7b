"""Online rounds: design a batch, have the oracle label it, grow the data, design again.

Each round is one call of :func:`seqmbo.run.execute`, the one loop of a design run, on the task
whose dataset has grown by every batch labelled so far. The oracle of a round's task is the
run's labeller, ``Cached(Budgeted(oracle, budget))`` (:mod:`seqmbo.oracles.budget`): the call
that scores the round's candidates after design (in :func:`seqmbo.run.summarize`) *is* the
labelling, so no design is counted twice, a design already labelled (same canonical form) is
never sent again, and the oracle is never asked for more than ``budget`` designs. The generator
and proxy objects go from round to round with ``warm_start`` on: evolution keeps its population,
the GFlowNet its policy and replay buffer, network proxies refit from their last weights.

After each round the run folder gets ``rounds.csv`` and ``state.pt`` (the labels, the rows and the
generator and proxy objects, written atomically), so an interrupted run resumes from its last
finished round (:func:`resume`) and gives the same result as one that was never interrupted.
At the end the usual run files are written: ``candidates.csv`` holds the best ``n`` designs the
oracle labelled during the run (ranked by the oracle), ``labels.csv`` every label in call order.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqmbo.config import DEFAULT_TASK, RunConfig
from seqmbo.data.dataset import Dataset
from seqmbo.errors import InvalidInputError
from seqmbo.oracles.base import SealedOracle
from seqmbo.oracles.budget import Budgeted, Cached, Label
from seqmbo.spaces.base import space_key
from seqmbo.run import RunResult, check_writable, execute, load_problem

__all__ = ["OnlineSettings", "online", "resume"]

log = logging.getLogger(__name__)

STATE_FILE = "state.pt"


@dataclass
class OnlineSettings:
    """How an online run spends its oracle.

    Attributes:
        rounds: design rounds (each ends with the oracle labelling its batch).
        batch: designs labelled per round (the last round gets what the budget has left).
        budget: most oracle calls in all, start pool included (``None``: no limit).
        start: label this many designs drawn at random from the task's offline set, from the
            budget, and start from those alone (the PMO protocol); ``None``: start from the
            task's offline set with its scores (not counted).
        warm_start: carry the generator's and proxy's state from round to round (``False``:
            each round starts them afresh).
        invalid_as_min: designs the oracle calls invalid (infeasible) are trained on with the
            task's minimum score instead of being left out.
    """

    rounds: int
    batch: int
    budget: int | None = None
    start: int | None = None
    warm_start: bool = True
    invalid_as_min: bool = True

    def check(self) -> None:
        for name in ("rounds", "batch", "budget", "start"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise InvalidInputError(f"online rounds: {name} must be a whole number >= 1, got {value!r}")


def online(task: Any = None, generator: Any = "evolution", proxy: Any = "ensemble", *, rounds: int, batch: int,
           budget: int | None = None, start: int | None = None, n: int | None = None, seed: int = 0,
           out: str | Path | None = None, force: bool = False, warm_start: bool = True,
           config: RunConfig | None = None, **settings: Any) -> RunResult:
    """Online design on a benchmark task: ``rounds`` rounds of ``batch`` designs labelled by its oracle.

    Args:
        task, generator, proxy, n, seed, out, force, **settings: as for :func:`seqmbo.design`
            (``n``: how many of the labelled designs ``candidates.csv`` keeps; default the task's).
        rounds, batch, budget, start, warm_start: see :class:`OnlineSettings`.
        config: a full :class:`RunConfig` instead of the run arguments.

    Returns:
        A :class:`~seqmbo.run.RunResult`: ``candidates`` (the best ``n`` labelled designs),
        ``metrics`` (with ``oracle_calls``, ``auc_top10`` where a budget is set) and ``rounds``
        (the rows of ``rounds.csv``, in ``metrics["rounds_table"]``).
    """
    if config is None:
        config = RunConfig(task=DEFAULT_TASK if task is None else task, generator=generator, proxy=proxy, n=n,
                           seed=seed).apply_task_defaults()
        for k, v in settings.items():
            config.set(k, v)
    plan = OnlineSettings(rounds, batch, budget, start, warm_start)
    plan.check()
    if out is not None:
        check_writable(out, force)
        state = Path(out) / STATE_FILE
        if state.exists() and not force:
            raise InvalidInputError(f"{out}: holds an unfinished online run; go on with --resume {out}, "
                                    "or --force to start afresh")
        state.unlink(missing_ok=True)
    return run_rounds(config, plan, out)


def resume(out: str | Path, rounds: int | None = None) -> RunResult:
    """Go on with the online run in ``out`` from its last finished round (``rounds``: a new total)."""
    state = load_state(out)
    if state is None:
        raise InvalidInputError(f"{out}: no online run to resume (no {STATE_FILE})")
    cfg = RunConfig(**state["config"])
    plan = OnlineSettings(**{**state["plan"], **({"rounds": rounds} if rounds is not None else {})})
    plan.check()
    return run_rounds(cfg, plan, out, state)


def run_rounds(cfg: RunConfig, plan: OnlineSettings, out: str | Path | None, state: dict | None = None) -> RunResult:
    """The rounds of an online run (from ``state``, a saved run, when given), then its result."""
    t_start = time.perf_counter()
    task = load_problem(cfg)
    if not task.has_oracle:
        raise InvalidInputError(f"task {task.name!r} has no oracle: online rounds need one to label each batch")
    labeller = Cached(Budgeted(task.oracle.inner, plan.budget), key=space_key(task.space))
    if state is not None:
        labeller.remember([Label(*row) for row in state["labels"]])
        labeller.oracle.calls = len(labeller.history)
        gen, proxy, rows = state["generator"], state["proxy"], state["rows"]
    else:
        gen, proxy, rows = *make_models(cfg, task, plan.warm_start), []
    start = start_pool(task, plan, labeller, cfg.seed)
    for r in range(len(rows), plan.rounds):
        remaining = labeller.oracle.remaining
        n = plan.batch if remaining is None else min(plan.batch, remaining)
        if n < 1:
            log.info("the budget of %d oracle calls is spent after %d rounds", plan.budget, r)
            break
        t0 = time.perf_counter()
        data = labelled_dataset(start, labeller, task.y_min if plan.invalid_as_min else None)
        rcfg = dataclasses.replace(cfg, generator=gen, proxy=proxy, n=n, seed=round_seed(cfg.seed, r),
                                   calibration=False)
        calls = labeller.oracle.calls
        result = execute(rcfg, None, task=with_data(task, data, labeller))
        rows.append(round_row(r, result, labelled_dataset(start, labeller), labeller, task, time.perf_counter() - t0,
                              calls))
        log.info("round %d: %s", r + 1, rows[-1])
        if out is not None:
            save_state(out, cfg, plan, labeller, rows, gen, proxy)
        if stalled(rows):
            break
    return finish(cfg, plan, task, start, labeller, gen, proxy, rows, out, time.perf_counter() - t_start)


STALL_ROUNDS = 3  # rounds in a row that label nothing new before the run stops


def stalled(rows: list[dict]) -> bool:
    """Whether the run should stop: the last :data:`STALL_ROUNDS` rounds sent no design to the
    oracle (every candidate was labelled before), so more rounds would repeat them."""
    if len(rows) < STALL_ROUNDS or any(row.get("new_calls", 1) for row in rows[-STALL_ROUNDS:]):
        return False
    log.warning("online rounds stop after round %d: the last %d rounds proposed only designs labelled before",
                len(rows), STALL_ROUNDS)
    return True


def make_models(cfg: RunConfig, task, warm_start: bool):
    """The run's generator and proxy objects, with ``warm_start`` set where they have it."""
    from seqmbo.generators import make_generator
    from seqmbo.proxies import make_proxy

    gen = make_generator(cfg.generator, device=cfg.device, **cfg.generator_options)
    proxy = make_proxy(cfg.proxy, task.space, seed=cfg.seed, device=cfg.device, **cfg.proxy_options)
    for obj in (gen, proxy):
        if hasattr(obj, "warm_start"):
            obj.warm_start = warm_start
    return gen, proxy


def round_seed(seed: int, r: int) -> int:
    """The seed of round ``r`` of a run seeded ``seed`` (independent streams, the same on resume)."""
    return int(np.random.SeedSequence([seed, r]).generate_state(1)[0])


def start_pool(task, plan: OnlineSettings, labeller: Cached, seed: int) -> Dataset:
    """The data the first round sees: the task's offline set, or ``plan.start`` of its designs
    drawn at random and labelled from the budget (cached: a resumed run pays nothing again)."""
    if plan.start is None:
        return task.dataset
    designs = task.dataset.designs
    if plan.start > len(designs):
        raise InvalidInputError(f"start = {plan.start} but task {task.name!r} offers {len(designs)} designs")
    if plan.budget is not None and plan.start >= plan.budget:
        raise InvalidInputError(f"start = {plan.start} leaves nothing of the budget of {plan.budget} calls")
    pick = np.random.default_rng([seed, 1 << 20]).choice(len(designs), plan.start, replace=False)
    chosen = [designs[i] for i in sorted(pick)]
    y = labeller(chosen)
    ok = np.isfinite(y)
    if not ok.any():
        raise InvalidInputError(f"none of the {plan.start} start designs of task {task.name!r} has a valid score")
    return Dataset([d for d, k in zip(chosen, ok) if k], y[ok], task.space, f"{task.name} (start pool)")


def labelled_dataset(start: Dataset, labeller: Cached, floor: float | None = None) -> Dataset:
    """The start pool plus every design the oracle labelled, in call order, each written as its
    cache key (molecules: canonical SMILES, as the task's own data are; other designs as they are).

    A design the oracle calls invalid (``nan``: an infeasible Ehrlich sequence) joins with the
    score ``floor`` (the task's minimum, the Ehrlich paper's 0 for infeasible designs) so the
    proxy learns to avoid its like; with ``floor=None``, or when the space rejects it, it is left out.
    Those that join are listed in ``info["invalid"]`` (the run's support leaves them out), and
    ``info["online"]`` marks the data as labelled by the rounds (only then may a generator propose
    designs off the support on purpose, see :class:`~seqmbo.generators.local.LocalConfig`'s ``probe``).
    """
    key = labeller.key
    known = {key(d) for d in start.designs}
    new = [lab for lab in labeller.history if lab.key not in known]
    if floor is None:
        new = [lab for lab in new if np.isfinite(lab.score)]
    else:
        new = [lab for lab, ok in zip(new, start.space.is_valid([lab.design for lab in new]))
               if ok or np.isfinite(lab.score)]
    y = [lab.score if np.isfinite(lab.score) else floor for lab in new]
    info = {**start.info, "online": True, "invalid": [lab.key for lab in new if not np.isfinite(lab.score)]}
    return Dataset(start.designs + [lab.key for lab in new], np.concatenate([start.y, y]),
                   start.space, start.name, info)


def with_data(task, data: Dataset, labeller: Cached):
    """``task`` with ``data`` as its dataset and the run's labeller as its (sealed) oracle."""
    spec = {k: v for k, v in task.spec.items() if k != "offline_rows"}
    return dataclasses.replace(task, dataset=data, oracle=SealedOracle(labeller), spec=spec)


def round_row(r: int, result: RunResult, data: Dataset, labeller: Cached, task, seconds: float,
              calls_before: int) -> dict[str, Any]:
    """One row of ``rounds.csv``: calls so far and this round's new ones (a candidate labelled
    before costs none), best and top-10 mean of the labelled set, and the batch's figures."""
    from seqmbo.metrics.run_metrics import peak_rss_mb

    m, batch_y = result.metrics, result.candidates["oracle"].to_numpy(dtype=float)
    top = np.sort(data.y)[-10:]
    return {
        "round": r + 1, "oracle_calls": labeller.oracle.calls, "new_calls": labeller.oracle.calls - calls_before,
        "batch": len(batch_y),
        "best": float(data.y.max()), "best_norm": float(task.normalize(data.y.max())),
        "top10_mean": float(top.mean()), "batch_best": float(np.nanmax(batch_y)) if np.isfinite(batch_y).any() else None,
        "batch_mean": float(np.nanmean(batch_y)) if np.isfinite(batch_y).any() else None,
        "diversity": m.get("diversity"), "proxy_spearman": m.get("proxy_spearman"),
        "time_fit_s": m.get("time_fit_s"), "time_generate_s": m.get("time_generate_s"), "time_s": seconds,
        "peak_rss_mb": peak_rss_mb(),
    }


def save_state(out: str | Path, cfg: RunConfig, plan: OnlineSettings, labeller: Cached, rows: list[dict],
               gen, proxy) -> None:
    """``state.pt`` (everything a resume needs, one atomic file) and ``rounds.csv`` in ``out``."""
    import torch

    from seqmbo.io import write_outputs

    state = {
        "config": dataclasses.asdict(cfg), "plan": dataclasses.asdict(plan),
        "labels": [(lab.design, lab.key, lab.score) for lab in labeller.history],
        "rows": rows, "generator": gen, "proxy": proxy,
    }
    write_outputs(out, {STATE_FILE: lambda p: torch.save(state, p), "rounds.csv": lambda p: _rows_csv(rows, p)})


def load_state(out: str | Path) -> dict | None:
    """The saved state of the online run in ``out`` (``None`` when there is none)."""
    import torch

    path = Path(out) / STATE_FILE
    if not path.is_file():
        return None
    try:
        return torch.load(path, weights_only=False)
    except Exception as e:  # a file that is not ours, or from an incompatible version
        raise InvalidInputError(f"{path}: not a readable online-run state ({e})") from None


def _rows_csv(rows: list[dict], path: Path) -> None:
    import pandas as pd

    pd.DataFrame(rows).to_csv(path, index=False)


def finish(cfg: RunConfig, plan: OnlineSettings, task, start: Dataset, labeller: Cached, gen, proxy,
           rows: list[dict], out: str | Path | None, seconds: float) -> RunResult:
    """The run's result: the best ``n`` designs labelled during the run, scored through the cache
    (no new oracle call), and the metrics of the rounds; written to ``out`` with the run files."""
    from seqmbo.metrics.pmo import auc_top_k
    from seqmbo.metrics.run_metrics import peak_rss_mb
    from seqmbo.run import _jsonable, summarize, write_run

    labels = [lab for lab in labeller.history if np.isfinite(lab.score)]
    if not labels:
        raise InvalidInputError("the oracle labelled no valid design in this run")
    n = int(cfg.n if cfg.n is not None else task.n_candidates)
    ranked = sorted(labels, key=lambda lab: -lab.score)[:n]
    candidates = [lab.design for lab in ranked]
    final = with_data(task, start, labeller)
    calls = labeller.oracle.calls
    table, metrics = summarize(cfg, final, candidates, proxy.predict(candidates), candidates, {})
    assert labeller.oracle.calls == calls, "the final scoring must come from the cache"
    history = [lab.score for lab in labeller.history]
    metrics.update({
        "rounds": len(rows), "batch": plan.batch, "budget": plan.budget, "start": plan.start, "oracle_calls": calls,
        "best_round": _first_round_at(rows, max(lab.score for lab in labels)),
        "time_fit_s": float(sum(r["time_fit_s"] or 0 for r in rows)),
        "time_generate_s": float(sum(r["time_generate_s"] or 0 for r in rows)),
        "time_round_mean_s": float(np.mean([r["time_s"] for r in rows])) if rows else None,
        "time_total_s": seconds, "peak_rss_mb": peak_rss_mb(),
    })
    if plan.budget is not None:
        metrics["auc_top10"] = auc_top_k(history, plan.budget, k=10, freq=100)
    metrics = {k: _jsonable(v) for k, v in metrics.items()}
    result = RunResult(table, metrics, cfg)
    if out is not None:
        import pandas as pd

        from seqmbo.io import write_outputs

        result.out = write_run(out, result, final, gen, proxy)
        labels_table = pd.DataFrame({task.space.column: [lab.design for lab in labeller.history],
                                     "oracle": history, "call": np.arange(1, len(history) + 1)})
        write_outputs(out, {"rounds.csv": lambda p: _rows_csv(rows, p),
                            "labels.csv": lambda p: labels_table.to_csv(p, index=False),
                            "online.json": lambda p: p.write_text(json.dumps(dataclasses.asdict(plan)) + "\n")})
    result.metrics["rounds_table"] = rows
    return result


def _first_round_at(rows: list[dict], best: float) -> int | None:
    """The first round whose running best reached ``best`` (0: the start pool already had it)."""
    for row in rows:
        if row["best"] >= best:
            return int(row["round"])
    return 0 if rows else None
