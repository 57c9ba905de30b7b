"""Judging a generated library: validity, uniqueness, novelty, diversity, MOSES metrics and oracle scores.

``seqmbo evaluate`` and :func:`seqmbo.evaluate` land here. A library may be molecules (SMILES)
or sequences (DNA/protein); for sequences an oracle is a built-in task's oracle (e.g. ``tfbind8``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seqmbo.errors import InvalidInputError, UnknownNameError
from seqmbo.sharding import ShardOptions, iter_designs, reference_stats

log = logging.getLogger(__name__)


def evaluate(library: str | Path | Sequence[str], reference: str | Path | Sequence[str] | None = None,
             oracle: str | Sequence[str] | None = None, kind: str | None = None,
             out: str | Path | None = None, n_jobs: int = 1, sharding: ShardOptions | None = None) -> dict[str, Any]:
    """Metrics of a library (and, with ``out``, ``metrics.json``, ``scores.csv`` and a report).

    Args:
        library: designs, or a file (CSV with a ``smiles``/``sequence`` column, .smi, SDF, FASTA, text).
        reference: designs or a file to compare against (novelty, SNN, Frag, Scaf, property distances).
        oracle: one or several oracle names (molecules: ``qed``, ``osimertinib_mpo``, ...;
            sequences: a built-in task name).
        kind: ``molecule``, ``dna`` or ``protein`` (guessed when omitted).
        out: an evaluation directory to write.
        n_jobs: worker processes for the molecule metrics.
        sharding: evaluate a molecular library shard by shard on local worker processes or Ray
            (:mod:`seqmbo.sharding`: the library and reference are streamed, the reference summary
            cached); None evaluates it in this process.

    Returns:
        The metrics (flat dict): ``n, validity, uniqueness, novelty, diversity``; for molecules also
        ``intdiv1, intdiv2, snn, frag, scaf, filters`` (None where they cannot be computed) and
        ``w1_logp, w1_sa, w1_qed, w1_mw``; ``oracle_<name>_mean`` / ``_max`` per oracle.
    """
    from seqmbo.data.libraries import guess_kind, read_library

    names = [oracle] if isinstance(oracle, str) else list(oracle or [])
    if sharding is not None:
        first = next(iter_designs(library, 5000, kind), [])
        if not first:
            raise InvalidInputError(f"{library if isinstance(library, (str, Path)) else 'the library'} is empty")
        if (kind or guess_kind(first, "", str(library) if isinstance(library, (str, Path)) else "library")) == "molecule":
            return _evaluate_sharded(library, reference, names, out, sharding)
        log.info("a sequence library is evaluated in one process")
    lib = read_library(library, kind=kind) if isinstance(library, (str, Path)) else None
    designs = lib.designs if lib else [str(d) for d in library]  # type: ignore[union-attr]
    if not designs:
        raise InvalidInputError("the library is empty")
    kind = kind or (lib.kind if lib else guess_kind(designs, "", "library"))
    if kind not in ("molecule", "dna", "protein"):
        raise InvalidInputError(f"unknown kind {kind!r}; use molecule, dna or protein")
    ref = None
    if reference is not None:
        ref = read_library(reference, kind=kind).designs if isinstance(reference, (str, Path)) else list(reference)
    if kind == "molecule":
        metrics, table = _evaluate_molecules(designs, reference, names, n_jobs)
    else:
        metrics, table = _evaluate_sequences(designs, ref, names, kind)
    metrics = {k: _plain(v) for k, v in metrics.items()}
    if not metrics.get("validity"):
        raise InvalidInputError(f"{library if lib else 'the library'}: none of the {len(designs)} designs is a valid "
                                f"{kind}{' (SMILES that RDKit parses)' if kind == 'molecule' else ''}: nothing to evaluate")
    if out is not None:
        write_evaluation(out, metrics, table, kind, ref, names)
    return metrics


def _evaluate_sharded(library, reference, names: list[str], out, sharding: ShardOptions) -> dict[str, Any]:
    from seqmbo.sharding import evaluate_molecules_sharded

    scores_tmp, created = None, out is not None and not Path(out).exists()
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        scores_tmp = Path(out) / f".scores-{os.getpid()}.csv.part"
    try:
        metrics, sample = evaluate_molecules_sharded(library, reference, names, sharding, scores_tmp)
        metrics = {k: _plain(v) for k, v in metrics.items()}
        if not metrics.get("validity"):
            raise InvalidInputError(f"{library if isinstance(library, (str, Path)) else 'the library'}: none of the "
                                    f"{metrics['n']} designs is a valid molecule (SMILES that RDKit parses)")
        if out is not None:
            ref_head = next(iter_designs(reference, 5000), None) if reference is not None else None
            write_evaluation(out, metrics, sample, "molecule", ref_head, names, scores_file=scores_tmp)
    finally:
        if scores_tmp is not None and scores_tmp.exists():
            scores_tmp.unlink()
        if created and not any(Path(out).iterdir()):
            Path(out).rmdir()  # a run that failed leaves no empty folder behind
    return metrics


def _plain(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def oracle_summary(metrics: dict, name: str, scores: np.ndarray) -> None:
    """Add ``oracle_<name>_mean`` and ``_max`` over the finite scores (None when there are none)."""
    ok = np.isfinite(scores)
    metrics[f"oracle_{name}_mean"] = float(scores[ok].mean()) if ok.any() else None
    metrics[f"oracle_{name}_max"] = float(scores[ok].max()) if ok.any() else None


def _evaluate_molecules(designs: list[str], reference, names: list[str], n_jobs: int):
    import pandas as pd

    from seqmbo.metrics.mol_chem import canonical_smiles
    from seqmbo.metrics.molecules import library_metrics
    from seqmbo.oracles.molecules import get_molecule_oracle

    from rdkit import rdBase

    oracles = {name: get_molecule_oracle(name) for name in names}  # unknown names fail before the work
    ref = None if reference is None else reference_stats(reference, ShardOptions("local", max(1, n_jobs)))
    with rdBase.BlockLogs():  # invalid SMILES are counted, not printed
        metrics: dict[str, Any] = dict(library_metrics(designs, reference=ref, train=ref, n_jobs=n_jobs))
        canon = [canonical_smiles(d) for d in designs]
        table = pd.DataFrame({"design": designs, "valid": [c is not None for c in canon], "canonical": canon})
        for name, o in oracles.items():
            table[name] = scores = oracle_column(o, canon)
            oracle_summary(metrics, name, scores)
    return metrics, table


def oracle_column(oracle, canonical: Sequence[str | None]) -> np.ndarray:
    """An oracle's scores of the valid molecules (canonical SMILES), NaN where ``canonical`` is None."""
    scores = np.full(len(canonical), np.nan)
    idx = [i for i, c in enumerate(canonical) if c is not None]
    if idx:
        scores[idx] = oracle([canonical[i] for i in idx])
    return scores


