"""Train (or load from the cache) the learned oracles of the utr and gfp tasks; print their
held-out Spearman, fit time and the offline split.

Example::

    SEQMBO_THREADS=1 python scripts/fit_learned_oracles.py utr gfp
"""

from __future__ import annotations

import logging
import sys
import time


def main(names: list[str]) -> int:
    from seqmbo.run import set_threads
    from seqmbo.tasks import load_task

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    set_threads()
    for name in names or ["utr", "gfp"]:
        t0 = time.perf_counter()
        task = load_task(name)
        o = task.oracle.inner
        print(f"{name}: learned oracle, held-out Spearman {o.spearman:.4f} on {o.n_holdout} rows "
              f"(trained on {o.n_train}), fit {o.fit_s:.0f} s wall, {o.fit_cpu_s or float('nan'):.0f} CPU-s "
              f"(this load {time.perf_counter() - t0:.0f} s); "
              f"offline {len(task.dataset)} rows, best normalized {task.dataset_best_norm:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
