"""Reports a person can look at (PNG figures drawn with matplotlib)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def design_report(path: Path, result, task) -> None:
    """A one-page PNG: score distributions (offline vs candidates), proxy vs oracle, and key metrics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m, cands = result.metrics, result.candidates
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    offline = task.normalize(task.dataset.y)
    oracle = cands["oracle"].to_numpy(dtype=float)
    ok = np.isfinite(oracle)
    cand = task.normalize(oracle[ok])
    bins = np.linspace(min(offline.min(), cand.min(initial=1.0)), max(1.0, cand.max(initial=0.0)), 40)
    ax = axes[0]
    ax.hist(offline, bins=bins, density=True, alpha=0.5, label=f"offline data (n={len(offline)})")
    ax.hist(cand, bins=bins, density=True, alpha=0.6, label=f"candidates (n={ok.sum()})")
    ax.axvline(task.dataset_best_norm, color="k", ls="--", lw=1, label="offline best")
    ax.set_xlabel("normalized oracle score")
    ax.set_ylabel("density")
    ax.set_title(f"{m['task']}: {m['generator']} (seed {m['seed']})")
    ax.legend(fontsize=8)
    ax = axes[1]
    pm = cands["proxy_mean"].to_numpy(dtype=float)
    ax.scatter(oracle[ok], pm[ok], s=10, alpha=0.7)
    if ok.any():
        lo, hi = float(np.nanmin([oracle[ok].min(), pm[ok].min()])), float(np.nanmax([oracle[ok].max(), pm[ok].max()]))
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
    ax.set_xlabel("oracle score")
    ax.set_ylabel("proxy mean")
    ax.set_title(f"proxy vs oracle (Spearman {_fmt(m.get('proxy_spearman'))}, "
                 f"overestimate {_fmt(m.get('proxy_overestimate'))})", fontsize=9)
    ax = axes[2]
    ax.axis("off")
    keys = ["n_candidates", "score_norm_p100", "score_norm_p50", "score_norm_mean", "dataset_best_norm",
            "diversity", "novelty", "validity", "uniqueness", "proxy_spearman", "proxy_overestimate",
            "oracle_calls_design", "time_total_s", "peak_rss_mb"]
    lines = [f"{k:22s} {_fmt(m.get(k))}" for k in keys if k in m]
    ax.text(0.0, 1.0, "\n".join(lines), va="top", family="monospace", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90, format="png")
    plt.close(fig)


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)