def _evaluate_sequences(designs: list[str], ref, names: list[str], kind: str):
    import pandas as pd

    from seqmbo.metrics.distance import mean_pairwise_distance, nearest_distance
    from seqmbo.spaces import dna, protein

    lengths = [len(d) for d in designs]
    space = (dna if kind == "dna" else protein)(min_length=max(1, min(lengths)), max_length=max(lengths))
    valid = space.is_valid(designs)
    good = [d for d, v in zip(designs, valid) if v]
    metrics: dict[str, Any] = {"n": len(designs), "n_valid": len(good), "validity": float(valid.mean()),
                               "uniqueness": len(set(good)) / len(good) if good else None,
                               "diversity": mean_pairwise_distance(sorted(set(good))) if good else None}
    if ref is not None and good:
        refset = set(ref)
        uniq = sorted(set(good))
        metrics["novelty"] = float(np.mean([d not in refset for d in uniq]))
        metrics["novelty_distance"] = float(nearest_distance(uniq, ref).mean())
    else:
        metrics["novelty"] = None
    for key in ("intdiv1", "intdiv2", "snn", "frag", "scaf", "filters"):
        metrics[key] = None  # molecule-only metrics
    table = pd.DataFrame({"design": designs, "valid": valid, "canonical": [d if v else "" for d, v in zip(designs, valid)]})
    for name in names:
        o = _sequence_oracle(name)
        scores = np.full(len(designs), np.nan)
        if good:
            scores[valid] = o(good)
        table[name] = scores
        oracle_summary(metrics, name, scores)
    return metrics, table


def _sequence_oracle(name: str):
    from seqmbo.tasks import builtin_names, load_task

    try:
        return load_task(name).oracle
    except UnknownNameError:
        raise UnknownNameError(
            f"unknown sequence oracle {name!r}; for sequences an oracle is a built-in task: {', '.join(builtin_names())}"
        ) from None


def write_evaluation(out: str | Path, metrics: dict, table, kind: str, ref, names: list[str],
                     scores_file: Path | None = None) -> Path:
    """Write ``metrics.json``, ``scores.csv`` and ``report.png`` (+ ``best.png`` for molecules) atomically.

    With ``scores_file`` (written already, shard by shard), that file becomes ``scores.csv`` and
    ``table`` holds only the rows the report draws.
    """
    from seqmbo.io import write_outputs
    from seqmbo.report import evaluation_report, molecule_grid

    writers = {
        "metrics.json": lambda p: p.write_text(json.dumps(metrics, indent=2) + "\n"),
        "scores.csv": (lambda p: table.to_csv(p, index=False)) if scores_file is None else
                      (lambda p: os.replace(scores_file, p)),
        "report.png": lambda p: evaluation_report(p, metrics, table, kind, ref, names),
    }
    if kind == "molecule" and table["valid"].any():
        writers["best.png"] = lambda p: molecule_grid(p, table, names)
    return write_outputs(out, writers)
