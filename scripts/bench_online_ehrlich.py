"""The holo-bench protocol on Ehrlich functions: seqmbo's online rounds beside holo-bench's genetic algorithm.

Usage:
    python scripts/bench_online_ehrlich.py --task ehrlich-32-32-4-4 --seeds 8
    python scripts/bench_online_ehrlich.py --task ehrlich-32-128-4-4 --seeds 8 --no-peer

Protocol: a start pool of ``--batch`` feasible designs (drawn from the task's offline set, which
is sampled from the feasible distribution), labelled by the oracle; then ``--rounds`` rounds of
``--batch`` designs each. Reported: the best value after each round and the first round at which
the optimum 1.0 is reached, per seed.

Peer: ``DiscreteEvolution``, the genetic algorithm of holo-bench (``pytorch-holo`` 0.0.5), on the
same instance (holo's ``Ehrlich`` given seqmbo's transition matrix, motifs and spacings: seqmbo
draws its instances with its own random stream) from the same start pool:
its particles are set to the start designs, so its first step labels them and each later step
is one round of ``--batch`` designs (equal budget). It runs in a throw-away virtual environment
that this script builds under the system's temporary folder (torch 2.13.0 installed first from
the local CPU wheel, then pytorch-holo under a constraint pinning torch), never a project
dependency. The GA runs at holo's default mutation probability (0.2) and at 1/L. The script checks
that holo's Ehrlich and seqmbo's agree on the start designs before comparing.

With ``--generator local`` at ``pool = 1`` the generator returns exactly the batch and the proxy
only orders it (which of several designs tied at the best is labelled first), so the proxy is
fitted cheaply (:data:`ORDER_ONLY_PROXY`; ``--full-proxy`` fits it in full).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

VENV = Path(tempfile.gettempdir()) / "seqmbo-peer-holo"

PEER = r'''
import json, sys
import torch
from holo.optim import DiscreteEvolution
from holo.test_functions.closed_form import Ehrlich

job = json.load(open(sys.argv[1]))
p = job["params"]
f = Ehrlich(num_states=p["num_states"], dim=p["dim"], num_motifs=p["num_motifs"], motif_length=p["motif_length"],
            quantization=p["quantization"], random_seed=p["seed"], negate=True)
inst = job["instance"]  # seqmbo's instance of these parameters (its own random stream): holo scores that one
f.transition_matrix = torch.tensor(inst["transition_matrix"], dtype=f.transition_matrix.dtype)
f.motifs = [torch.tensor(m, dtype=torch.int64) for m in inst["motifs"]]
f.spacings = [torch.tensor(g, dtype=torch.int64) for g in inst["gaps"]]
start = torch.tensor(job["start"], dtype=torch.float32)
check = (-f(start)).tolist()
out = {"check": check, "runs": []}
for mutation in job["mutation_probs"]:
    for seed in job["seeds"]:
        torch.manual_seed(seed)
        param = torch.nn.Parameter(start[0].clone())
        opt = DiscreteEvolution([param], list(range(p["num_states"])), mutation_prob=mutation,
                                num_particles=start.shape[0])
        opt.state[param]["particles"] = start.clone()  # the start pool: the same designs seqmbo starts from
        best, curve = -float("inf"), []
        for step in range(job["rounds"] + 1):  # step 0 labels the start pool
            opt.step(lambda ps: f(ps[0]))
            best = max(best, float(-opt.particle_loss.min()))
            curve.append(best)
        out["runs"].append({"mutation_prob": mutation, "seed": seed, "best_per_round": curve})
print(json.dumps(out))
'''


def build_peer_venv() -> Path | None:
    """The throw-away environment with pytorch-holo (``None`` when it cannot be built)."""
    python = VENV / "bin" / "python"
    if python.exists() and subprocess.run([python, "-c", "import holo"], capture_output=True).returncode == 0:
        return python
    constraints = VENV.with_suffix(".constraints.txt")
    constraints.write_text("torch==2.13.0\n")
    steps = [[sys.executable, "-m", "venv", str(VENV)],
             [python, "-m", "pip", "install", "-q", "torch==2.13.0"],  # first: the local CPU wheel
             [python, "-m", "pip", "install", "-q", "pytorch-holo==0.0.5", "-c", str(constraints)]]
    for cmd in steps:
        if subprocess.run(cmd, capture_output=True, text=True).returncode != 0:
            print(f"peer environment: {' '.join(map(str, cmd))} failed; the GA is not run", flush=True)
            return None
    return python


def start_designs(task, batch: int, seed: int) -> list[str]:
    """The start pool of a seed: the designs :func:`seqmbo.online.start_pool` draws for it."""
    from seqmbo.online import OnlineSettings, start_pool
    from seqmbo.oracles.budget import Cached

    return start_pool(task, OnlineSettings(1, batch, start=batch), Cached(task.oracle.inner), seed).designs


# The ``local`` generator with ``pool = 1`` returns exactly the batch: the proxy only orders its labels
# (and so which of several designs tied at the best is labelled first), so one epoch of a small fit does.
ORDER_ONLY_PROXY = {"members": 1, "epochs": 1, "min_steps": 0, "warm_epochs": 1}


def run_settings(args: argparse.Namespace) -> dict:
    """The run settings of ``--settings``, with :data:`ORDER_ONLY_PROXY` when the proxy only orders the batch
    (``--generator local`` at ``pool = 1``, no ``proxy_options`` given, unless ``--full-proxy``)."""
    settings = json.loads(args.settings)
    pool = settings.get("generator_options", {}).get("pool", 1)
    if args.generator == "local" and pool == 1 and "proxy_options" not in settings and not args.full_proxy:
        settings["proxy_options"] = dict(ORDER_ONLY_PROXY)
    return settings


def run_seqmbo(task_name: str, seed: int, args: argparse.Namespace) -> dict:
    from seqmbo.online import online

    t0 = time.perf_counter()
    res = online(task_name, args.generator, args.proxy, rounds=args.rounds, batch=args.batch, start=args.batch,
                 seed=seed, **run_settings(args))
    rows = res.metrics["rounds_table"]
    return {"seed": seed, "best_per_round": [r["best"] for r in rows], "time_s": time.perf_counter() - t0,
            "time_round_mean_s": res.metrics["time_round_mean_s"], "peak_rss_mb": res.metrics["peak_rss_mb"]}


def run_peer(python: Path, task, seeds: list[int], args: argparse.Namespace) -> dict:
    """The GA for every seed, from each seed's start pool (one peer process per seed)."""
    spec = task.spec
    params = {k: int(spec[k]) for k in ("num_states", "dim", "num_motifs", "motif_length", "quantization", "seed")}
    runs, worst_check = [], 0.0
    for seed in seeds:
        designs = start_designs(task, args.batch, seed)
        fn = task.oracle.inner._function
        instance = {"transition_matrix": fn.transition_matrix.tolist(), "motifs": fn.motifs.tolist(),
                    "gaps": np.diff(fn.spacings, axis=1).tolist()}
        job = {"params": params, "instance": instance, "start": task.space.encode(designs).tolist(), "rounds": args.rounds, "seeds": [seed],
               "mutation_probs": [0.2, 1.0 / params["dim"]]}
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "job.json").write_text(json.dumps(job))
            Path(tmp, "peer.py").write_text(PEER)
            env = dict(os.environ, OMP_NUM_THREADS="1")
            proc = subprocess.run([python, Path(tmp, "peer.py"), Path(tmp, "job.json")], capture_output=True, text=True,
                                  env=env)
        if proc.returncode != 0:
            raise SystemExit(f"peer failed: {proc.stderr[-2000:]}")
        out = json.loads(proc.stdout)
        ours = np.nan_to_num(task.oracle.inner(designs), nan=-np.inf)
        worst_check = max(worst_check, float(np.max(np.abs(np.where(np.isinf(ours), 0, ours - out["check"])))))
        runs += out["runs"]
    return {"runs": runs, "check_max_abs_diff": worst_check}


