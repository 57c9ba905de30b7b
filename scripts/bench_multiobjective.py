"""Multi-objective benchmark: seqmbo's generators against pymoo's NSGA-II, same tasks, proxies,
gates, selection and reward budget, in one invocation.

Each cell is ``seqmbo.design(task, generator, seed)``; pymoo's NSGA-II enters as a generator
object (:class:`PymooNSGA2`) that runs ``pymoo.algorithms.moo.nsga2.NSGA2`` on the designs' token
ids (integer variables, pad id = "no token", pymoo's integer SBX/PM with rounding) against the
run's vector reward, its population seeded like seqmbo's from the best offline designs, with the
population, offspring and generations of seqmbo's ``evolution``/``nsga2`` (the same number of
reward calls). pymoo is the peer: it is installed into a throw-away folder (``--peer-dir``) on
first use, never into the project.

seqmbo's ``gflownet`` (preference-conditioned with several objectives: MOGFN-PC) trains
``GFLOWNET`` steps and ``latent`` (BO with ParEGO batches) decodes ``LATENT`` codes: their reward
budgets differ from the evolutions' (they are set by time, not calls; each run's ``time_total_s``
is printed). ``regex-dev`` is a development instance of the regex task (other bigrams, letters
and data seed), ``zinc-qed-sa-dev`` and ``zinc-fexofenadine-terms-dev`` those of the molecule
tasks (another subsample, other objectives), for choosing settings; ``NAME:key=value;key=value``
passes settings to a generator.

Prints one line per run and a table of mean ± std over seeds of ``hv_p100``, ``hv_p50``,
``pareto_size``, ``dataset_hv``, ``off_support`` (the share of the designs a generator scored with the
run's reward that were off its support: invalid, or rejected by the chemistry gates; reward ``-inf``)
and the wall time per task and generator.

    nice -n 5 python scripts/bench_multiobjective.py --tasks regex,zinc-logp-qed --seeds 3
    nice -n 5 python scripts/bench_multiobjective.py --chemist 1000

``--chemist N`` instead times a chemist's ``propose`` run: a table of the first N NCI molecules
shipped with RDKit with two columns standing in for measurements (RDKit's QED, to maximize, and
Crippen logP, to minimize), ``--constraint "sa<=4"``, 100 candidates, default settings; it
prints the wall time and how many candidates lie on the front of the predicted means.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import sys
import time
from pathlib import Path

import numpy as np

GENERATORS = ("random", "evolution", "nsga2", "gflownet", "latent", "pymoo-nsga2")
EVOLUTION = {"population": 128, "offspring": 256, "generations": 10, "seed_top": 128}
GFLOWNET = {"steps": 300, "batch_size": 128}  # several objectives: preference-conditioned (MOGFN-PC)
LATENT = {"method": "bo", "budget": 512}  # several objectives: ParEGO batches
OPTIONS = {"evolution": EVOLUTION, "nsga2": EVOLUTION, "gflownet": GFLOWNET, "latent": LATENT}
# development instances (settings are chosen on these, never on the reported tasks): the regex task
# with other bigrams, letters and data seed
_MOL_DEV = {"kind": "molecules-mo", "library": "zinc250k", "subsample": 10000, "subsample_seed": 1,
            "standardize": ["neutralize"], "organic_only": True, "max_front_percentile": 50, "n_candidates": 128}
DEV_TASKS = {
    "regex-dev": {"name": "regex-dev", "kind": "regex", "patterns": ["DE", "EK", "KD"], "min_length": 32,
                  "max_length": 36, "offline_size": 10000, "enriched": "DEK", "enrichment": 0.1, "seed": 1,
                  "max_front_percentile": 50, "n_candidates": 128},
    # molecules: another subsample of ZINC250k with other objectives; the analogue of zinc-logp-qed (two
    # objectives, one minimized) and of zinc-osimertinib-terms (Fexofenadine MPO's similarity, TPSA, logP terms)
    "zinc-qed-sa-dev": {**_MOL_DEV, "name": "zinc-qed-sa-dev", "objectives": ["qed", "sa"]},
    "zinc-fexofenadine-terms-dev": {**_MOL_DEV, "name": "zinc-fexofenadine-terms-dev",
                                    "objectives": ["fexofenadine_mpo#0", "fexofenadine_mpo#1", "fexofenadine_mpo#2"]},
}


class PymooNSGA2:
    """pymoo's NSGA-II as a seqmbo generator (token ids as integer variables)."""

    uses_reward, baseline = True, False

    def __init__(self, population: int, offspring: int, generations: int, seed_top: int) -> None:
        self.population, self.offspring, self.generations, self.seed_top = population, offspring, generations, seed_top

    def propose(self, reward, n, dataset, rng):
        from pymoo.algorithms.moo.nsga2 import NSGA2
        from pymoo.core.problem import Problem
        from pymoo.operators.crossover.sbx import SBX
        from pymoo.operators.mutation.pm import PM
        from pymoo.operators.repair.rounding import RoundingRepair
        from pymoo.optimize import minimize

        from seqmbo.pareto import nsga_order
        from seqmbo.proxies.multi import reward_vector

        space = dataset.space
        pad = space.vocab_size  # the variable value meaning "no token here"
        seeds = [dataset.designs[i] for i in nsga_order(dataset.Y if dataset.Y is not None else dataset.y[:, None],
                                                         limit=self.seed_top)[: self.seed_top]]
        X0 = space.encode(seeds)
        X0 = np.where(X0 < 0, pad, X0)
        width = X0.shape[1]
        m = getattr(reward, "n_objectives", 1)
        seen: dict[str, np.ndarray] = {}

        def decode(X):
            rows = np.asarray(np.rint(X), dtype=np.int64)
            packed = np.full_like(rows, -1)
            for i, r in enumerate(rows):
                t = r[r < pad]
                packed[i, : len(t)] = t
            return space.decode(packed)

        class Task(Problem):
            def __init__(self):
                super().__init__(n_var=width, n_obj=m, xl=0, xu=pad, vtype=int)

            def _evaluate(self, X, out, *args, **kwargs):
                designs = decode(X)
                V = reward_vector(reward, designs)
                seen.update(zip(designs, V))
                out["F"] = -np.nan_to_num(V, neginf=-1e6)

        algo = NSGA2(pop_size=self.population, n_offsprings=self.offspring, sampling=X0[: self.population],
                     crossover=SBX(prob=0.9, eta=15, vtype=float, repair=RoundingRepair()),
                     mutation=PM(eta=20, vtype=float, repair=RoundingRepair()), eliminate_duplicates=True)
        minimize(Task(), algo, ("n_gen", self.generations + 1), seed=int(rng.integers(2**31 - 1)), verbose=False)
        offline = set(dataset.designs)
        return [d for d, v in seen.items() if d not in offline and np.isfinite(v).all()]


