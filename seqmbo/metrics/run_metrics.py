"""The metrics of a design run (CONTRACT.md's ``metrics.json`` keys)."""

from __future__ import annotations

import resource
from collections.abc import Sequence

import numpy as np

from seqmbo.metrics.distance import mean_pairwise_distance, nearest_distance


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation; ``nan`` with fewer than 3 points or a constant side."""
    from scipy.stats import spearmanr

    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.size < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b)[0])


def score_metrics(oracle: np.ndarray, normalize, y_min: float) -> dict[str, float]:
    """Percentiles and mean of raw and normalized oracle scores; invalid (``nan``) count as ``y_min``."""
    y = np.where(np.isfinite(oracle), oracle, y_min)
    if y.size == 0:
        return {k: float("nan") for k in ("score_p100", "score_p50", "score_mean",
                                          "score_norm_p100", "score_norm_p50", "score_norm_mean")}
    z = normalize(y)
    return {
        "score_p100": float(np.max(y)),
        "score_p50": float(np.percentile(y, 50)),
        "score_mean": float(np.mean(y)),
        "score_norm_p100": float(np.max(z)),
        "score_norm_p50": float(np.percentile(z, 50)),
        "score_norm_mean": float(np.mean(z)),
    }


def proxy_metrics(proxy_mean: np.ndarray, oracle: np.ndarray) -> dict[str, float]:
    """Proxy Spearman and overestimate (mean of proxy − oracle, oracle units) over valid candidates."""
    ok = np.isfinite(oracle) & np.isfinite(proxy_mean)
    return {
        "proxy_spearman": spearman(proxy_mean[ok], oracle[ok]),
        "proxy_overestimate": float(np.mean(proxy_mean[ok] - oracle[ok])) if ok.any() else float("nan"),
    }


def library_metrics(space, candidates: Sequence[str], offline: Sequence[str], valid: np.ndarray) -> dict[str, float]:
    """Validity, uniqueness, diversity and novelty of the candidates, in the space's own distance.

    Sequences: diversity = mean pairwise Hamming (fixed length) or Levenshtein distance; novelty =
    mean distance to the nearest offline design. Molecules: diversity = IntDiv1 and novelty = mean
    Tanimoto distance to the nearest offline molecule (Morgan r=2, 1024 bits).
    """
    n = len(candidates)
    out = {
        "validity": float(np.mean(valid)) if n else float("nan"),
        "uniqueness": len(set(candidates)) / n if n else float("nan"),
    }
    if getattr(space, "kind", "") == "molecule":
        from seqmbo.metrics.mol_run import molecule_diversity_novelty

        out.update(molecule_diversity_novelty(candidates, offline, space))
        return out
    out["diversity"] = mean_pairwise_distance(candidates)
    out["novelty"] = float(np.mean(nearest_distance(candidates, offline))) if n else float("nan")
    return out
