"""Settings chosen on development Ehrlich instances: other instance seeds of a task's family.

Usage:
    python scripts/ehrlich_dev.py offline --instances 1,2,3 --variants '{"default": {}, "beta20":
        {"generator_options": {"beta": 20}}}' --generator gflownet
    python scripts/ehrlich_dev.py online --instances 1,2 --variants '{"default": {}}' --rounds 12
    python scripts/ehrlich_dev.py local --instances 11,12 --seeds 3 --variants '{"letters": {"generator_options":
        {"block": 0, "memory": false}}, "default": {}}'

The family is that of a built-in task (``--task``, default ``ehrlich-32-32-4-4``): the same
``num_states``, ``dim``, ``num_motifs``, ``motif_length`` and ``quantization`` with another
instance ``seed`` (a different transition matrix, motifs and spacings). The reported task's own
instance is refused, so nothing here is chosen on the figure that is reported.

``offline``: one design run a variant, instance and ``--seeds`` (the offline set of the spec,
no held-out calibration refits), printing the oracle's p100/p50, the diversity, the proxy's mean
over the 16 best candidates (how far the generator climbed the proxy) and the GFlowNet's
diagnostics. ``online``: the holo-bench protocol (start pool of ``--batch`` feasible designs,
``--rounds`` rounds of ``--batch``), printing the best labelled value after each round.
``local``: the same protocol with the ``local`` generator and no proxy (see :func:`local_search`),
fast enough for many instances and seeds: the mean final best and the runs reaching 1.0.
Each variant is a JSON object of run settings (``generator_options``, ``support``, ...).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np


def dev_spec(task: str, instance: int) -> dict:
    """The spec of ``task`` with instance seed ``instance`` (never the task's own)."""
    from seqmbo.tasks import load_task

    spec = dict(load_task(task).spec)
    if int(spec.get("seed", 0)) == instance:
        raise SystemExit(f"instance {instance} is the reported task's own: choose another")
    spec.update(name=f"{spec['name']}-dev{instance}", seed=instance)
    return {k: v for k, v in spec.items() if k not in ("offline_rows", "description")}


def offline_row(spec: dict, generator: str, seed: int, settings: dict) -> dict:
    import seqmbo
    from seqmbo.generators import make_generator

    t0 = time.perf_counter()
    settings = dict(settings)
    gen = make_generator(generator, **settings.pop("generator_options", {}))
    res = seqmbo.design(spec, generator=gen, seed=seed, calibration=False, **settings)
    m, table = res.metrics, res.candidates
    row = {"p100": m["score_p100"], "p50": m["score_p50"], "offline_best": float(np.max(res_offline_y(spec))),
           "diversity": round(m["diversity"], 2), "novelty_distance": round(m.get("novelty_distance", np.nan), 2),
           "proxy_top16": round(float(table["proxy_mean"].head(16).mean()), 4),
           "proxy_spearman": round(m["proxy_spearman"], 3), "time_s": round(time.perf_counter() - t0, 1)}
    diag = getattr(gen, "last_run", None)
    if diag:
        row.update({k: diag[k] for k in ("final_loss", "log_z", "designs_scored") if k in diag})
    return row


def res_offline_y(spec: dict) -> np.ndarray:
    from seqmbo.tasks import load_task

    return load_task(spec).dataset.y


def online_row(spec: dict, generator: str, seed: int, settings: dict, args) -> dict:
    import tempfile

    import pandas as pd

    from seqmbo.online import online

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        res = online(spec, generator, rounds=args.rounds, batch=args.batch, start=args.batch, seed=seed, out=out,
                     force=True, **settings)
        labels = pd.read_csv(f"{out}/labels.csv")
    rows = res.metrics["rounds_table"]
    return {"best_per_round": [r["best"] for r in rows], **batch_figures(labels, args.batch),
            "time_s": round(time.perf_counter() - t0, 1)}


def local_search(task, rounds: int, batch: int, seed: int, options: dict):
    """The labelled designs, their scores and the final letter-pair support after ``rounds``
    proxy-free rounds of the ``local`` generator (with ``options``) from the holo start pool.

    Every design on the support of the labelled feasible designs gets the same reward, so each
    batch is a uniform draw of the generator's children: with ``pool = 1`` that is what an
    online run proposes too, whatever its proxy (the proxy only orders the batch).
    """
    from seqmbo.data import Dataset
    from seqmbo.gates import BigramSupport
    from seqmbo.generators.local import LocalSearchGenerator

    oracle, space = task.oracle.inner, task.space
    rng = np.random.default_rng(seed)
    designs = oracle.sample(batch, rng)
    y = oracle(designs)
    gen = LocalSearchGenerator(**options)
    for _ in range(rounds):
        data = Dataset(designs, np.nan_to_num(y, nan=0.0), space, info={"online": True})  # labelled by rounds
        support = BigramSupport([d for d, v in zip(designs, y) if np.isfinite(v)], space)

        def flat(ds, support=support):
            return np.where(support(ds), 0.0, -np.inf)

        new = gen.propose(flat, batch, data, rng)[:batch]
        designs, y = designs + new, np.concatenate([y, oracle(new)])
    return designs, y, BigramSupport([d for d, v in zip(designs, y) if np.isfinite(v)], space)


def local_row(spec: dict, seed: int, settings: dict, args) -> dict:
    """Best per round of proxy-free ``local`` rounds (``settings``: its ``generator_options``)."""
    from seqmbo.tasks import load_task

    t0 = time.perf_counter()
    task = load_task(spec)
    options = settings.get("generator_options", {})
    _, y, _ = local_search(task, args.rounds, args.batch, seed, options)
    y = np.nan_to_num(y, nan=0.0)
    best = [float(y[: args.batch * (r + 1)].max()) for r in range(1, args.rounds + 1)]
    return {"best_per_round": best, "time_s": round(time.perf_counter() - t0, 1)}


def batch_figures(labels, batch: int) -> dict:
    """Per round: the batch's mean Hamming distance to the nearest design tied at the best value
    labelled before it, its share of feasible designs, and its share above that best value."""
    designs, y = labels.iloc[:, 0].astype(str).tolist(), labels["oracle"].to_numpy(dtype=float)
    dist, feasible, better = [], [], []
    for start in range(batch, len(y), batch):
        before = np.nan_to_num(y[:start], nan=-1.0)
        best = [designs[i] for i in np.flatnonzero(before == before.max())]
        new = designs[start:start + batch]
        ham = [min(sum(a != b for a, b in zip(d, inc)) for inc in best) for d in new]
        dist.append(round(float(np.mean(ham)), 1))
        feasible.append(round(float(np.isfinite(y[start:start + batch]).mean()), 2))
        better.append(int((np.nan_to_num(y[start:start + batch], nan=-1.0) > before.max()).sum()))
    return {"batch_distance": dist, "batch_feasible": feasible, "batch_above_best": better}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=("offline", "online", "local"),
                   help="local: proxy-free rounds of the local generator (see local_search)")
    p.add_argument("--task", default="ehrlich-32-32-4-4")
    p.add_argument("--instances", default="1,2,3", help="instance seeds of the family (not the task's own)")
    p.add_argument("--seeds", type=int, default=1, help="run seeds per instance")
    p.add_argument("--generator", default="gflownet")
    p.add_argument("--variants", default='{"default": {}}', help="JSON: label -> run settings")
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--batch", type=int, default=128)
    args = p.parse_args()
    from seqmbo.run import set_threads

    set_threads()
    variants = json.loads(args.variants)
    results: dict[str, list] = {}
    for instance in (int(i) for i in args.instances.split(",")):
        spec = dev_spec(args.task, instance)
        for label, settings in variants.items():
            for seed in range(args.seeds):
                if args.mode == "offline":
                    row = offline_row(spec, args.generator, seed, settings)
                elif args.mode == "local":
                    row = local_row(spec, seed, settings, args)
                else:
                    row = online_row(spec, args.generator, seed, settings, args)
                results.setdefault(label, []).append(row)
                print(json.dumps({"instance": instance, "variant": label, "seed": seed, **row}), flush=True)
    key = "p100" if args.mode == "offline" else "best_per_round"
    for label, rows in results.items():
        values = [r[key] if args.mode == "offline" else r[key][-1] for r in rows]
        hits = sum(v >= 1 - 1e-9 for v in values)
        print(f"{label:24s} mean {'p100' if args.mode == 'offline' else 'final best'} {np.mean(values):.4f} "
              f"optimum in {hits} of {len(values)} runs: {[round(v, 3) for v in values]}")


if __name__ == "__main__":
    main()
