"""Where a multi-objective run loses hypervolume: the proposals before and after the gates, per objective.

Runs one ``seqmbo.design`` per generator on a task (by default the molecule development instance
``zinc-fexofenadine-terms-dev`` of ``scripts/bench_multiobjective.py``) and prints, per generator:
how many proposals each gate removed; the generator's own diagnostics (the GFlowNet's designs
scored, invalid designs and per-objective reward ranges); and for each objective, normalized with
the full dataset's bounds, the offline set's best and mean, the first ``n`` proposals' (before
the gates, in the generator's order) best and mean, the kept candidates' best and mean, and the
Spearman correlation of the proxy's mean with the truth on the candidates; then the hypervolume of
the first ``n`` proposals and of the candidates (the run's ``hv_p100``).

    nice -n 5 python scripts/diagnose_multiobjective.py --generators nsga2,gflownet
    nice -n 5 python scripts/diagnose_multiobjective.py --generators "gflownet:steps=1000"
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_multiobjective import DEV_TASKS, OPTIONS, _settings  # noqa: E402


class Recording:
    """A generator that remembers what the wrapped one proposed (before the run's gates)."""

    def __init__(self, inner) -> None:
        self.inner, self.raw = inner, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def propose(self, reward, n, dataset, rng):
        self.raw = list(self.inner.propose(reward, n, dataset, rng))
        return self.raw


def diagnose(task_name: str, generator: str, seed: int, members: int) -> dict:
    """One run of ``generator`` (``NAME:key=value;...``) and its per-objective breakdown."""
    from scipy.stats import spearmanr

    import seqmbo
    from seqmbo.generators import make_generator
    from seqmbo.metrics.pareto import pareto_metrics
    from seqmbo.tasks import load_task

    name, _, spec = generator.partition(":")
    gen = Recording(make_generator(name, **{**OPTIONS.get(name, {}), **_settings(spec)}))
    run = seqmbo.design(DEV_TASKS.get(task_name, task_name), generator=gen, seed=seed, calibration=False,
                        proxy_options={"members": members})
    task = load_task(DEV_TASKS.get(task_name, task_name))
    n = len(run.candidates)
    lo, hi = task.objective_bounds
    offline = task.dataset.Y[:, : len(task.objectives)]
    first = task.objective_oracle(gen.raw[:n]) if gen.raw else np.zeros((0, len(task.objectives)))
    kept = task.objective_oracle(list(run.candidates[task.space.column]))

    def norm(Y):
        return (Y - lo) / np.where(hi > lo, hi - lo, 1.0)

    per = {}
    for j, o in enumerate(task.objectives):
        pred = o.sign * run.candidates[f"{o.name}_mean"].to_numpy()
        cells = {"offline": norm(offline)[:, j], "proposed": norm(first)[:, j], "kept": norm(kept)[:, j]}
        per[o.name] = {k: [round(float(v.max()), 3), round(float(v.mean()), 3)] if len(v) else None
                       for k, v in cells.items()}
        per[o.name]["proxy_spearman"] = round(float(spearmanr(pred, kept[:, j]).statistic), 3)
    gates = {k: v for k, v in run.metrics.items() if k.startswith("gate_removed")}
    last = getattr(gen.inner, "last_run", {})
    own = {k: last[k] for k in ("designs_scored", "designs_invalid", "reward_ranges", "n_candidates", "pretrain_designs",
                                                 "pretrain_nll", "log_z") if k in last}
    hv_first = pareto_metrics(first, offline, lo, hi)["hv_p100"] if len(first) else None
    return {"task": task_name, "generator": generator, "seed": seed, "n_proposed": len(gen.raw), "gates": gates,
            "generator_diagnostics": own, "objectives (max, mean) normalized": per,
            "hv_first_n_proposed": hv_first, "hv_p100": run.metrics["hv_p100"], "dataset_hv": run.metrics["dataset_hv"],
            "time_total_s": round(run.metrics["time_total_s"], 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", default="zinc-fexofenadine-terms-dev")
    ap.add_argument("--generators", default="nsga2,gflownet", help="comma-separated NAME:key=value;key=value")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--members", type=int, default=2)
    args = ap.parse_args()
    for generator in args.generators.split(","):
        print(json.dumps(diagnose(args.task, generator, args.seed, args.members), default=str), flush=True)


if __name__ == "__main__":
    main()
