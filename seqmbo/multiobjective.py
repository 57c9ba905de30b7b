"""What the one design loop (:func:`seqmbo.run.execute`) does differently with several objectives
or constraints; a one-score task passes through every function here unchanged.

* the proxy: a :class:`~seqmbo.proxies.multi.MultiProxy` over the dataset's measured columns;
* the reward: a :class:`~seqmbo.proxies.multi.MultiReward` (scalar for every generator, vector
  for Pareto ones), the run selecting candidates in NSGA-II order of the vector;
* constraints on computed properties: a gate (:class:`~seqmbo.gates.constraint.ConstraintGate`)
  joined to the support gate, so the reward is ``-inf`` on designs that break them and the run
  never keeps one;
* the candidates' table: ``<name>_mean``/``<name>_std`` per objective, ``pareto_rank`` (under the
  proxies), ``feasible_prob`` with measured constraints, ``oracle_<name>`` on a benchmark; and
  the metrics of :mod:`seqmbo.metrics.pareto`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seqmbo.errors import InvalidInputError


def is_multi(task) -> bool:
    """Whether the task has a measured-column matrix (several objectives or measured constraints)."""
    return task.dataset.Y is not None


def objective_proxy(cfg, task, make_proxy):
    """The run's proxy: ``make_proxy(...)`` for one score, else a MultiProxy of such proxies
    (the proxy of column ``j`` seeded by ``seed + j``)."""
    def make(j: int = 0):
        return make_proxy(cfg.proxy, task.space, seed=cfg.seed + j, device=cfg.device, **cfg.proxy_options)

    if not is_multi(task):
        return make()
    if not isinstance(cfg.proxy, str):
        raise InvalidInputError("several objectives need a proxy name (one proxy is fitted per objective)")
    from seqmbo.proxies.multi import MultiProxy

    measured = [c for c in task.constraints if c.name in task.dataset.columns]
    return MultiProxy(make, task.dataset.columns, max(1, len(task.objectives)), measured)


def fit_targets(task) -> np.ndarray:
    """What the proxy is fitted to: the measured-column matrix, or the one score."""
    return task.dataset.Y if is_multi(task) else task.dataset.y


def make_reward(proxy, space, cfg, support):
    """A MultiReward over a MultiProxy, else the plain ProxyReward."""
    from seqmbo.proxies import ProxyReward
    from seqmbo.proxies.multi import MultiProxy, MultiReward

    kind = MultiReward if isinstance(proxy, MultiProxy) else ProxyReward
    return kind(proxy, space, cfg.reward, cfg.kappa, support=support)


def constraint_support(task, support):
    """The support gate joined with the gates of the constraints on computed properties."""
    from seqmbo.gates.constraint import ConstraintGate

    computed = [c for c in task.constraints if c.name not in task.dataset.columns]
    if not computed:
        return support
    gate = ConstraintGate(computed, task.space)
    if support is None:
        return gate
    from seqmbo.gates import AllOf

    return AllOf(support, gate)


def selection_order(reward, designs: list[str], limit: int) -> np.ndarray:
    """The order the run keeps proposals in: NSGA-II order of the vector reward (fronts sorted
    for the best ``limit`` at least), else the scalar reward, best first."""
    if callable(getattr(reward, "order", None)):
        return reward.order(designs, limit=limit)
    return np.argsort(-reward(designs), kind="stable")


def objective_report(task, proxy, candidates: list[str], table) -> dict[str, Any]:
    """Add the per-objective columns to ``table`` (in place); return the multi-objective metrics."""
    if not is_multi(task):
        return {}
    from seqmbo.pareto import nondominated_ranks

    mean, std = proxy.predict_all(candidates)
    names = list(task.dataset.columns)
    objectives = {o.name: o for o in task.objectives}
    for j, name in enumerate(names):
        sign = objectives[name].sign if name in objectives else 1.0
        table[f"{name}_mean"] = sign * mean[:, j]
        table[f"{name}_std"] = np.nan if std is None else std[:, j]
    m = max(1, len(task.objectives))
    table["pareto_rank"] = nondominated_ranks(proxy.objective_scores(mean, None))
    metrics: dict[str, Any] = {"n_objectives": m, "pareto_size_predicted": int((table["pareto_rank"] == 0).sum())}
    measured = [(names.index(c.name), c) for c in task.constraints if c.name in names]
    if measured:
        prob = np.ones(len(candidates))
        for j, c in measured:
            prob *= c.probability(mean[:, j], None if std is None else std[:, j])
        table["feasible_prob"] = prob
        metrics["feasible_prob_mean"] = float(prob.mean())
    if task.objective_oracle is not None:
        metrics.update(_true_front(task, candidates, table))
    else:  # no oracle: the front under the proxies
        metrics["pareto_size"] = metrics["pareto_size_predicted"]
    return metrics


def _true_front(task, candidates: list[str], table) -> dict[str, Any]:
    """The oracle's objectives of the candidates (after design) and the Off-MOO-Bench metrics."""
    from seqmbo.metrics.pareto import pareto_metrics

    Y = task.objective_oracle(candidates)
    for j, o in enumerate(task.objectives):
        table[f"oracle_{o.name}"] = o.sign * Y[:, j]
    lo, hi = task.objective_bounds
    return pareto_metrics(Y, task.dataset.Y[:, : len(task.objectives)], lo, hi)


def offline_frame(task):
    """The user's data as read (for ``offline.csv``) and the ``y`` setting that reads it back:
    ``score``, or the objective columns with their directions."""
    import pandas as pd

    data = task.dataset
    if not is_multi(task):
        return pd.DataFrame({task.space.column: data.designs, "score": task.sign * data.y}), "score"
    signs = {o.name: o.sign for o in task.objectives}
    frame = {task.space.column: data.designs}
    frame.update({c: signs.get(c, 1.0) * data.Y[:, j] for j, c in enumerate(data.columns)})
    return pd.DataFrame(frame), [f"{o.name}:{o.direction}" for o in task.objectives]
