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
    if getattr(task, "objectives", None) and len(task.objectives) > 1:
        from seqmbo.report_pareto import pareto_report

        return pareto_report(path, result, task)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    if not task.has_oracle:
        _prediction_panels(axes, result, task)
        _metrics_panel(axes[2], m, ["n_candidates", "n_offline", "diversity", "novelty", "novelty_distance",
                                    "validity", "uniqueness", "proxy_heldout_spearman", "proxy_heldout_coverage90",
                                    "proxy_ood_spearman", "filters_pass", "time_total_s", "peak_rss_mb"])
        fig.tight_layout()
        fig.savefig(path, dpi=90, format="png")
        plt.close(fig)
        return
    offline = task.normalize(task.dataset.y)
    oracle = cands["oracle"].to_numpy(dtype=float)
    ok = np.isfinite(oracle)
    cand = task.normalize(oracle[ok])
    bins = np.linspace(min(offline.min(), cand.min(initial=1.0)), max(1.0, cand.max(initial=0.0)), 40)
    ax = axes[0]
    ax.hist(offline, bins=bins, density=True, alpha=0.5, label=f"offline data (n={len(offline)})")
    if cand.size:
        ax.hist(cand, bins=bins, density=True, alpha=0.6, label=f"valid candidates (n={cand.size})")
    else:
        ax.text(0.5, 0.5, "no valid candidate", transform=ax.transAxes, ha="center")
    ax.axvline(task.dataset_best_norm, color="k", ls="--", lw=1, label="offline best")
    ax.set_xlabel("normalized oracle score")
    ax.set_ylabel("density")
    ax.set_title(f"{m['task']}: {m['generator']} (seed {m['seed']})")
    ax.legend(fontsize=8)
    ax = axes[1]
    pm = cands["proxy_mean"].to_numpy(dtype=float)
    ax.scatter(oracle[ok], pm[ok], s=12, alpha=0.7)
    if ok.any():  # equal axes: the diagonal is y = x, so over- and under-prediction read at a glance
        lo, hi = float(np.nanmin([oracle[ok].min(), pm[ok].min()])), float(np.nanmax([oracle[ok].max(), pm[ok].max()]))
        pad = 0.05 * (hi - lo if hi > lo else 1.0)
        lo, hi = lo - pad, hi + pad
        ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="proxy = oracle")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_aspect("equal", adjustable="box")
        ax.legend(fontsize=9, loc="upper left")
    ax.set_xlabel("oracle score")
    ax.set_ylabel("proxy mean")
    ax.set_title(f"proxy vs oracle (Spearman {_fmt(m.get('proxy_spearman'))}, "
                 f"overestimate {_fmt(m.get('proxy_overestimate'))})", fontsize=11)
    _metrics_panel(axes[2], m, ["n_candidates", "score_norm_p100", "score_norm_p50", "score_norm_mean",
                                "dataset_best_norm", "diversity", "novelty", "novelty_distance", "validity",
                                "uniqueness", "proxy_spearman", "proxy_overestimate", "oracle_calls_design",
                                "time_total_s", "peak_rss_mb"])
    fig.tight_layout()
    fig.savefig(path, dpi=90, format="png")
    plt.close(fig)


def _metrics_panel(ax, m: dict, keys: list[str]) -> None:
    ax.axis("off")
    lines = [f"{k:24s} {_fmt(m.get(k))}" for k in keys if k in m]
    ax.text(0.0, 1.0, "\n".join(lines), va="top", family="monospace", fontsize=10)


def _prediction_panels(axes, result, task) -> None:
    """Without an oracle: offline scores against the candidates' predictions, and prediction
    against distance to the data (how far the proxy is asked to extrapolate)."""
    m, cands = result.metrics, result.candidates
    offline = task.sign * np.asarray(task.dataset.y, dtype=float)
    pm = cands["proxy_mean"].to_numpy(dtype=float)
    ps = cands["proxy_std"].to_numpy(dtype=float)
    ax = axes[0]
    bins = np.linspace(min(offline.min(), pm.min()), max(offline.max(), pm.max()), 40)
    ax.hist(offline, bins=bins, density=True, alpha=0.5, label=f"your data (n={len(offline)})")
    ax.hist(pm, bins=bins, density=True, alpha=0.6, label=f"candidates, predicted (n={len(pm)})")
    best = offline.max() if task.sign > 0 else offline.min()
    ax.axvline(best, color="k", ls="--", lw=1, label="best in your data")
    ax.set_xlabel("score (measured / predicted mean)")
    ax.set_ylabel("density")
    ax.set_title(f"{m['task']}: {m['generator']} (seed {m['seed']})")
    ax.legend(fontsize=9)
    ax = axes[1]
    near = cands["nearest_distance"].to_numpy(dtype=float)
    ax.errorbar(near, pm, yerr=np.where(np.isfinite(ps), ps, 0.0), fmt="o", ms=3, alpha=0.6, elinewidth=0.8)
    ax.set_xlabel("distance to the nearest design in your data")
    ax.set_ylabel("predicted score (mean ± std)")
    ax.set_title("predictions vs distance from the data", fontsize=11)


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _properties(smiles: list[str], limit: int = 5000) -> np.ndarray:
    """(logP, SA, QED, MW) rows of up to ``limit`` valid molecules."""
    from seqmbo.metrics.mol_chem import molecule_properties, moses_mol

    rows = []
    for s in smiles[:limit]:
        mol = moses_mol(s)
        if mol is not None:
            rows.append(molecule_properties(mol))
    return np.asarray(rows, dtype=float).reshape(-1, 4)


