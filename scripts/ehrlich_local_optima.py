"""Where single-letter local search on an Ehrlich function stops: the improving neighbours of its best design.

Usage:
    python scripts/ehrlich_local_optima.py --instances 1,2,3,4 --seeds 2
    python scripts/ehrlich_local_optima.py --options '{"block": 0, "memory": false}'  # letter moves only

The holo-bench protocol (a start pool of ``--batch`` feasible designs, ``--rounds`` rounds of
``--batch``) with the ``local`` generator and no proxy: every design on the letter-pair support of
the labelled designs gets the same reward, so the batch is a uniform draw of the generator's
children. Then every single mutant of the best labelled design, and ``--doubles`` random double
mutants, are scored by the oracle (an analysis, not a design step): how many beat the best, and
how many of those are on the support the run could label. Development instances only (instance
seeds of the family of ``--task`` other than its own).
"""

from __future__ import annotations

import argparse
import json

import numpy as np


def neighbours(task, best: str, support, doubles: int, rng: np.random.Generator) -> dict:
    """Improving single mutants of ``best`` (all) and double mutants (a random sample)."""
    oracle, space = task.oracle.inner, task.space
    x = space.encode([best])[0]
    V, L = space.vocab_size, len(x)
    singles = np.repeat(x[None], L * V, axis=0)
    singles[np.arange(L * V), np.repeat(np.arange(L), V)] = np.tile(np.arange(V), L)
    pairs = np.repeat(x[None], doubles, axis=0)
    where = np.stack([rng.choice(L, 2, replace=False) for _ in range(doubles)])
    pairs[np.arange(doubles)[:, None], where] = rng.integers(V, size=(doubles, 2))
    base = float(oracle([best])[0])
    out = {}
    for name, tokens in (("single", singles), ("double", pairs)):
        ds = space.decode(tokens)
        better = np.nan_to_num(oracle(ds), nan=-1.0) > base
        out[f"improving_{name}"] = int(better.sum())
        out[f"improving_{name}_on_support"] = int((better & support(ds)).sum())
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="ehrlich-32-32-4-4")
    p.add_argument("--instances", default="1,2,3,4")
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--rounds", type=int, default=12)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--doubles", type=int, default=20000)
    p.add_argument("--options", default="{}", help="JSON of the local generator's options")
    args = p.parse_args()
    from ehrlich_dev import dev_spec, local_search

    from seqmbo.tasks import load_task

    for instance in (int(i) for i in args.instances.split(",")):
        task = load_task(dev_spec(args.task, instance))
        for seed in range(args.seeds):
            designs, y, support = local_search(task, args.rounds, args.batch, seed, json.loads(args.options))
            best = designs[int(np.nanargmax(y))]
            found = neighbours(task, best, support, args.doubles, np.random.default_rng(seed))
            print(f"instance {instance} seed {seed}: best {np.nanmax(y):.3f}, pairs on the support "
                  f"{int(support.seen.sum())}; " + ", ".join(f"{k} {v}" for k, v in found.items()), flush=True)


if __name__ == "__main__":
    main()