def ensure_pymoo(peer_dir: Path) -> None:
    """pymoo importable from ``peer_dir`` (installed there with pip on first use)."""
    if not (peer_dir / "pymoo").is_dir():
        pkgs = ["pymoo", "moocore", "autograd", "alive-progress", "about-time", "grapheme", "dill", "deprecated",
                "wrapt", "cffi", "pycparser"]
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(peer_dir), *pkgs],
                       check=True)
    sys.path.insert(0, str(peer_dir))


KEYS = ("hv_p100", "hv_p75", "hv_p50", "pareto_size", "dataset_hv", "time_total_s")


class CountingReward:
    """The run's reward, recording for each call the designs scored and how many were off the support."""

    def __init__(self, reward) -> None:
        self.reward, self.calls = reward, []  # (off the support, scored) a call

    def __getattr__(self, name):
        return getattr(self.reward, name)

    def __call__(self, designs):
        return self._count(self.reward(designs))

    def vector(self, designs):
        return self._count(self.reward.vector(designs))

    def _count(self, values):
        v = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
        self.calls.append((int((~np.isfinite(v).all(axis=1)).sum()), v.shape[0]))
        return values

    @property
    def shares(self) -> list[float]:
        """The share off the support of each call."""
        return [off / n if n else 0.0 for off, n in self.calls]

    @property
    def off_support(self) -> float | None:
        """The share off the support of all designs scored (``None``: none scored)."""
        total = sum(n for _, n in self.calls)
        return round(sum(off for off, _ in self.calls) / total, 4) if total else None


class Counted:
    """A generator whose proposals are made with a :class:`CountingReward` (the run sees the same values)."""

    def __init__(self, inner) -> None:
        self.inner, self.counting = inner, None

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def propose(self, reward, n, dataset, rng):
        self.counting = CountingReward(reward)
        return self.inner.propose(self.counting, n, dataset, rng)


def run_cell(task: str, generator: str, seed: int, members: int, extra: dict | None = None) -> dict:
    """One ``seqmbo.design`` run; ``generator`` may be ``NAME:key=value;key=value`` (extra settings)."""
    import seqmbo
    from seqmbo.generators import make_generator

    settings = {"proxy_options": {"members": members}, "calibration": False, **(extra or {})}
    name, _, spec = generator.partition(":")
    if name == "pymoo-nsga2":
        gen = Counted(PymooNSGA2(**EVOLUTION))
    else:
        options = {**OPTIONS.get(name, {}), **_settings(spec)} if name != "random" else {}
        gen = Counted(make_generator(name, device=(extra or {}).get("device", "auto"), **options))
    run = seqmbo.design(DEV_TASKS.get(task, task), generator=gen, seed=seed, **settings)
    return {**{k: run.metrics.get(k) for k in KEYS}, "off_support": gen.counting.off_support}