def reached(curve: list[float], target: float = 1.0) -> int | None:
    """The first round (1-based; 0: the start pool) whose best reaches ``target``."""
    return next((i for i, v in enumerate(curve) if v >= target - 1e-9), None)


def report(task_name: str, ours: list[dict], peer: dict | None) -> None:
    print(f"\n{task_name}: best value per round (round 0 = the start pool), mean over {len(ours)} seeds")
    lines = {"seqmbo": [[r["start_best"]] + r["best_per_round"] for r in ours]}
    if peer is not None:
        for mp in sorted({r["mutation_prob"] for r in peer["runs"]}, reverse=True):
            lines[f"holo GA (mutation {mp:.3g})"] = [r["best_per_round"] for r in peer["runs"] if r["mutation_prob"] == mp]
    for name, curves in lines.items():
        mean = np.mean(np.asarray(curves, dtype=float), axis=0)
        hits = [reached(c) for c in curves]
        print(f"  {name:24s} " + " ".join(f"{v:.3f}" for v in mean)
              + f" | optimum reached in {sum(h is not None for h in hits)} of {len(curves)}"
              + f" (rounds {[h for h in hits]})")
    if peer is not None:
        print(f"  holo vs seqmbo Ehrlich on the start designs: max |difference| {peer['check_max_abs_diff']:.2e}")
    print(f"  seqmbo wall time per round {np.mean([r['time_round_mean_s'] for r in ours]):.1f} s, "
          f"peak RSS {max(r['peak_rss_mb'] for r in ours):.0f} MB")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="ehrlich-32-32-4-4")
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--first-seed", type=int, default=0, help="run seeds first-seed .. first-seed + seeds - 1")
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--generator", default="evolution")
    p.add_argument("--proxy", default="ensemble")
    p.add_argument("--settings", default="{}", help="JSON of further run settings (e.g. generator_options)")
    p.add_argument("--no-peer", action="store_true")
    p.add_argument("--full-proxy", action="store_true",
                   help="fit the proxy in full even where it only orders the batch (local at pool 1)")
    args = p.parse_args()
    print(json.dumps({"run_settings": run_settings(args)}), flush=True)
    from seqmbo.run import set_threads
    from seqmbo.tasks import load_task

    set_threads()
    task = load_task(args.task)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    peer = None
    if not args.no_peer:
        python = build_peer_venv()
        if python is not None:
            peer = run_peer(python, task, seeds, args)
            print(json.dumps({"peer": peer}), flush=True)
    ours = []
    for seed in seeds:
        row = run_seqmbo(args.task, seed, args)
        row["start_best"] = float(np.nanmax(task.oracle.inner(start_designs(task, args.batch, seed))))
        ours.append(row)
        print(json.dumps(row), flush=True)
    report(args.task, ours, peer)


if __name__ == "__main__":
    main()
