"""Realistic chemistry by default: molecule runs before (no chemistry gates) and after (defaults), side by side.

Usage:
    python scripts/bench_chemistry_realism.py grid [--tasks T1,T2] [--seeds 0,1,2] [--sides before,after] [--jobs 2] [--out DIR]
    python scripts/bench_chemistry_realism.py default [--out DIR]
    python scripts/bench_chemistry_realism.py propose [--out DIR]
    python scripts/bench_chemistry_realism.py heldout [--tasks T1,T2]

``grid``: the default generator on each task and seed, ``before`` (``filters=false
chemistry=false trust_region=0 alerts=false``: the settings of the version before the chemistry
gates) and ``after`` (the chemistry gates without the structural alerts, ``alerts=false``), both with ``calibration=false`` (it does not change the candidates);
prints each cell and, per task and side, the mean over seeds of filters_pass, sa_mean,
novel_elements, the oracle's top-1/top-10 among filter-passing candidates, IntDiv1 and the
candidates' normalized oracle median. Cells are kept in ``--out`` as JSON (a restart skips them).

``default``: ``seqmbo design`` with no arguments (task nci-qed, seed 0, calibration on), before
and after: the candidates' oracle median against the offline median and the proxy's Spearman
on the candidates.

``propose``: a 200-row table of ZINC molecules (seeded; none with phosphorus) whose score is
Crippen logP plus Gaussian noise (sd 0.5), written to ``--out``; ``seqmbo propose`` before and
after: held-out Spearman, RMSE and 90% coverage, filters pass rate, candidates with a new
element, wall time.

``alerts`` (a side of ``grid``): the defaults, structural alerts on; every side reports
``alert_frac``, the share of candidates that match an alert at most 1% of the task's offline
molecules carry (:class:`seqmbo.gates.alerts.StructuralAlerts`).

``heldout``: how many real molecules each chemistry gate would refuse: the gates are derived
from a random 90% of a task's offline molecules and applied to the other 10%.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import json
import os
import time
from pathlib import Path

import numpy as np

TASKS = "zinc-osimertinib,zinc-ranolazine,zinc-amlodipine,nci-qed"
SIDES = {"before": {"filters": False, "chemistry": False, "trust_region": 0.0, "reward": "mean", "alerts": False},
         "after": {"alerts": False}, "alerts": {}}
KEYS = ("filters_pass", "sa_mean", "novel_elements", "rare_env_frac", "alert_frac", "oracle_top1_filtered",
        "oracle_top10_filtered", "intdiv1", "score_norm_p50")


@functools.cache
def _alerts(task: str):
    from seqmbo.gates.alerts import StructuralAlerts
    from seqmbo.tasks import load_task

    return StructuralAlerts(load_task(task).dataset.designs)


def _cell(args: tuple[str, str, int, str]) -> tuple[str, str, int, dict]:
    task, side, seed, out = args
    path = Path(out) / f"{task}_{side}_seed{seed}.json"
    if path.exists():
        return task, side, seed, json.loads(path.read_text())
    import seqmbo

    run = seqmbo.design(task, seed=seed, calibration=False, **SIDES[side])
    m = dict(run.metrics)
    smiles = list(run.candidates["smiles"])
    m["alert_frac"] = 1.0 - float(_alerts(task)(smiles).mean()) if smiles else float("nan")
    path.write_text(json.dumps(m))
    return task, side, seed, m


def _fmt(m: dict, keys=KEYS) -> str:
    return "  ".join(f"{k} {np.nan if m.get(k) is None else m[k]:.3f}" for k in keys)


def grid(args: argparse.Namespace) -> None:
    Path(args.out).mkdir(parents=True, exist_ok=True)
    tasks, seeds = args.tasks.split(","), [int(s) for s in args.seeds.split(",")]
    cells = [(t, side, s, args.out) for t in tasks for s in seeds for side in args.sides.split(",")]
    rows: dict[tuple[str, str], list[dict]] = {}
    with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        for task, side, seed, m in pool.map(_cell, cells):
            print(f"{task:17s} {side:6s} seed {seed}  {_fmt(m)}", flush=True)
            rows.setdefault((task, side), []).append(m)
    print(f"\nmeans over seeds {args.seeds} (evolution, the default generator)")
    print(f"{'task':17s} {'side':6s} " + " ".join(f"{k:>21s}" for k in KEYS))
    for (task, side), ms in rows.items():
        vals = [np.nanmean([np.nan if m.get(k) is None else m[k] for m in ms]) for k in KEYS]
        print(f"{task:17s} {side:6s} " + " ".join(f"{v:21.3f}" for v in vals))


def default_run(args: argparse.Namespace) -> None:
    import seqmbo
    from seqmbo.tasks import load_task

    task = load_task("nci-qed")
    offline_median = float(np.median(task.dataset.y))
    for side, settings in SIDES.items():
        t0 = time.perf_counter()
        run = seqmbo.design(**settings)
        m = run.metrics
        print(f"seqmbo design (nci-qed, seed 0) {side:6s}: candidates' oracle median {m['score_p50']:.3f} vs offline "
              f"median {offline_median:.3f}; proxy Spearman on candidates {m['proxy_spearman']:.3f}; "
              f"{_fmt(m, KEYS[:6])}; wall {time.perf_counter() - t0:.0f} s", flush=True)


def propose_table(path: Path, n: int = 200, noise: float = 0.5) -> Path:
    """``n`` seeded ZINC molecules without phosphorus, scored by Crippen logP + N(0, noise^2)."""
    import pandas as pd
    from rdkit.Chem import Crippen

    from seqmbo.spaces.molecule import parse_smiles
    from seqmbo.tasks import load_task

    pool = load_task("zinc-qed").dataset.designs
    rng = np.random.default_rng(0)
    picked = [pool[i] for i in rng.permutation(len(pool)) if "P" not in pool[i]][:n]
    logp = np.array([Crippen.MolLogP(parse_smiles(s)) for s in picked])
    pd.DataFrame({"smiles": picked, "activity": logp + rng.normal(0, noise, n)}).to_csv(path, index=False)
    return path


def propose_run(args: argparse.Namespace) -> None:
    import seqmbo

    Path(args.out).mkdir(parents=True, exist_ok=True)
    table = propose_table(Path(args.out) / "user_table.csv")
    for side, settings in SIDES.items():
        t0 = time.perf_counter()
        m = seqmbo.propose(str(table), x="smiles", y="activity", n=100, **settings).attrs["metrics"]
        print(f"propose on {table.name} (200 rows) {side:6s}: held-out Spearman {m['proxy_heldout_spearman']:.3f}, "
              f"RMSE {m['proxy_heldout_rmse']:.3f}, 90% coverage {m['proxy_heldout_coverage90']:.3f}; "
              f"filters_pass {m['filters_pass']:.3f}, novel_elements {m['novel_elements']}, "
              f"rare_env_frac {m['rare_env_frac']:.3f}, sa_mean {m['sa_mean']:.2f}; wall {time.perf_counter() - t0:.0f} s",
              flush=True)


def heldout(args: argparse.Namespace) -> None:
    from seqmbo.gates.alerts import StructuralAlerts
    from seqmbo.gates.chemistry import MedChemFilters
    from seqmbo.gates.realism import RING_SIZES, AtomEnvironments, ChemistryProfile, Elements, RingSizes, SABound
    from seqmbo.tasks import load_task

    for name in args.tasks.split(","):
        designs = load_task(name).dataset.designs
        order = np.random.default_rng(1).permutation(len(designs))
        cut = int(0.9 * len(designs))
        profile = ChemistryProfile.from_designs([designs[i] for i in order[:cut]])
        rest = [designs[i] for i in order[cut:]]
        gates = [Elements(profile.elements), RingSizes(profile.ring_sizes | RING_SIZES),
                 AtomEnvironments(profile.environments), SABound(profile.sa_bound()), MedChemFilters(),
                 StructuralAlerts([designs[i] for i in order[:cut]])]
        passed = "  ".join(f"{g.name} {g(rest).mean():.3f}" for g in gates)
        print(f"{name}: gates from {cut} offline molecules, pass rate of the {len(rest)} held out: {passed} "
              f"(SA bound {profile.sa_bound():.2f})", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("part", choices=("grid", "default", "propose", "heldout"))
    p.add_argument("--tasks", default=TASKS)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--sides", default="before,after", help="grid: which sides to run")
    p.add_argument("--out", default=os.path.join("runs", "chemistry_realism"))
    args = p.parse_args()
    {"grid": grid, "default": default_run, "propose": propose_run, "heldout": heldout}[args.part](args)


if __name__ == "__main__":
    main()