def evaluation_report(path: Path, metrics: dict, table, kind: str, reference, oracles: list[str]) -> None:
    """A PNG: property distributions against the reference (molecules) or lengths (sequences),
    oracle score distributions, and the metrics."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    valid = table.loc[table["valid"], "canonical"].astype(str).tolist()
    panels = (4 if kind == "molecule" else 1) + len(oracles) + 1
    cols = min(4, panels)
    rows = -(-panels // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False)
    axes = axes.ravel()
    k = 0
    if kind == "molecule":
        lib = _properties(valid)
        ref = _properties(list(reference)) if reference is not None else None
        for j, name in enumerate(("logP", "SA", "QED", "MW")):
            ax = axes[k]
            k += 1
            data = [lib[:, j][np.isfinite(lib[:, j])]]
            if ref is not None:
                data.append(ref[:, j][np.isfinite(ref[:, j])])
            lo = min(d.min() for d in data if d.size) if any(d.size for d in data) else 0.0
            hi = max(d.max() for d in data if d.size) if any(d.size for d in data) else 1.0
            bins = np.linspace(lo, hi if hi > lo else lo + 1, 40)
            ax.hist(data[0], bins=bins, density=True, alpha=0.6, label=f"library (n={len(data[0])})")
            if ref is not None:
                ax.hist(data[1], bins=bins, density=True, alpha=0.5, label=f"reference (n={len(data[1])})")
            ax.set_title(f"{name}" + (f"  (W1 {_fmt(metrics.get('w1_' + name.lower()))})" if ref is not None else ""))
            ax.legend(fontsize=7)
    else:
        ax = axes[k]
        k += 1
        ax.hist([len(s) for s in valid], bins=30)
        ax.set_title("design length")
    for name in oracles:
        ax = axes[k]
        k += 1
        s = table[name].to_numpy(dtype=float)
        s = s[np.isfinite(s)]
        ax.hist(s, bins=30, color="tab:green")
        ax.set_title(f"oracle {name}: mean {_fmt(metrics.get(f'oracle_{name}_mean'))}, max {_fmt(metrics.get(f'oracle_{name}_max'))}", fontsize=9)
    ax = axes[k]
    k += 1
    ax.axis("off")
    lines = [f"{key:16s} {_fmt(v)}" for key, v in metrics.items() if not key.startswith("oracle_")][:22]
    ax.text(0, 1, "\n".join(lines), va="top", family="monospace", fontsize=8)
    for ax in axes[k:]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80, format="png")
    plt.close(fig)


def molecule_grid(path: Path, table, oracles: list[str], n: int = 12) -> None:
    """A PNG grid of the best valid molecules (by the first oracle, else in library order), drawn by RDKit."""
    from rdkit.Chem import Draw

    from seqmbo.spaces.molecule import parse_smiles

    valid = table[table["valid"]]
    if oracles:
        valid = valid.sort_values(oracles[0], ascending=False)
    top = valid.drop_duplicates("canonical").head(n)
    mols = [parse_smiles(s) for s in top["canonical"]]
    legends = [f"{oracles[0]} {v:.3f}" for v in top[oracles[0]]] if oracles else [f"#{i + 1}" for i in range(len(mols))]
    img = Draw.MolsToGridImage(mols, molsPerRow=4, subImgSize=(260, 220), legends=legends)
    with open(path, "wb") as fh:
        img.save(fh, format="PNG")


def candidates_grid(path: Path, table, n: int = 12) -> None:
    """A PNG grid of a molecule run's best candidates, drawn by RDKit, each with its rank, the
    predicted score ± std, the oracle score (benchmarks) and the Tanimoto similarity to its
    nearest offline molecule."""
    from rdkit import Chem
    from rdkit.Chem import Draw

    top = table.head(n)
    mols, legends = [], []
    for rank, row in enumerate(top.to_dict("records"), start=1):
        mols.append(Chem.MolFromSmiles(row["smiles"]))
        text = f"#{rank} pred {row['proxy_mean']:.3g} +/- {row['proxy_std']:.2g}"
        if "oracle" in row:
            text += f" | oracle {row['oracle']:.3g}"
        legends.append(text + f" | sim {1.0 - row['nearest_distance']:.2f}")
    img = Draw.MolsToGridImage(mols, molsPerRow=4, subImgSize=(320, 260), legends=legends)
    with open(path, "wb") as fh:
        img.save(fh, format="PNG")
