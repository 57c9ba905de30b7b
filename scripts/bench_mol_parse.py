"""How often one molecule design run parses SMILES with RDKit, and how long it takes.

Counts the calls to ``rdkit.Chem.MolFromSmiles`` (and the distinct strings parsed) during
``seqmbo.design(TASK, generator="evolution", seed=SEED, calibration=False)`` and its wall time.
With ``--compare OLD_CHECKOUT`` the same measurement also runs on another checkout of seqmbo (e.g.
a ``git worktree`` of an older commit), each in a fresh process, and the table shows both; the
candidates of the two runs are compared (same seed, same algorithm: they should be equal).

    python scripts/bench_mol_parse.py --task nci-qed --compare ../old-checkout
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def measure(task: str, seed: int, repeats: int) -> dict:
    """Run the design ``repeats`` times in this process; parse counts of the first run, best time."""
    from rdkit import Chem

    import seqmbo

    calls: list[str] = []
    original = Chem.MolFromSmiles

    def counting(smiles, *args, **kwargs):
        calls.append(smiles)
        return original(smiles, *args, **kwargs)

    times, first = [], None
    for r in range(repeats):
        Chem.MolFromSmiles = counting
        try:
            t0 = time.perf_counter()
            result = seqmbo.design(task, generator="evolution", seed=seed, calibration=False)
            times.append(time.perf_counter() - t0)
        finally:
            Chem.MolFromSmiles = original
        if first is None:
            first = (len(calls), len(set(calls)), result)
    n_calls, n_distinct, result = first
    column = result.candidates.columns[0]
    candidates = result.candidates[column].tolist()
    return {
        "checkout": str(Path(seqmbo.__file__).resolve().parent.parent),
        "parse_calls": n_calls,
        "distinct_smiles": n_distinct,
        "calls_per_smiles": n_calls / max(n_distinct, 1),
        "wall_s": min(times),
        "candidates_sha": hashlib.sha256("\n".join(candidates).encode()).hexdigest()[:16],
        "oracle_top1": result.metrics.get("oracle_top1"),
    }


def child(checkout: Path, args: argparse.Namespace) -> dict:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    cmd = [sys.executable, __file__, "--task", args.task, "--seed", str(args.seed), "--repeats", str(args.repeats), "--json"]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="nci-qed")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=1, help="design runs per checkout; the best time is kept")
    p.add_argument("--compare", type=Path, help="another seqmbo checkout to measure too (run first)")
    p.add_argument("--json", action="store_true", help="measure in this process and print one JSON line")
    args = p.parse_args()
    if args.json:
        print(json.dumps(measure(args.task, args.seed, args.repeats)))
        return
    here = Path(__file__).resolve().parent.parent
    rows = ([("before", child(args.compare.resolve(), args))] if args.compare else []) + [("after", child(here, args))]
    print(f"{'':8}{'MolFromSmiles calls':>20}{'distinct SMILES':>17}{'calls/SMILES':>14}{'wall s':>9}  candidates")
    for label, r in rows:
        print(f"{label:8}{r['parse_calls']:>20}{r['distinct_smiles']:>17}{r['calls_per_smiles']:>14.2f}"
              f"{r['wall_s']:>9.1f}  {r['candidates_sha']}")
    if len(rows) == 2:
        same = rows[0][1]["candidates_sha"] == rows[1][1]["candidates_sha"]
        print("same candidates:", "yes" if same else "NO")


if __name__ == "__main__":
    main()
