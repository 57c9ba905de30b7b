"""How much of a GFlowNet's training lands off the reward's support, setting by setting, on one task.

Fits the task's proxies and builds its reward (the chemistry gates as the support for molecules)
once, as a design run does (seed ``--seed``, default 0, ``--members`` ensemble members, no calibration), then for each
generator spec proposes with that reward, gates and selects the candidates as the run does and
prints one JSON line: the generation time, ``hv_p100``/``hv_p50`` of the candidates under the true
objectives (the run's metrics), the proposals each gate removed, the share of the newly scored
designs that were off the support (reward ``-inf``) in each tenth of the reward calls (the last
tenth holds the final sampling), the GFlowNet's designs scored and invalid, its ``log Z`` and loss,
and the behaviour-cloning loss (first, last). Used to choose the molecule GFlowNet's settings on the
development instances of ``scripts/bench_multiobjective.py``:

    nice -n 5 python scripts/diagnose_gflownet_support.py zinc-fexofenadine-terms-dev \
        "gflownet:pretrain_steps=0;invalid_penalty=0,gflownet:pretrain_steps=0,gflownet"
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_multiobjective import DEV_TASKS, OPTIONS, CountingReward, _settings  # noqa: E402


def by_tenth(shares: list[float]) -> list[float]:
    """Mean share off the support in consecutive tenths of the calls."""
    k = max(1, len(shares) // 10)
    return [round(float(np.mean(shares[i:i + k])), 2) for i in range(0, len(shares), k)]


def main() -> None:
    from seqmbo import multiobjective as mo
    from seqmbo.config import RunConfig
    from seqmbo.generators import make_generator
    from seqmbo.metrics.pareto import pareto_metrics
    from seqmbo.proxies import make_proxy
    from seqmbo.run import gate_and_select, make_support, with_kind_defaults
    from seqmbo.tasks import load_task

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("task", help="a task or development instance with several objectives")
    ap.add_argument("generators", help="comma-separated NAME:key=value;key=value")
    ap.add_argument("--members", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help="the run's seed (proxies and generators)")
    args = ap.parse_args()
    cfg = RunConfig(task=DEV_TASKS.get(args.task, args.task), generator="gflownet", seed=args.seed).apply_task_defaults()
    cfg.set("calibration", False)
    cfg.set("proxy_options", {"members": args.members})
    task = load_task(cfg.task)
    cfg = with_kind_defaults(cfg, task.space.kind)
    t0 = time.perf_counter()
    proxy = mo.objective_proxy(cfg, task, make_proxy)
    proxy.fit(task.dataset.designs, mo.fit_targets(task))
    support = mo.constraint_support(task, make_support(cfg, task.space, task.dataset.designs))
    reward = mo.make_reward(proxy, task.space, cfg, support)
    print(json.dumps({"task": args.task, "setup_s": round(time.perf_counter() - t0, 1)}), flush=True)
    lo, hi = task.objective_bounds
    offline = task.dataset.Y[:, : len(task.objectives)]
    for spec in args.generators.split(","):
        name, _, options = spec.partition(":")
        gen = make_generator(name, **{**OPTIONS.get(name, {}), **_settings(options)})
        counting, t0 = CountingReward(reward), time.perf_counter()
        raw = list(gen.propose(counting, task.n_candidates, task.dataset, np.random.default_rng(cfg.seed)))
        seconds = time.perf_counter() - t0
        kept, removed = gate_and_select(cfg, task.space, task.dataset, gen, reward, support, raw, task.n_candidates)
        hv = pareto_metrics(task.objective_oracle(kept), offline, lo, hi)
        last = getattr(gen, "last_run", {})
        print(json.dumps({
            "spec": spec, "generate_s": round(seconds, 1), "hv_p100": round(hv["hv_p100"], 4),
            "hv_p50": round(hv["hv_p50"], 4), "proposed": len(raw), "removed": {k: v for k, v in removed.items() if v},
            "off_support_by_tenth": by_tenth(counting.shares), "off_support": counting.off_support, "designs_scored": last.get("designs_scored"),
            "designs_invalid": last.get("designs_invalid"), "log_z": last.get("log_z"),
            "final_loss": last.get("final_loss"), "pretrain_nll": last.get("pretrain_nll"),
        }, default=str), flush=True)


if __name__ == "__main__":
    main()
