"""Throughput of the MOSES-style library metrics at ZINC250k scale.

Generated set (``--generated``):

* ``mutate`` (default): ``--n-generated`` random ZINC250k molecules, each changed by one random
  RDKit edit (an atom's element among C/N/O/S, or an extra methyl; up to three attempts until
  one sanitizes, else an unparseable string, so validity is exercised too), scored against the
  full ZINC250k reference (249,455 molecules).
* ``holdout``: ``--n-generated`` random ZINC250k molecules held out; the reference is the rest.

The reference doubles as the training set for novelty. Prints the wall and CPU time of each part, the
load average (the machine may be shared), the peak resident memory of this process and of its
worker processes, then the metrics.

Example::

    python scripts/bench_mol_metrics.py --n-generated 100000 --data-dir $SEQMBO_DATA_DIR --n-jobs 2
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import tarfile
import time
from pathlib import Path

import numpy as np


def read_zinc(data_dir: Path) -> list[str]:
    """The ZINC250k SMILES (the .gz file is a gzipped TAR holding ``zinc.txt``)."""
    path = data_dir / "zinc250k" / "zinc.txt.gz"
    if not path.is_file():
        sys.exit(f"error: {path} not found (expected the zinc250k mirror under --data-dir)")
    with tarfile.open(path, "r:gz") as tf:
        member = tf.getmember("zinc.txt")
        fh = tf.extractfile(member)
        assert fh is not None
        text = fh.read().decode("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def mutate(smiles: list[str], rng: np.random.Generator, tries: int = 3) -> list[str]:
    """One random edit per molecule (up to ``tries`` attempts); if none sanitizes, an invalid string."""
    from rdkit import Chem, rdBase

    out = []
    elements = (6, 7, 8, 16)
    with rdBase.BlockLogs():
        for smi in smiles:
            base = Chem.MolFromSmiles(smi)
            result = smi + "("  # unbalanced parenthesis: invalid on purpose
            for _ in range(tries):
                mol = Chem.RWMol(base)
                atom = mol.GetAtomWithIdx(int(rng.integers(mol.GetNumAtoms())))
                if rng.random() < 0.5:
                    atom.SetAtomicNum(int(elements[rng.integers(len(elements))]))
                    atom.SetNoImplicit(False)
                    atom.SetNumExplicitHs(0)
                else:
                    new = mol.AddAtom(Chem.Atom(6))
                    mol.AddBond(atom.GetIdx(), new, Chem.BondType.SINGLE)
                try:
                    Chem.SanitizeMol(mol)
                except Exception:  # noqa: BLE001 - any sanitization failure
                    continue
                result = Chem.MolToSmiles(mol)
                break
            out.append(result)
    return out


class ResourceMonitor:
    """Samples this process and its descendants (worker processes) in a background thread.

    Worker processes are started through a fork server, so they are not direct children and
    ``RUSAGE_CHILDREN`` does not see them; psutil (when installed) does.
    """

    def __init__(self, interval: float = 0.25) -> None:
        import threading

        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil is optional
            psutil = None
        self._psutil = psutil
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak_worker_rss_mb = 0.0
        self.peak_total_rss_mb = 0.0
        self._worker_cpu: dict[int, float] = {}

    def _run(self) -> None:
        me = self._psutil.Process()
        while not self._stop.is_set():
            try:
                total = me.memory_info().rss
                for child in me.children(recursive=True):
                    try:
                        rss = child.memory_info().rss
                        cpu = child.cpu_times()
                    except self._psutil.Error:
                        continue
                    total += rss
                    self.peak_worker_rss_mb = max(self.peak_worker_rss_mb, rss / 2**20)
                    self._worker_cpu[child.pid] = cpu.user + cpu.system
                self.peak_total_rss_mb = max(self.peak_total_rss_mb, total / 2**20)
            except self._psutil.Error:
                pass
            self._stop.wait(self._interval)

    def __enter__(self) -> "ResourceMonitor":
        if self._psutil is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._psutil is not None:
            self._thread.join()

    def worker_cpu_s(self) -> float:
        """CPU seconds used by worker processes so far (sampled; may miss their last instants)."""
        return sum(self._worker_cpu.values())


def own_peak_rss_mb() -> float:
    """Peak RSS of this process in MB (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def own_cpu_s() -> float:
    """CPU seconds (all threads) used by this process."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main(argv: list[str] | None = None) -> int:
    from seqmbo.metrics.molecules import ReferenceStats, library_metrics

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n-generated", type=int, default=100_000)
    p.add_argument("--data-dir", type=Path, default=Path(os.environ.get("SEQMBO_DATA_DIR", "data")))
    p.add_argument("--generated", choices=("mutate", "holdout"), default="mutate")
    p.add_argument("--n-reference", type=int, default=None,
                   help="use only this many reference molecules (quick runs); default all")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--chunk-size", type=int, default=1000)
    p.add_argument("--max-pairs", type=int, default=100_000_000)
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ref-cache", type=Path, default=None,
                   help="load the ReferenceStats from this .npz if present, else build and save it")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    t0 = time.perf_counter()
    zinc = read_zinc(args.data_dir)
    rng = np.random.default_rng(args.seed)
    perm = rng.permutation(len(zinc))
    picked = [zinc[i] for i in perm[: args.n_generated]]
    if args.generated == "holdout":
        generated = picked
        reference = [zinc[i] for i in perm[args.n_generated :]]
    else:
        generated = mutate(picked, rng)
        reference = zinc
    if args.n_reference is not None:
        reference = reference[: args.n_reference]
    t_setup = time.perf_counter() - t0
    print(f"setup: {len(generated)} generated ({args.generated}), {len(reference)} reference, "
          f"{t_setup:.1f}s (not part of the metrics)")

    monitor = ResourceMonitor()
    with monitor:
        load0 = os.getloadavg()[0]
        t0, c0, w0 = time.perf_counter(), own_cpu_s(), monitor.worker_cpu_s()
        if args.ref_cache is not None and args.ref_cache.is_file():
            ref = ReferenceStats.load(args.ref_cache)
            how = f"loaded from {args.ref_cache}"
        else:
            ref = ReferenceStats.from_smiles(reference, n_jobs=args.n_jobs, chunk_size=args.chunk_size)
            how = "built"
            if args.ref_cache is not None:
                ref.save(args.ref_cache)
        t_ref = time.perf_counter() - t0
        cpu_ref = own_cpu_s() - c0 + monitor.worker_cpu_s() - w0
        print(f"reference stats ({how}): {t_ref:.1f}s wall, {cpu_ref:.1f}s CPU (all processes), "
              f"{ref.n_valid} molecules, {len(ref.fingerprints)} distinct fingerprints; "
              f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f}")

        timings: dict[str, float] = {}
        load0 = os.getloadavg()[0]
        t0, c0, w0 = time.perf_counter(), own_cpu_s(), monitor.worker_cpu_s()
        metrics = library_metrics(
            generated, ref, ref, k=[1000, 10000], n_jobs=args.n_jobs, max_pairs=args.max_pairs,
            rng_seed=args.seed, chunk_size=args.chunk_size, device=args.device, timings=timings,
        )
        t_lib = time.perf_counter() - t0
        cpu_lib = own_cpu_s() - c0 + monitor.worker_cpu_s() - w0
    print(f"library_metrics: {t_lib:.1f}s wall, {cpu_lib:.1f}s CPU (all processes); "
          f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for key in ("featurize", "intdiv", "snn", "counts_and_properties"):
        print(f"  {key:24s} {timings[key]:8.1f}s wall")
    own = own_peak_rss_mb()
    print(f"peak RSS: main process {own:.0f} MB; largest worker {monitor.peak_worker_rss_mb:.0f} MB; "
          f"all processes together {monitor.peak_total_rss_mb:.0f} MB (sampled)")
    print(json.dumps(metrics, indent=1))
    if args.json is not None:
        args.json.write_text(json.dumps({
            "n_generated": len(generated), "n_reference": len(reference), "generated": args.generated,
            "n_jobs": args.n_jobs, "reference_seconds": t_ref, "reference_cpu_seconds": cpu_ref,
            "reference_how": how, "library_seconds": t_lib, "library_cpu_seconds": cpu_lib,
            "timings": timings, "peak_rss_mb": own, "peak_worker_rss_mb": monitor.peak_worker_rss_mb,
            "peak_total_rss_mb": monitor.peak_total_rss_mb, "metrics": metrics,
        }, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
