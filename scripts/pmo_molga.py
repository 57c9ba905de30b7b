"""A PMO peer run beside seqmbo's: the graph GA of ``mol_ga`` (Tripp & Hernandez-Lobato 2023) on the
same oracle, start pool and budget.

``mol_ga`` is never a project dependency: :func:`install` puts the pinned wheel (no dependencies:
it needs only numpy, RDKit and joblib, which seqmbo's environment has) into a throw-away folder under
the system's temporary directory, and :func:`run_mol_ga` imports it from there. The GA is
``mol_ga.default_ga`` with its own defaults (population 10,000, quantile sampling, Graph GA
crossover and mutation) and 100 offspring a generation (its README's example); nothing was tuned.

The start pool is drawn, labelled and counted exactly as in a seqmbo online run
(:func:`seqmbo.online.start_pool` with the same seed), every molecule the GA asks about goes through
the same cache (canonical SMILES) and budget, and the run stops when the budget is spent. The AUC
of the top-10 mean is computed from the calls in order, as for seqmbo.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MOL_GA = "mol_ga==0.2.1"
OFFSPRING = 100


class _Spent(Exception):
    """The budget is spent: ends the GA's loop."""


def install() -> Path:
    """The folder holding ``mol_ga`` (installed there once, from the package index, without dependencies)."""
    folder = Path(tempfile.gettempdir()) / "seqmbo-peers" / MOL_GA.replace("==", "-")
    if not (folder / "mol_ga").is_dir():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(folder),
                        MOL_GA], check=True)
    return folder


def budgeted_scorer(labeller):
    """``mol_ga``'s batch scoring function over seqmbo's cached, budgeted labeller: scores what the
    budget allows and then ends the run (invalid molecules score -inf for the GA, nan in the record)."""
    import math

    def score(smiles: list[str]) -> list[float]:
        remaining = labeller.oracle.remaining
        new = [s for s in dict.fromkeys(smiles) if s not in labeller]
        if len(new) > remaining:
            labeller(new[:remaining])
            raise _Spent
        values = labeller(smiles)
        return [v if math.isfinite(v) else -math.inf for v in values]

    return score


def run_mol_ga(task_spec: dict, seed: int, budget: int, start: int) -> dict:
    """One PMO run of ``mol_ga`` on ``task_spec``'s oracle: the AUC of the top-10 mean and friends."""
    from seqmbo.config import RunConfig
    from seqmbo.metrics.pmo import auc_top_k
    from seqmbo.online import OnlineSettings, start_pool
    from seqmbo.oracles.budget import Budgeted, Cached
    from seqmbo.spaces.base import space_key
    from seqmbo.run import load_problem

    sys.path.insert(0, str(install()))
    from mol_ga import default_ga

    t0 = time.perf_counter()
    task = load_problem(RunConfig(task=task_spec, seed=seed))
    labeller = Cached(Budgeted(task.oracle.inner, budget), key=space_key(task.space))
    pool = start_pool(task, OnlineSettings(rounds=1, batch=1, budget=budget, start=start), labeller, seed)
    try:
        default_ga(starting_population_smiles=list(pool.designs), scoring_function=budgeted_scorer(labeller),
                   max_generations=20 * budget // OFFSPRING, offspring_size=OFFSPRING, rng=random.Random(seed))
    except _Spent:
        pass
    scores = [lab.score for lab in labeller.history]
    top = sorted(s for s in scores if s == s)[-10:]
    return {"auc_top10": auc_top_k(scores, budget), "oracle_calls": len(scores), "top1": top[-1] if top else 0.0,
            "top10_mean": sum(top) / len(top) if top else 0.0, "time_s": time.perf_counter() - t0}
