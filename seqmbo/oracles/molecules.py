"""RDKit molecule oracles by name, and scoring many objectives over many molecules at once.

>>> from seqmbo.oracles.molecules import get_molecule_oracle, score_all
>>> get_molecule_oracle("qed")(["CCO", "not a smiles"])          # doctest: +SKIP
array([0.40680797,        nan])
>>> score_all(smiles, ["osimertinib_mpo", "deco_hop"], n_jobs=2)  # doctest: +SKIP
{'osimertinib_mpo': array([...]), 'deco_hop': array([...])}

Names (fixed by the user-facing contract): ``qed``, ``logp``, ``sa``, ``plogp``,
``plogp_unnormalized``, the 20 GuacaMol v2 goal-directed objectives and PMO's
``isomers_c7h8n2o2`` (see :mod:`seqmbo.oracles.guacamol`); beyond them, GuacaMol's isomer score
for any formula, ``isomers_<formula>`` with the formula's capitals (``isomers_C8H10NO4P``).
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from seqmbo.errors import UnknownNameError
from seqmbo.oracles.guacamol import GUACAMOL_NAMES, GUACAMOL_V2_NAMES, ISOMER_PREFIX, GuacaMolObjective
from seqmbo.oracles.molbase import MolFeaturizer, MoleculeOracle, load_sascorer
from seqmbo.oracles.rdkit_props import LogPOracle, PenalizedLogPOracle, QEDOracle, SAOracle
from seqmbo.spaces.molecule import parse_smiles

__all__ = [
    "GUACAMOL_V2_NAMES",
    "MOLECULE_ORACLES",
    "MoleculeOracle",
    "get_molecule_oracle",
    "score_all",
]

#: Single-property oracles.
PROPERTY_ORACLES: tuple[str, ...] = ("qed", "logp", "sa", "plogp", "plogp_unnormalized")

#: Every molecule oracle name, properties first, then the GuacaMol v2 suite in paper order, then
#: the GuacaMol objectives outside v2 that PMO uses.
MOLECULE_ORACLES: tuple[str, ...] = PROPERTY_ORACLES + GUACAMOL_NAMES

_NEEDS_SA = frozenset({"sa", "plogp", "plogp_unnormalized"})


def _normalize(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def get_molecule_oracle(name: str, featurizer: MolFeaturizer | None = None) -> MoleculeOracle:
    """A fresh molecule oracle by name.

    Args:
        name: an entry of :data:`MOLECULE_ORACLES` (case and ``-``/``_`` are forgiven).
        featurizer: tools to share with other oracles scored on the same molecules.

    Returns:
        The oracle.

    Raises:
        UnknownNameError: ``name`` is not a molecule oracle; the message lists the valid names.
    """
    key = _normalize(name) if isinstance(name, str) else name
    if key == "qed":
        return QEDOracle(featurizer)
    if key == "logp":
        return LogPOracle(featurizer)
    if key == "sa":
        return SAOracle(featurizer)
    if key in ("plogp", "plogp_unnormalized"):
        return PenalizedLogPOracle(normalized=key == "plogp", featurizer=featurizer)
    if key in GUACAMOL_NAMES:
        return GuacaMolObjective(key, featurizer)
    if isinstance(name, str) and key.startswith(ISOMER_PREFIX):
        try:
            return GuacaMolObjective(ISOMER_PREFIX + name.strip()[len(ISOMER_PREFIX):], featurizer)
        except ValueError as err:
            raise UnknownNameError(str(err)) from None
    raise UnknownNameError(f"unknown molecule oracle {name!r}; valid names: {', '.join(MOLECULE_ORACLES)}")


def _score_serial(smiles: Sequence[str], names: Sequence[str]) -> np.ndarray:
    """Scores ``(k, n)``: each SMILES parsed once, one shared profile per molecule."""
    featurizer = MolFeaturizer()
    oracles = [get_molecule_oracle(name, featurizer) for name in names]
    out = np.full((len(oracles), len(smiles)), np.nan)
    for j, s in enumerate(smiles):
        mol = parse_smiles(s)
        if mol is None:
            continue
        profile = featurizer.profile(mol)
        for i, oracle in enumerate(oracles):
            out[i, j] = oracle.safe_score(profile)
    return out


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def score_all(
    smiles: Sequence[str],
    names: Sequence[str] | None = None,
    n_jobs: int = 1,
    chunk_size: int | None = None,
) -> dict[str, np.ndarray]:
    """Scores many molecules under many oracles, parsing and featurizing each molecule once.

    Args:
        smiles: ``n`` SMILES strings.
        names: oracle names (default: all of :data:`MOLECULE_ORACLES`).
        n_jobs: worker processes; 1 scores in this process, ``<= 0`` uses every available CPU.
            Workers are forked where the platform allows it.
        chunk_size: molecules per task sent to a worker (default: one contiguous chunk a worker,
            so each worker builds its oracles and warms its caches once).

    Returns:
        ``{name: (n,) float64 scores}`` in the order of ``names``, ``nan`` for invalid SMILES.

    Raises:
        UnknownNameError: a name is not a molecule oracle.
    """
    if isinstance(smiles, str):
        raise TypeError("pass a sequence of SMILES strings, not one string")
    smiles = list(smiles)
    names = list(MOLECULE_ORACLES if names is None else names)
    unknown = [repr(nm) for nm in names if not isinstance(nm, str) or _normalize(nm) not in MOLECULE_ORACLES]
    if unknown:  # fail before any work
        raise UnknownNameError(
            f"unknown molecule oracle(s) {', '.join(unknown)}; valid names: {', '.join(MOLECULE_ORACLES)}"
        )
    names = [_normalize(name) for name in names]
    n = len(smiles)
    workers = _available_cpus() if n_jobs <= 0 else n_jobs
    if workers <= 1 or n < 2 or not names:
        scores = _score_serial(smiles, names)
    else:
        if _NEEDS_SA.intersection(names):
            load_sascorer()  # once in the parent, inherited by forked workers
        size = chunk_size or max(1, math.ceil(n / workers))
        chunks = [smiles[i : i + size] for i in range(0, n, size)]
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        with ProcessPoolExecutor(
            max_workers=min(workers, len(chunks)), mp_context=multiprocessing.get_context(method)
        ) as pool:
            parts = list(pool.map(_score_serial, chunks, [names] * len(chunks)))
        scores = np.concatenate(parts, axis=1)
    return {name: scores[i] for i, name in enumerate(names)}
