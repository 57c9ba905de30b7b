"""Library metrics of a molecule design run: internal diversity and the oracle's best.

Conventions are MOSES's (see :mod:`seqmbo.metrics.molecules`): Morgan radius-2, 1024-bit
fingerprints and Tanimoto similarity; distances are the molecule space's own
(:meth:`~seqmbo.spaces.molecule.MoleculeSpace.distance`, ``nearest_distance``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def internal_diversities(candidates: Sequence[str], space) -> dict[str, float]:
    """MOSES ``intdiv1`` and ``intdiv2`` of the valid candidates (``nan`` without any), from the
    space's cached fingerprints."""
    from seqmbo.metrics.mol_similarity import internal_diversity

    packed = space.fingerprints(list(candidates))
    one, two = internal_diversity(packed[packed.any(1)]).values
    return {"intdiv1": one, "intdiv2": two}


def oracle_top_metrics(oracle: np.ndarray) -> dict[str, float]:
    """``oracle_top1`` and ``oracle_top10_mean``: the best and the mean of the 10 best raw oracle
    scores of the valid candidates (``nan`` without any)."""
    y = np.sort(np.asarray(oracle, dtype=np.float64)[np.isfinite(oracle)])[::-1]
    return {
        "oracle_top1": float(y[0]) if y.size else float("nan"),
        "oracle_top10_mean": float(y[:10].mean()) if y.size else float("nan"),
    }