def _settings(spec: str) -> dict:
    """``"a=1;b=sum"`` -> ``{"a": 1, "b": "sum"}`` (numbers parsed as JSON)."""
    out = {}
    for item in filter(None, spec.split(";")):
        key, _, value = item.partition("=")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def chemist(n_rows: int, out: str) -> None:
    """The chemist's run: write the table, run ``seqmbo propose`` through the CLI, time it."""
    import pandas as pd
    from rdkit import Chem
    from rdkit.Chem import QED, Crippen

    from seqmbo.cli import main as cli
    from seqmbo.tasks.molecule_tasks import nci_path, read_smiles_file

    rows = []
    for smi in read_smiles_file(nci_path())[:n_rows]:
        mol = Chem.MolFromSmiles(smi)
        if mol is not None:
            rows.append((smi, QED.qed(mol), Crippen.MolLogP(mol)))
    table = Path(out) / "assays.csv"
    table.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["smiles", "QED", "logP"]).to_csv(table, index=False)
    t = time.perf_counter()
    rc = cli(["propose", str(table), "--y", "QED", "--y", "logP:min", "--constraint", "sa<=4", "--out",
              str(Path(out) / "run"), "--force", "--quiet"])
    wall = time.perf_counter() - t
    m = json.loads((Path(out) / "run" / "metrics.json").read_text())
    print(json.dumps({"rows": len(rows), "exit": rc, "wall_s": round(wall, 1), "n_candidates": m["n_candidates"],
                      "pareto_size_predicted": m["pareto_size_predicted"],
                      "gate_removed_constraints": m.get("gate_removed_constraints")}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default="regex,zinc-logp-qed,zinc-osimertinib-terms",
                    help=f"task names, or the development instances {', '.join(DEV_TASKS)}")
    ap.add_argument("--generators", default=",".join(GENERATORS),
                    help="comma-separated; NAME:key=value;key=value adds settings (e.g. gflownet:scalarization=chebyshev)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    ap.add_argument("--members", type=int, default=3, help="ensemble members of each objective's proxy")
    ap.add_argument("--peer-dir", default=str(Path(tempfile.gettempdir()) / "seqmbo-peer-pymoo"))
    ap.add_argument("--out", default=None, help="a JSON lines file of every run (appended)")
    ap.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                    help="a run setting for every cell (e.g. trust_region=0.4); repeatable")
    ap.add_argument("--chemist", type=int, default=None, metavar="N", help="time a propose run on N molecules instead")
    args = ap.parse_args()
    if args.chemist:
        return chemist(args.chemist, args.out or "chemist-run")
    gens = args.generators.split(",")
    if "pymoo-nsga2" in gens:
        ensure_pymoo(Path(args.peer_dir))
    extra = _settings(";".join(args.settings))
    rows = []
    for task in args.tasks.split(","):
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for gen in gens:
                t = time.perf_counter()
                row = {"task": task, "generator": gen, "seed": seed, **extra,
                       **run_cell(task, gen, seed, args.members, extra)}
                rows.append(row)
                print(json.dumps(row), f"# {time.perf_counter() - t:.0f} s", flush=True)
                if args.out:
                    with open(args.out, "a") as fh:
                        fh.write(json.dumps(row) + "\n")
    table(rows)


def table(rows: list[dict]) -> None:
    """Mean ± std over seeds per task and generator."""
    print("\n| task | generator | seeds | hv_p100 | hv_p50 | pareto_size | dataset_hv | off support | wall s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for task in dict.fromkeys(r["task"] for r in rows):
        for gen in dict.fromkeys(r["generator"] for r in rows):
            cell = [r for r in rows if r["task"] == task and r["generator"] == gen]
            if not cell:
                continue

            def f(k, cell=cell, digits=3):
                v = np.array([r[k] if r.get(k) is not None else np.nan for r in cell], dtype=float)
                return f"{v.mean():.{digits}f} ± {v.std():.{digits}f}"

            print(f"| {task} | {gen} | {len(cell)} | {f('hv_p100')} | {f('hv_p50')} | {f('pareto_size')} | "
                  f"{cell[0]['dataset_hv']:.3f} | {f('off_support', digits=2)} | {f('time_total_s', digits=0)} |")


if __name__ == "__main__":
    main()
