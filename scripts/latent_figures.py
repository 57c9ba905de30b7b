"""Figures of latent search: the pre-trained molecule VAE, its graph encoder, and the latent GP's OOD uncertainty.

Usage:
    SEQMBO_DATA_DIR=../shared/data python scripts/latent_figures.py recon [--folder DIR] [--heldout 2000] [--prior 10000]
    SEQMBO_DATA_DIR=../shared/data python scripts/latent_figures.py graph [--folder DIR] [--train 5000] [--minutes 10]
    SEQMBO_DATA_DIR=../shared/data python scripts/latent_figures.py gp [--tasks tfbind8,gb1] [--seeds 1] [--dev ARX,EGR2]
        [--warps none,auto] [--nested]
    SEQMBO_DATA_DIR=../shared/data python scripts/latent_figures.py warps [--tasks tfbind8,gb1] [--nested]

``recon``: the pre-trained VAE (``seqmbo pretrain``; the default one, or ``--folder``): its learning
curve, exact reconstruction (canonical SMILES) of the held-out library molecules it never saw,
and validity, uniqueness and novelty (against the whole library, training and held-out) of
``--prior`` molecules decoded from prior codes.

``graph``: a GINE graph encoder trained for at most ``--minutes`` on ``--train`` library molecules
into the VAE's latent space; on the held-out molecules: exact reconstruction through the SELFIES
decoder, the distance from each graph code to its own string code against that to the other
molecules' string codes, and how often the nearest string code is the molecule's own (top-1).

``gp``: :func:`seqmbo.metrics.calibration.proxy_quality` of the ``latent-gp`` proxy on each task's
offline set: the OOD split trains on the lower 90% by score and tests on the top 10%; prints
Spearman, NLL, 90% coverage and calibration error (held-out and OOD) of both standard deviations,
``y`` (of a new measurement: the default) and ``f`` (of the noise-free function), for each score warp
of ``--warps`` (the GP refitted on the same VAE). ``--dev`` runs the development PBM factors instead;
``--nested`` the same splits inside each task's lower 90% by score (fit on the lower 90% of it, test on
the rest): development data for the OOD split that never sees the task's top 10%.

``warps``: no model: for each score warp of the lower 90% (``none``, ``log``, and a Box-Cox power
chosen by likelihood after the log's shift), the training log-likelihood and how many training sds
above the training mean the top 10% lie.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def _vae(folder: str | None):
    from seqmbo.encoders.pretrained import load_pretrained

    vae = load_pretrained(folder=Path(folder)) if folder else load_pretrained()
    if vae is None:
        raise SystemExit("no pre-trained VAE cached: run `seqmbo pretrain` first (or give --folder)")
    return vae


def _folder(vae, folder: str | None) -> Path:
    from seqmbo.encoders.pretrained import PretrainConfig, library_file, model_dir

    return Path(folder) if folder else model_dir(PretrainConfig(), library_file(PretrainConfig().library)[1])


def recon(args) -> None:
    from seqmbo.encoders.quality import recon_accuracy

    vae = _vae(args.folder)
    folder = _folder(vae, args.folder)
    meta = vae.meta
    print(f"pre-trained VAE: {folder.name}, {meta['step']} steps, {meta['minutes']} min of training, state {meta['state']}")
    print("learning curve (step, minutes, recon nats/molecule, KL/dim, held-out exact recon of 500):")
    for p in meta["curve"]:
        print(f"  {p['step']:>6} {p['minutes']:>7.1f} {p['recon_nats']:>8.2f} {p['kl_per_dim']:>6.3f} {p['heldout_recon']:.3f}")
    heldout = (folder / "heldout.txt").read_text().split()[: args.heldout]
    t = time.perf_counter()
    acc = recon_accuracy(vae, heldout)
    print(f"held-out exact reconstruction: {acc:.4f} of {len(heldout)} molecules ({time.perf_counter() - t:.0f} s); "
          f"greedy token accuracy {_token_accuracy(vae, heldout):.4f}")
    rng = np.random.default_rng(0)
    samples = vae.sample_prior(args.prior, rng)
    valid = [s for s, ok in zip(samples, vae.space.is_valid(samples)) if ok]
    distinct = sorted(set(valid))
    library = {r.tobytes() for r in np.load(folder / "train_ids.npy").astype(np.int64)}
    library |= {r.tobytes() for r in vae.space.encode(heldout)}
    novel = [r for r in vae.space.encode(distinct) if r.tobytes() not in library]
    print(f"{args.prior} prior samples: validity {len(valid) / len(samples):.4f}, uniqueness "
          f"{len(distinct) / max(1, len(valid)):.4f}, novelty {len(novel) / max(1, len(distinct)):.4f} "
          f"(against the {len(library)} library molecules)")


def _token_accuracy(vae, designs) -> float:
    """Fraction of SELFIES tokens (and the end token) that greedy decoding of the mean code gets right."""
    import torch

    ids = vae._ids(designs, "held-out molecules")
    v = vae.space.vocab_size
    with torch.no_grad():
        mu, _ = vae.net.encode(ids)
        out = vae.net.greedy(mu, v + 1)
    mask = torch.cumsum(ids == v, 1) <= 1  # the tokens and the first end token
    return float(((out == ids) & mask).sum() / mask.sum())


def graph(args) -> None:
    from seqmbo.encoders.graph_vae import GraphVAE
    from seqmbo.encoders.quality import recon_accuracy

    vae = _vae(args.folder)
    folder = _folder(vae, args.folder)
    space = vae.space
    ids = np.load(folder / "train_ids.npy").astype(np.int64)
    rows = np.sort(np.random.default_rng(0).choice(len(ids), args.train, replace=False))
    train = space.decode(ids[rows])
    heldout = (folder / "heldout.txt").read_text().split()[: args.heldout]
    t = time.perf_counter()
    g = GraphVAE(vae, epochs=args.epochs, max_minutes=args.minutes).fit(train)
    print(f"graph encoder: {len(train)} molecules, {len(g.history)} epochs in {time.perf_counter() - t:.0f} s; "
          f"loss per epoch {[round(h, 2) for h in g.history]}")
    gz, sz = g.encode(heldout), vae.encode(heldout)
    d = np.linalg.norm(gz[:, None] - sz[None], axis=2)
    own, other = float(np.diag(d).mean()), float(d[~np.eye(len(d), dtype=bool)].mean())
    top1 = float((d.argmin(1) == np.arange(len(d))).mean())
    print(f"held-out ({len(heldout)}): exact recon graph {recon_accuracy(g, heldout):.4f}, string "
          f"{recon_accuracy(vae, heldout):.4f}; distance to own string code {own:.3f}, to others' {other:.3f}; "
          f"nearest string code is its own: {top1:.3f}")


def _gp_both(task, seed: int, max_train: int, warps: list[str], nested: bool) -> dict[str, dict]:
    """:func:`proxy_quality`'s splits for one latent-gp VAE each, its GP fitted once per score warp and
    scored with both standard deviations: ``y`` (a new measurement, the default) and ``f`` (the
    noise-free function). ``nested``: the splits of the lower 90% alone (development)."""
    from seqmbo.data import Dataset
    from seqmbo.metrics.calibration import ood_split, predictive_quality, quality_splits
    from seqmbo.proxies import make_proxy

    ds = task.dataset
    if nested:
        keep = ood_split(ds.y, 0.1)[0]
        ds = Dataset([ds.designs[i] for i in keep], ds.y[keep], ds.space, f"{ds.name} (lower 90%)")
    out: dict[str, dict] = {}
    for split, train, test in quality_splits(ds, seed, max_train=max_train):
        designs = [ds.designs[i] for i in train]
        proxy = make_proxy("latent-gp", task.space, seed=seed, warp=warps[0]).fit(designs, ds.y[train])
        codes, designs = proxy.vae.encode(designs), [ds.designs[i] for i in test]
        for w, warp in enumerate(warps):
            if w:
                proxy.config.warp = warp
                proxy.fit_gp(codes, ds.y[train])
            for noisy in (True, False):
                proxy.config.noise_in_std = noisy
                pred = proxy.predict(designs)
                q = predictive_quality(ds.y[test], pred.mean, pred.std, pred.warped)
                q = {k: round(v, 3) for k, v in q.items() if v is not None}
                out[f"{split}_{'y' if noisy else 'f'} warp={warp}({proxy.warp.kind})"] = q
            proxy.config.noise_in_std = True
    return out


def _task_names(args) -> list:
    """``--tasks``, or the task specs of the development PBM factors of ``--dev``."""
    if not args.dev:
        return args.tasks.split(",")
    import os

    from choose_pbm_settings import factor_spec

    base = Path(os.environ.get("SEQMBO_DATA_DIR", "data")) / "tfbind8-dev"
    return [factor_spec(f, base) for f in args.dev.split(",")]


def gp(args) -> None:
    from seqmbo.tasks import load_task

    for name in _task_names(args):
        task = load_task(name)
        label = task.name + (" (nested: lower 90%)" if args.nested else "")
        for seed in range(args.seeds):
            t = time.perf_counter()
            for key, q in _gp_both(task, seed, args.max_train, args.warps.split(","), args.nested).items():
                print(f"{label} seed {seed} latent-gp {key}: {json.dumps(q)}", flush=True)
            print(f"  ({time.perf_counter() - t:.0f} s for both splits)", flush=True)


def warps(args) -> None:
    """Where the OOD test scores lie in each warp of the training scores (no model): the log-likelihood
    of the training scores (Jacobian included) and the test scores' mean in training sds of the warp."""
    from scipy import stats

    from seqmbo.metrics.calibration import ood_split
    from seqmbo.proxies.warp import ScoreWarp
    from seqmbo.tasks import load_task

    for name in _task_names(args):
        task = load_task(name)
        name, y = task.name, task.dataset.y
        splits = [("", y)] + ([(" (nested: lower 90%)", y[ood_split(y, 0.1)[0]])] if args.nested else [])
        for label, ys in splits:
            train, test = (ys[i] for i in ood_split(ys, 0.1))
            floor = float(np.mean(train == train.min()))
            print(f"{name}{label}: {len(train)} training scores, {floor:.3f} of them at the lowest", flush=True)
            for kind in ("none", "log"):
                w = ScoreWarp.fit(train, kind)
                print(f"  {kind}: log-likelihood {w.loglik(train):.0f}, top 10% at {w.forward(test).mean():.2f} sds")
            offset = ScoreWarp.fit(train, "log").offset  # the log warp's shift, then a Box-Cox power by likelihood
            bc, lam = stats.boxcox(train - offset)
            top = (stats.boxcox(test - offset, lam).mean() - bc.mean()) / bc.std()
            print(f"  box-cox (lambda {lam:.3f} by likelihood): top 10% at {top:.2f} sds")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    r = sub.add_parser("recon")
    r.add_argument("--folder", default=None)
    r.add_argument("--heldout", type=int, default=2000)
    r.add_argument("--prior", type=int, default=10_000)
    g = sub.add_parser("graph")
    g.add_argument("--folder", default=None)
    g.add_argument("--train", type=int, default=5000)
    g.add_argument("--heldout", type=int, default=500)
    g.add_argument("--epochs", type=int, default=20)
    g.add_argument("--minutes", type=float, default=10.0)
    q = sub.add_parser("gp")
    q.add_argument("--tasks", default="tfbind8,gb1")
    q.add_argument("--seeds", type=int, default=1)
    q.add_argument("--max-train", type=int, default=10_000)
    q.add_argument("--dev", default="", help="development PBM factors instead of --tasks (e.g. ARX,EGR2)")
    q.add_argument("--warps", default="auto",
                   help="score warps of the GP, one fit each on the same VAE (default: the proxy default, auto; e.g. none,auto)")
    q.add_argument("--nested", action="store_true", help="the splits inside the lower 90%% by score (development)")
    w = sub.add_parser("warps")
    w.add_argument("--tasks", default="tfbind8,gb1")
    w.add_argument("--nested", action="store_true")
    w.add_argument("--dev", default="", help="development PBM factors instead of --tasks")
    args = p.parse_args()
    {"recon": recon, "graph": graph, "gp": gp, "warps": warps}[args.what](args)


if __name__ == "__main__":
    main()
