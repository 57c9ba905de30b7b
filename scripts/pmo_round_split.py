"""Where a PMO round's wall time goes: per-stage timers around one online run (development objective).

Usage:
    python scripts/pmo_round_split.py --objective qed --budget 9000 --start 8000 --batch 1000
    python scripts/pmo_round_split.py --objective qed --budget 9000 --start 8000 --batch 1000 \\
        --settings '{"generator.generations": 10, "proxy.warm_epochs": 3, "chemistry": false}'

Prints, per round, the seconds spent in each stage (timers wrap the stage functions; the indented
stages run inside ``propose``/``summarize``, so they overlap their parents). ``--start 8000`` makes the
first round a late one (8,000 labelled molecules), the costly end of a 10,000-call run; the first
round's ``oracle`` also holds the labelling of the start pool.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import time

from bench_pmo import pmo_task

STAGES = collections.defaultdict(float)


def timed(owner, name: str, label: str) -> None:
    """Wrap ``owner.name`` so that its wall time adds up under ``label``."""
    f = getattr(owner, name)

    @functools.wraps(f)
    def wrapper(*a, **k):
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            STAGES[label] += time.perf_counter() - t

    setattr(owner, name, wrapper)


def instrument() -> None:
    import seqmbo.metrics.mol_run as mol_run
    import seqmbo.online as online
    import seqmbo.run as run
    from seqmbo.gates.realism import CountingGates
    from seqmbo.generators import graph_edits
    from seqmbo.generators.evolution import EvolutionGenerator
    from seqmbo.oracles.budget import Budgeted
    from seqmbo.proxies.molecule_models import _MoleculeEnsemble
    from seqmbo.spaces.molecule import MoleculeSpace

    for owner, name, label in [
        (_MoleculeEnsemble, "fit", "proxy fit"), (run, "make_support", "chemistry profile"),
        (EvolutionGenerator, "propose", "propose"), (MoleculeSpace, "decode", "  decode SELFIES"),
        (graph_edits, "offspring", "  graph edits"),
        (MoleculeSpace, "is_valid", "  validity"), (CountingGates, "__call__", "  support gates"),
        (_MoleculeEnsemble, "predict", "  proxy scoring"), (run, "gate_and_select", "final gates"),
        (run, "summarize", "summarize"), (Budgeted, "__call__", "  oracle"),
        (mol_run, "realism_metrics", "realism metrics"), (online, "save_state", "state saving"),
    ]:
        timed(owner, name, label)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--objective", default="qed")
    p.add_argument("--budget", type=int, default=9000)
    p.add_argument("--start", type=int, default=8000)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--settings", default="{}", help="JSON of run settings")
    args = p.parse_args()
    import seqmbo.online as online
    from seqmbo.run import set_threads

    set_threads()
    instrument()
    last: dict[str, float] = {}
    row = online.round_row

    def timed_row(*a, **k):
        out = row(*a, **k)
        split = {name: round(STAGES[name] - last.get(name, 0.0), 1) for name in sorted(STAGES)}
        last.update(STAGES)
        print(json.dumps({"round": out["round"], "oracle_calls": out["oracle_calls"], "batch": out["batch"],
                          "time_s": round(out["time_s"], 1), **split}), flush=True)
        return out

    online.round_row = timed_row
    t0 = time.perf_counter()
    res = online.online(pmo_task(args.objective), "evolution", "ensemble", rounds=10**6, batch=args.batch,
                        budget=args.budget, start=args.start, seed=0, n=100, **json.loads(args.settings))
    print(json.dumps({"total_s": round(time.perf_counter() - t0, 1), "auc_top10": res.metrics["auc_top10"]}))


if __name__ == "__main__":
    main()
