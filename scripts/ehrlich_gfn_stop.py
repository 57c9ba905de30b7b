"""Why the warm-started GFlowNet stops climbing in online Ehrlich rounds: the proxy or the policy?

Usage:
    PYTHONPATH=scripts python scripts/ehrlich_gfn_stop.py --instances 1,2 --rounds 12 \
        --settings '{"generator_options": {"warm_steps": 500}}'

On development instances of the task's family (never the task's own instance, see
``ehrlich_dev.dev_spec``) it runs the holo-bench protocol with the GFlowNet, then looks at the
last round's state (the policy and the proxy the last batch was chosen with):

- the neighbourhood of the best labelled design: its single-letter changes, scored by the oracle
  and by the proxy: how many improve on the best, and where the proxy ranks those among them
  (a proxy that ranks them first could have led the policy there);
- the policy: ``--samples`` designs drawn from it as the proposal draws them: their distance to
  the best design, the share already labelled, the share the proxy scores above the best design
  and the share the oracle does.

Reading: improving changes ranked high by the proxy but absent from the samples point at the
policy; improving changes the proxy ranks low (or none at all) point at the proxy or the landscape.
"""

from __future__ import annotations

import argparse
import json
import tempfile

import numpy as np


def single_changes(design: str, alphabet: str) -> list[str]:
    """Every design one letter away from ``design`` (``len(design) * (len(alphabet) - 1)``)."""
    return [design[:i] + a + design[i + 1:] for i in range(len(design)) for a in alphabet if a != design[i]]


def neighbourhood(task, proxy, best: str, best_y: float, p_best: float) -> dict:
    """The best design's single changes: how many improve, and the proxy's ranks of those
    (``p_best``: the proxy's value of the best design)."""
    changes = single_changes(best, task.oracle.inner.alphabet)
    y = np.asarray(task.oracle(changes), dtype=float)
    mean = np.asarray(proxy.predict(changes).mean, dtype=float)
    feasible = np.isfinite(y)
    better = np.flatnonzero(np.nan_to_num(y, nan=-1.0) > best_y + 1e-12)
    order = np.argsort(-mean, kind="stable")
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(1, len(order) + 1)
    return {"changes": len(changes), "feasible": int(feasible.sum()), "improving": len(better),
            "improving_proxy_ranks": sorted(int(rank[i]) for i in better),
            "proxy_best_design": round(p_best, 4), "proxy_max_change": round(float(mean.max()), 4),
            "changes_proxy_above_best": int((mean > p_best).sum())}


def policy_samples(task, gen, proxy, labelled: set[str], best: str, best_y: float, p_best: float, n: int) -> dict:
    """``n`` designs from the last round's policy (as the proposal samples them), against the best design."""
    trainer = gen._trainer
    tokens, _ = trainer.sample(n, temperature=trainer.config.sample_temperature)
    designs = task.space.decode(tokens.cpu().numpy())
    y = np.asarray(task.oracle(designs), dtype=float)
    mean = np.asarray(proxy.predict(designs).mean, dtype=float)
    dist = task.space.distance(designs, [best])[:, 0]  # Hamming: one length
    return {"samples": n, "distinct": len(set(designs)),
            "labelled_share": round(float(np.mean([d in labelled for d in designs])), 3),
            "distance_to_best": [int(np.percentile(dist, q)) for q in (5, 50, 95)],
            "feasible_share": round(float(np.isfinite(y).mean()), 3),
            "proxy_above_best_share": round(float((mean > p_best).mean()), 3),
            "oracle_above_best": int((np.nan_to_num(y, nan=-1.0) > best_y + 1e-12).sum()),
            "oracle_mean": round(float(np.nanmean(y)), 4) if np.isfinite(y).any() else None}


def diagnose(spec: dict, seed: int, settings: dict, rounds: int, batch: int, samples: int) -> dict:
    import torch

    from seqmbo.online import online
    from seqmbo.tasks import load_task

    task = load_task(spec)
    with tempfile.TemporaryDirectory() as out:
        res = online(spec, "gflownet", rounds=rounds, batch=batch, start=batch, seed=seed, out=out, force=True,
                     **settings)
        state = torch.load(f"{out}/state.pt", weights_only=False)
    labels = [(d, s) for d, _, s in state["labels"] if np.isfinite(s)]
    best, best_y = max(labels, key=lambda lab: lab[1])
    gen, proxy = state["generator"], state["proxy"]
    p_best = float(proxy.predict([best]).mean[0])
    return {"best_per_round": [round(r["best"], 4) for r in res.metrics["rounds_table"]],
            "proxy_spearman": [None if r["proxy_spearman"] is None else round(r["proxy_spearman"], 2)
                               for r in res.metrics["rounds_table"]],
            "best": round(best_y, 4), "neighbourhood": neighbourhood(task, proxy, best, best_y, p_best),
            "policy": policy_samples(task, gen, proxy, {d for d, _, _ in state["labels"]}, best, best_y, p_best,
                                     samples)}


def main() -> None:
    from ehrlich_dev import dev_spec

    from seqmbo.run import set_threads

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="ehrlich-32-32-4-4")
    p.add_argument("--instances", default="1,2")
    p.add_argument("--seeds", type=int, default=1)
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--samples", type=int, default=1024)
    p.add_argument("--settings", default='{"generator_options": {"warm_steps": 500}}')
    args = p.parse_args()
    set_threads()
    settings = json.loads(args.settings)
    for instance in (int(i) for i in args.instances.split(",")):
        for seed in range(args.seeds):
            row = diagnose(dev_spec(args.task, instance), seed, settings, args.rounds, args.batch, args.samples)
            print(json.dumps({"instance": instance, "seed": seed, **row}), flush=True)


if __name__ == "__main__":
    main()
