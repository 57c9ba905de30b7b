"""Library metrics of a molecule design run: diversity and novelty of the candidates.

Conventions are MOSES's (see :mod:`seqmbo.metrics.molecules`): Morgan radius-2, 1024-bit
fingerprints and Tanimoto similarity; distances are the molecule space's own
(:meth:`~seqmbo.spaces.molecule.MoleculeSpace.nearest_distance`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def molecule_diversity_novelty(candidates: Sequence[str], offline: Sequence[str], space=None) -> dict[str, float]:
    """Diversity and novelty of molecule candidates against the offline set.

    Keys: ``diversity`` and ``intdiv1`` (MOSES IntDiv1 of the valid candidates), ``intdiv2``,
    ``novelty`` (MOSES novelty: fraction of the distinct valid canonical candidates not in the
    offline set) and ``novelty_tanimoto`` (mean Tanimoto distance of a valid candidate to its
    nearest offline molecule); ``nan`` where there is no valid candidate.

    Args:
        candidates: the candidates' SMILES ``(n,)``.
        offline: the offline designs (canonical SMILES).
        space: the run's :class:`~seqmbo.spaces.molecule.MoleculeSpace`, whose cached molecules
            are reused (a bare space when ``None``).
    """
    from seqmbo.metrics.molecules import library_metrics
    from seqmbo.spaces.molecule import MoleculeSpace

    space = space if space is not None else MoleculeSpace(("[C]",))
    nan = float("nan")
    candidates, offline = list(candidates), list(offline)
    lib = library_metrics(candidates, train=set(offline), parse=space.mol) if candidates else {}
    valid = [c for c in candidates if isinstance(c, str) and c and space.mol(c) is not None]
    near = space.nearest_distance(valid, offline) if valid and offline else np.zeros(0)

    def num(key: str) -> float:
        v = lib.get(key)
        return nan if v is None else float(v)

    return {
        "diversity": num("intdiv1"),
        "intdiv1": num("intdiv1"),
        "intdiv2": num("intdiv2"),
        "novelty": num("novelty"),
        "novelty_tanimoto": float(near.mean()) if near.size else nan,
    }


def oracle_top_metrics(oracle: np.ndarray) -> dict[str, float]:
    """``oracle_top1`` and ``oracle_top10_mean``: the best and the mean of the 10 best raw oracle
    scores of the valid candidates (``nan`` without any)."""
    y = np.sort(np.asarray(oracle, dtype=np.float64)[np.isfinite(oracle)])[::-1]
    return {
        "oracle_top1": float(y[0]) if y.size else float("nan"),
        "oracle_top10_mean": float(y[:10].mean()) if y.size else float("nan"),
    }
