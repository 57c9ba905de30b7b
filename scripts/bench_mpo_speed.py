"""Single-objective scoring speed of the seven GuacaMol MPOs: seqmbo against guacamol 0.5.5, side by side.

Usage:
    python scripts/bench_mpo_speed.py --n 2000 --repeats 3

What a PMO loop calls: one objective on a batch of new molecules. Both sides score the same
``--n`` random ZINC250k SMILES (a fresh scoring object each timing, so no cache helps), on one
process, alternating seqmbo / guacamol ``--repeats`` times; the best time of each is kept and
the ratio printed per objective. guacamol runs in a throw-away virtual environment built under
the system's temporary folder (``guacamol==0.5.5 --no-deps``, since its fcd dependency pulls
tensorflow, plus the RDKit of this environment, ``numpy<2``, ``scipy<1.12`` (guacamol imports
``scipy.histogram``), joblib and tqdm); it is never a project dependency. The scores of both
sides are compared too (max absolute difference).
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

MPOS = ("osimertinib_mpo", "fexofenadine_mpo", "ranolazine_mpo", "perindopril_mpo", "amlodipine_mpo",
        "sitagliptin_mpo", "zaleplon_mpo")
GUACAMOL_NAMES = {"osimertinib_mpo": "hard_osimertinib", "fexofenadine_mpo": "hard_fexofenadine",
                  "ranolazine_mpo": "ranolazine_mpo", "perindopril_mpo": "perindopril_rings",
                  "amlodipine_mpo": "amlodipine_rings", "sitagliptin_mpo": "sitagliptin_replacement",
                  "zaleplon_mpo": "zaleplon_with_other_formula"}  # guacamol.standard_benchmarks' names
VENV = Path(tempfile.gettempdir()) / "seqmbo-peer-guacamol"

PEER = r'''
import json, sys, time, types
sys.modules.setdefault("fcd", types.ModuleType("fcd"))  # only the Frechet benchmark uses fcd; not installed
from guacamol import standard_benchmarks as sb

job = json.load(open(sys.argv[1]))
fn = getattr(sb, job["name"])().objective  # a fresh scoring function: nothing cached
t = time.perf_counter()
scores = fn.score_list(job["smiles"])
print(json.dumps({"seconds": time.perf_counter() - t, "scores": scores}))
'''


def build_peer_venv() -> Path | None:
    python = VENV / "bin" / "python"
    if python.exists() and subprocess.run([python, "-c", "import guacamol.score_modifier"], capture_output=True).returncode == 0:
        return python
    import rdkit

    steps = [[sys.executable, "-m", "venv", str(VENV)],
             [python, "-m", "pip", "install", "-q", f"rdkit=={rdkit.__version__}", "numpy<2", "scipy<1.12", "joblib", "tqdm"],
             [python, "-m", "pip", "install", "-q", "--no-deps", "guacamol==0.5.5"]]
    for cmd in steps:
        if subprocess.run(cmd, capture_output=True, text=True).returncode != 0:
            print(f"peer environment: {' '.join(map(str, cmd))} failed", flush=True)
            return None
    return python


def zinc_sample(n: int, seed: int = 0) -> list[str]:
    from seqmbo.data.fetch import locate
    from seqmbo.tasks.molecule_tasks import read_smiles_file

    lines = read_smiles_file(locate("zinc250k", "zinc.txt.gz"))
    pick = np.random.default_rng(seed).choice(len(lines), n, replace=False)
    return [lines[i] for i in pick]


def time_seqmbo(name: str, smiles: list[str]) -> tuple[float, np.ndarray]:
    from seqmbo.oracles.molecules import get_molecule_oracle

    oracle = get_molecule_oracle(name)  # a fresh oracle: nothing cached
    t = time.perf_counter()
    y = np.asarray(oracle(smiles), dtype=float)
    return time.perf_counter() - t, y


def time_peer(python: Path, name: str, smiles: list[str]) -> tuple[float, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "job.json").write_text(json.dumps({"name": GUACAMOL_NAMES[name], "smiles": smiles}))
        Path(tmp, "peer.py").write_text(PEER)
        proc = subprocess.run([python, Path(tmp, "peer.py"), Path(tmp, "job.json")], capture_output=True, text=True,
                              env=dict(os.environ, OMP_NUM_THREADS="1"))
    if proc.returncode != 0:
        raise SystemExit(f"guacamol failed on {name}: {proc.stderr[-2000:]}")
    out = json.loads(proc.stdout)
    return out["seconds"], np.asarray(out["scores"], dtype=float)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--objectives", default=",".join(MPOS))
    args = p.parse_args()
    python = build_peer_venv()
    if python is None:
        raise SystemExit("guacamol could not be installed; no comparison")
    smiles = zinc_sample(args.n)
    print(f"{args.n} ZINC250k molecules, one process, best of {args.repeats} alternating timings")
    print("| objective | seqmbo mol/s | guacamol 0.5.5 mol/s | speed-up | max abs score difference |")
    print("|---|---|---|---|---|")
    for name in args.objectives.split(","):
        ours, theirs = [], []
        for _ in range(args.repeats):
            t, y_ours = time_seqmbo(name, smiles)
            ours.append(t)
            t, y_theirs = time_peer(python, name, smiles)
            theirs.append(t)
        diff = float(np.nanmax(np.abs(y_ours - y_theirs)))
        print(f"| {name} | {args.n / min(ours):.0f} | {args.n / min(theirs):.0f} | {min(theirs) / min(ours):.2f}x "
              f"| {diff:.1e} |", flush=True)


if __name__ == "__main__":
    main()
