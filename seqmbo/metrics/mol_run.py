"""Library metrics of a molecule design run: internal diversity, the oracle's best and realism.

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


def realism_metrics(space, table, offline: Sequence[str], support=None) -> dict[str, float]:
    """How realistic a molecule run's candidates are; adds the columns ``passes_filters``, ``sa``
    and ``nearest_similarity`` (1 - ``nearest_distance``: Tanimoto similarity) to ``table``.

    Keys: ``filters_pass`` (fraction passing the MOSES filters), ``sa_mean`` (mean SA score),
    ``novel_elements`` (how many candidates hold an element absent from the offline data),
    ``rare_env_frac`` (fraction of candidates with a Morgan radius-0/1 atom environment absent
    from the offline data), ``oracle_top1_filtered``/``oracle_top10_filtered`` (best and mean of
    the 10 best oracle scores among filter-passing candidates, when the table has ``oracle``), and
    ``reward_rejected_<gate>``: how many distinct proposals each chemistry gate refused while the
    generator ran (``support``: the run's :class:`~seqmbo.gates.realism.CountingGates`).

    Args:
        space: the molecule space.
        table: the candidates' table (``smiles`` column, best first), changed in place.
        offline: the offline SMILES.
        support: the run's chemistry gates (their offline profile is reused), or ``None``.
    """
    from seqmbo.gates import MedChemFilters
    from seqmbo.gates.realism import ChemistryProfile, atom_environments, elements_of
    from seqmbo.oracles.molbase import sa_score

    profile = getattr(support, "profile", None) or ChemistryProfile.from_designs(offline, space=space)
    mols = [space.mol(s) for s in table[space.column]]
    ok = [m is not None and m.GetNumAtoms() > 0 for m in mols]
    table["passes_filters"] = MedChemFilters(space)(list(table[space.column]))
    table["sa"] = [sa_score(m) if good else np.nan for m, good in zip(mols, ok)]
    table["nearest_similarity"] = 1.0 - table["nearest_distance"]
    n = max(1, len(mols))
    out = {
        "filters_pass": float(table["passes_filters"].mean()),
        "sa_mean": float(np.nanmean(table["sa"])) if any(ok) else float("nan"),
        "novel_elements": int(sum(good and not elements_of(m) <= profile.elements | {"H"} for m, good in zip(mols, ok))),
        "rare_env_frac": sum(good and not atom_environments(m) <= profile.environments for m, good in zip(mols, ok)) / n,
    }
    if "oracle" in table:
        top = oracle_top_metrics(table["oracle"].to_numpy()[table["passes_filters"].to_numpy()])
        out.update(oracle_top1_filtered=top["oracle_top1"], oracle_top10_filtered=top["oracle_top10_mean"])
    out.update({f"reward_rejected_{k}": v for k, v in getattr(support, "total_removed", {}).items()})
    return out
