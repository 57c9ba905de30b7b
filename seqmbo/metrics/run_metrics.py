"""The metrics of a design run (CONTRACT.md's ``metrics.json`` keys)."""

from __future__ import annotations

import resource
from collections.abc import Sequence

import numpy as np

from seqmbo.metrics.distance import mean_pairwise_distance



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


def library_metrics(space, candidates: Sequence[str], offline: Sequence[str], valid: np.ndarray,
                    nearest: np.ndarray | None = None) -> dict[str, float]:
    """Validity, uniqueness, novelty and diversity of the candidates; one meaning for every kind of design.

    ``novelty`` is the fraction of candidates not in the offline set (MOSES; in a double-stranded
    space a design whose reverse complement is on file is not novel); ``novelty_distance`` the
    mean distance from each candidate to its nearest offline design and ``diversity`` the mean
    pairwise distance among candidates, both in the space's distance (Hamming/edit for sequences,
    Tanimoto distance on Morgan fingerprints for molecules). Molecules add MOSES ``intdiv1`` and
    ``intdiv2``. ``nearest`` ``(n,)``: each candidate's distance to its nearest offline design,
    when the caller has it already (else computed here).
    """
    from seqmbo.gates import Novel

    candidates, n = list(candidates), len(candidates)
    nan = float("nan")
    if nearest is None and n:
        nearest = space.nearest_distance(candidates, offline)
    out = {
        "validity": float(np.mean(valid)) if n else nan,
        "uniqueness": len(set(candidates)) / n if n else nan,
        "novelty": float(np.mean(Novel(1, space)(candidates, list(offline)))) if n else nan,
        "novelty_distance": float(np.mean(nearest)) if n else nan,
        "diversity": mean_pairwise_distance(candidates, space),
    }
    if space.kind == "molecule":
        from seqmbo.metrics.mol_run import internal_diversities

        out.update(internal_diversities(candidates, space))
    return out

