"""Library metrics of a molecule design run: diversity and novelty of the candidates.

Conventions are MOSES's (see :mod:`seqmbo.metrics.molecules`): Morgan radius-2, 1024-bit
fingerprints and Tanimoto similarity.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FP_RADIUS = 2
FP_BITS = 1024


def _fingerprints(smiles: Sequence[str]) -> list:
    from rdkit import Chem, rdBase
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=FP_RADIUS, fpSize=FP_BITS)
    out = []
    with rdBase.BlockLogs():
        for s in smiles:
            mol = Chem.MolFromSmiles(s) if isinstance(s, str) else None
            if mol is not None and mol.GetNumAtoms():
                out.append(gen.GetFingerprint(mol))
    return out


def fingerprint_bits(smiles: Sequence[str]) -> np.ndarray:
    """Morgan fingerprints ``(n, FP_BITS)`` bool; an unparsable design gets an all-zero row."""
    from rdkit import Chem, rdBase
    from rdkit.Chem import rdFingerprintGenerator

    gen = rdFingerprintGenerator.GetMorganGenerator(radius=FP_RADIUS, fpSize=FP_BITS)
    out = np.zeros((len(smiles), FP_BITS), dtype=bool)
    with rdBase.BlockLogs():
        for i, s in enumerate(smiles):
            mol = Chem.MolFromSmiles(s) if isinstance(s, str) else None
            if mol is not None and mol.GetNumAtoms():
                out[i] = gen.GetFingerprintAsNumPy(mol).astype(bool)
    return out


def tanimoto_distance_matrix(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    """``1 - Tanimoto`` between Morgan fingerprints ``(len(a), len(b))``; empty fingerprints are at 1."""
    fa = fingerprint_bits(list(a)).astype(np.float32)
    fb = fingerprint_bits(list(b)).astype(np.float32)
    common = fa @ fb.T
    union = fa.sum(1)[:, None] + fb.sum(1)[None, :] - common
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = np.where(union > 0, common / np.maximum(union, 1), 0.0)
    return (1.0 - sim).astype(np.float64)


def nearest_tanimoto_distance(candidates: Sequence[str], reference: Sequence[str]) -> np.ndarray:
    """``1 - max_j Tanimoto(c, r_j)`` for each valid candidate ``c`` ``(n_valid,)``."""
    from rdkit import DataStructs

    ref = _fingerprints(reference)
    cand = _fingerprints(candidates)
    if not ref or not cand:
        return np.zeros(0)
    return np.array([1.0 - max(DataStructs.BulkTanimotoSimilarity(fp, ref)) for fp in cand], dtype=np.float64)


def internal_diversities(candidates: Sequence[str]) -> dict[str, float]:
    """MOSES ``intdiv1`` and ``intdiv2`` of the valid candidates (``nan`` without any)."""
    from seqmbo.metrics.mol_similarity import internal_diversity

    bits = fingerprint_bits(list(candidates))
    bits = bits[bits.any(1)]
    one, two = internal_diversity(np.packbits(bits, axis=1)).values
    return {"intdiv1": one, "intdiv2": two}


def oracle_top_metrics(oracle: np.ndarray) -> dict[str, float]:
    """``oracle_top1`` and ``oracle_top10_mean``: the best and the mean of the 10 best raw oracle
    scores of the valid candidates (``nan`` without any)."""
    y = np.sort(np.asarray(oracle, dtype=np.float64)[np.isfinite(oracle)])[::-1]
    return {
        "oracle_top1": float(y[0]) if y.size else float("nan"),
        "oracle_top10_mean": float(y[:10].mean()) if y.size else float("nan"),
    }


def filter_pass_mask(smiles: Sequence[str]) -> np.ndarray:
    """Which molecules pass the MOSES medicinal-chemistry filters (PAINS, charges, rings) ``(n,)`` bool."""
    from rdkit import Chem, rdBase

    from seqmbo.metrics.mol_chem import passes_moses_filters

    with rdBase.BlockLogs():
        mols = [Chem.MolFromSmiles(s) if isinstance(s, str) else None for s in smiles]
    return np.array([m is not None and bool(passes_moses_filters(m)) for m in mols], dtype=bool)
