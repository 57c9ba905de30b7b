"""Check the GPU path: one short design run per generator on CUDA and on the CPU, side by side.

For each generator (random, dataset-top, evolution, gradient, gflownet) the same run (task,
seed, tiny budgets) is made with ``device="cuda"`` and with ``device="cpu"``; the table shows
the candidates' normalized 100th and 50th percentile scores and the run time on each, and how
far a CUDA proxy's predictions are from a CPU proxy's on that run's CUDA candidates (both
proxies fitted with the run's seed and settings: their initial weights are the same, so the
difference is float rounding and the GPU's training randomness).

On a machine without CUDA it says so in one line and exits with code 0.

Usage::

    python scripts/check_gpu.py [--task ehrlich-20-16-2-4] [--seed 0] [--n 32]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # seqmbo from this checkout

GENERATORS = {  # tiny budgets: this checks the path, not the quality
    "random": {},
    "dataset-top": {},
    "evolution": {"generations": 5, "population": 64, "offspring": 128},
    "gradient": {"steps": 100, "seed_top": 128},
    "gflownet": {"steps": 100, "batch_size": 64, "min_samples": 512},
}
PROXY_OPTIONS = {"members": 3, "min_steps": 200}


def run_once(task: str, generator: str, device: str, seed: int, n: int):
    import seqmbo

    t = time.perf_counter()
    result = seqmbo.design(task, generator=generator, seed=seed, n=n, calibration=False, device=device,
                           generator_options=GENERATORS[generator], proxy_options=PROXY_OPTIONS)
    return result, time.perf_counter() - t


def fitted_proxies(task_name: str, seed: int):
    """The run's proxy fitted on each device: ``{"cuda": proxy, "cpu": proxy}``."""
    from seqmbo.proxies import make_proxy
    from seqmbo.tasks import load_task

    task = load_task(task_name)
    data = task.dataset
    return {d: make_proxy("ensemble", task.space, seed=seed, device=d, **PROXY_OPTIONS).fit(data.designs, data.y)
            for d in ("cuda", "cpu")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="ehrlich-20-16-2-4", help="a sequence task (no data needed by default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n", type=int, default=32, help="candidates a run")
    parser.add_argument("--generators", default=",".join(GENERATORS), help="comma-separated subset")
    args = parser.parse_args(argv)

    import torch

    if not torch.cuda.is_available():
        print(f"check_gpu: no CUDA GPU visible to torch {torch.__version__}; nothing to compare (skipped)")
        return 0
    print(f"GPU: {torch.cuda.get_device_name(0)}; torch {torch.__version__}; task {args.task}, seed {args.seed}, "
          f"n {args.n}")
    proxies = fitted_proxies(args.task, args.seed)
    header = (f"{'generator':<12} {'p100 cuda':>9} {'p100 cpu':>9} {'p50 cuda':>9} {'p50 cpu':>9} "
              f"{'time cuda':>9} {'time cpu':>9} {'max|dpred|':>10}")
    rows, failed = [], 0
    for name in args.generators.split(","):
        try:
            (gpu, t_gpu), (cpu, t_cpu) = (run_once(args.task, name, d, args.seed, args.n) for d in ("cuda", "cpu"))
        except Exception as e:  # a check script: report every generator, then fail
            rows.append(f"{name:<12} FAILED: {type(e).__name__}: {e}")
            failed += 1
            continue
        designs = gpu.candidates.iloc[:, 0].tolist()
        diff = np.abs(proxies["cuda"].predict(designs).mean - proxies["cpu"].predict(designs).mean).max()
        g, c = gpu.metrics, cpu.metrics
        rows.append(f"{name:<12} {g['score_norm_p100']:>9.3f} {c['score_norm_p100']:>9.3f} {g['score_norm_p50']:>9.3f} "
                    f"{c['score_norm_p50']:>9.3f} {t_gpu:>8.1f}s {t_cpu:>8.1f}s {diff:>10.2e}")
    print(header)
    print("\n".join(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
