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
