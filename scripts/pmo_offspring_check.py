"""What one generation of graph edits makes from a finished PMO run's best molecules, scored by the oracle.

Usage:
    python scripts/pmo_offspring_check.py pmo/isomers_c9h10n2o2pf2cl_seed0 --objective isomers_c9h10n2o2pf2cl \\
        --element P

Reads the run's ``labels.csv``, takes its best ``--parents`` labelled molecules as parents (rank
weights as evolution's), makes ``--children`` children with the elements evolution would use
(``--elements space`` or ``seeds``), keeps those the space can write, and prints how many hold
``--element``, how many the run had labelled with it, and the oracle's best scores of both kinds of
child. It tells a generator that cannot make a molecule from a proxy that never picks it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from bench_pmo import pmo_task


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run", help="a run folder of bench_pmo.py --out (holds labels.csv)")
    p.add_argument("--objective", required=True)
    p.add_argument("--element", default="P")
    p.add_argument("--elements", choices=("space", "seeds"), default="space")
    p.add_argument("--parents", type=int, default=256)
    p.add_argument("--children", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    from seqmbo.gates.realism import elements_of
    from seqmbo.generators import graph_edits, make_generator
    from seqmbo.oracles.molecules import get_molecule_oracle
    from seqmbo.tasks import load_task

    space = load_task(pmo_task(args.objective)).space
    labels = pd.read_csv(Path(args.run) / "labels.csv").sort_values("oracle", ascending=False, kind="stable")
    parents = list(labels.smiles[: args.parents])
    gen = make_generator("evolution", operators="graph", elements=args.elements)
    elements = gen._elements(parents, space)
    weights = gen._rank_weights(len(parents))
    children = graph_edits.offspring(parents, args.children, np.random.default_rng(args.seed), gen.config.crossover,
                                     elements, weights, parse=space.mol)
    children = [c for c, ok in zip(children, space.writable(children)) if ok]

    def holds(smiles: str) -> bool:
        mol = space.mol(smiles)
        return mol is not None and args.element in elements_of(mol)

    oracle = get_molecule_oracle(args.objective)
    scores = np.asarray(oracle(children), dtype=float)
    with_el = np.array([holds(c) for c in children], dtype=bool)
    top = lambda x: [round(float(v), 4) for v in np.sort(x)[::-1][:5]]  # noqa: E731
    print(json.dumps({
        "elements": elements, "children": len(children), f"children_with_{args.element}": int(with_el.sum()),
        f"labelled_with_{args.element}": int(sum(holds(s) for s in labels.smiles)), "labelled": len(labels),
        "run_best": round(float(labels.oracle.max()), 4),
        f"best_children_with_{args.element}": top(scores[with_el]), "best_children_without": top(scores[~with_el]),
    }))


if __name__ == "__main__":
    main()
