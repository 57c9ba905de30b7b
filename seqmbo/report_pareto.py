"""The report of a run with several objectives: the candidates' front against the offline front
(a 2-D scatter; parallel coordinates above two objectives) and the run's metrics."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seqmbo.pareto import pareto_mask


def objective_values(result, task) -> tuple[np.ndarray, np.ndarray, list[str], str]:
    """Offline and candidate objective values in the user's units ``(N, m)``, ``(n, m)``, the
    objective names and what the candidates' values are (oracle, or the proxies' means)."""
    cands = result.candidates
    names = [o.name for o in task.objectives]
    signs = np.array([o.sign for o in task.objectives])
    offline = task.dataset.Y[:, : len(names)] * signs
    source = "oracle" if all(f"oracle_{n}" in cands for n in names) else "mean"
    cols = [f"oracle_{n}" for n in names] if source == "oracle" else [f"{n}_mean" for n in names]
    return offline, cands[cols].to_numpy(dtype=float), names, source


def pareto_report(path: Path, result, task) -> None:
    """One PNG: the fronts (scatter or parallel coordinates) and the multi-objective metrics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from seqmbo.report import _metrics_panel

    offline, cand, names, source = objective_values(result, task)
    signs = np.array([o.sign for o in task.objectives])
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [1.6, 1]})
    ax = axes[0]
    off_front = pareto_mask(offline * signs)
    ok = np.isfinite(cand).all(axis=1)
    cand_front = np.zeros(len(cand), dtype=bool)
    cand_front[ok] = pareto_mask(cand[ok] * signs)
    label = "true objectives" if source == "oracle" else "predicted means"
    if len(names) == 2:
        ax.scatter(offline[:, 0], offline[:, 1], s=4, c="0.8", label=f"offline (n={len(offline)})")
        ax.scatter(offline[off_front, 0], offline[off_front, 1], s=18, c="0.3", marker="s", label="offline front")
        ax.scatter(cand[ok, 0], cand[ok, 1], s=14, c="tab:blue", alpha=0.6, label=f"candidates ({label})")
        ax.scatter(cand[cand_front, 0], cand[cand_front, 1], s=30, c="tab:red", label="candidates' front")
        ax.set_xlabel(f"{names[0]} ({task.objectives[0].direction})")
        ax.set_ylabel(f"{names[1]} ({task.objectives[1].direction})")
    else:
        lo = np.nanmin(np.vstack([offline, cand[ok]]), axis=0)
        hi = np.nanmax(np.vstack([offline, cand[ok]]), axis=0)
        span = np.where(hi > lo, hi - lo, 1.0)
        x = np.arange(len(names))
        for rows, color, width in ((offline[off_front], "0.4", 1.0), (cand[cand_front], "tab:red", 1.2)):
            for r in rows:
                ax.plot(x, (r - lo) / span, color=color, lw=width, alpha=0.5)
        ax.plot([], [], color="0.4", label="offline front")
        ax.plot([], [], color="tab:red", label=f"candidates' front ({label})")
        ax.set_xticks(x, [f"{n} ({o.direction})" for n, o in zip(names, task.objectives)])
        ax.set_ylabel("min-max scaled over offline and candidates")
    m = result.metrics
    ax.set_title(f"{m['task']}: {m['generator']} (seed {m['seed']})")
    ax.legend(fontsize=8)
    _metrics_panel(axes[1], m, ["n_candidates", "n_objectives", "hv_p100", "hv_p75", "hv_p50", "dataset_hv",
                                "pareto_size", "pareto_size_predicted", "pareto_beyond_offline", "feasible_prob_mean",
                                "diversity", "novelty", "validity", "oracle_calls_design", "time_total_s"])
    fig.tight_layout()
    fig.savefig(path, dpi=90, format="png")
    plt.close(fig)
