"""Latent search: fit a sequence VAE on the offline designs, then search its latent space.

``LatentGenerator.propose`` fits a :class:`~seqmbo.encoders.vae.SequenceVAE` on the offline
designs (a few held out to measure reconstruction), encodes them, and searches for codes whose
*decoded* designs score high under the run's reward, with ``method`` ``gradient``, ``cma`` or
``bo`` (see :mod:`seqmbo.generators.latent_search`). The search stays near the data: codes are
kept inside the box of the encoded designs (widened by ``margin``). Every distinct decoded design
met on the way is returned, best reward first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from seqmbo._config import with_overrides
from seqmbo.data.dataset import Dataset
from seqmbo.encoders.quality import prior_quality, recon_accuracy
from seqmbo.encoders.vae import SequenceVAE, VAESettings, check_designs, encodable
from seqmbo.errors import InvalidInputError
from seqmbo.generators.base import GeneratorBase, Reward
from seqmbo.generators import latent_search as search
from seqmbo.preferences import PREFERENCES, check_scalarization, reward_objectives

log = logging.getLogger(__name__)

METHODS = ("gradient", "cma", "bo")
ACQUISITIONS = ("qlogei", "qucb")


@dataclass
class LatentConfig(VAESettings):
    """Settings of :class:`LatentGenerator` (the VAE's: see :class:`~seqmbo.encoders.vae.VAESettings`).

    Attributes:
        method: ``gradient`` (ascent on a latent MLP ensemble), ``cma`` (CMA-ES) or ``bo`` (TuRBO-style BO).
        seed_top: searches start from the codes of the best ``seed_top`` offline designs.
        margin: the search box is the encoded data's range widened by this fraction on each side.
        budget: codes decoded and scored by ``cma`` and ``bo`` (and the ``fill`` step).
        batch: codes per CMA-ES generation / BO batch ``q``.
        steps, step_size, decode_every: ``gradient``: ascent steps, Adam step size, decoding interval.
        proxy_members, proxy_hidden, proxy_steps: ``gradient``: the latent MLP ensemble.
        sigma: ``cma``: initial step size as a fraction of the mean box side.
        acquisition: ``bo``: ``qlogei`` or ``qucb``; ``ucb_beta`` its weight.
        trust_length: ``bo``: initial side of the trust region in the unit cube.
        gp_rows: ``bo``: at most this many evaluated codes train the GP.
        restarts, raw_samples: ``bo``: acquisition optimizer settings.
        opt_iters: ``bo``: L-BFGS iterations of the GP fit and of each acquisition optimization.
        preference: ``bo`` with a reward over several objectives: ``"auto"`` (default) or
            ``"dirichlet"``: ParEGO batches (each batch maximizes a scalarization of the objectives
            under its own preference drawn from Dirichlet(``preference_alpha``), see
            :func:`~seqmbo.generators.latent_search.bo_search`); ``"none"``: the scalar reward.
        preference_alpha: the Dirichlet's concentration (1: uniform on the simplex).
        scalarization: ``"chebyshev"`` (ParEGO's augmented Chebyshev) or ``"sum"`` (see
            :mod:`seqmbo.preferences`).
        quality_samples: prior samples decoded to measure validity, uniqueness and novelty.
        pretrained: molecules only: ``auto`` (the pre-trained VAE of :class:`PretrainConfig`'s
            defaults when it is cached, else a VAE fitted on the offline designs), ``none``
            (always fit), a dataset id or SMILES file (its pre-trained VAE, built now if not
            cached, for at most ``pretrain_minutes``) or the folder of a pre-trained VAE.
        pretrain_minutes: time limit of a pre-training started by a run.
        encoder: molecules only: ``string`` (the VAE's SELFIES encoder) or ``graph`` (a GINE graph
            encoder trained on the offline designs into the same latent space:
            :class:`~seqmbo.encoders.graph_vae.GraphVAE`); ``graph_epochs`` its training passes.
        finetune_steps: with a pre-trained VAE: Adam steps fine-tuning it on the offline designs
            (all but a held-out 5%, at most 500, that measure ``latent_recon_accuracy``; cached per
            weights and data, see :mod:`seqmbo.encoders.finetune`); 0: use it as it is.
        decode_samples: designs decoded per code (the greedy one and the rest sampled at
            ``decode_temperature``; a code scores as its best design); 0 (default):
            ``PRETRAINED_SAMPLES`` with a pre-trained VAE, 1 otherwise.
        reencode: ``bo``: the GP sees each evaluated design at its own (re-encoded) code.
    """

    method: str = "bo"
    seed_top: int = 16
    margin: float = 0.1
    budget: int = 1024
    batch: int = 16
    steps: int = 100
    step_size: float = 0.05
    decode_every: int = 5
    proxy_members: int = 3
    proxy_hidden: int = 64
    proxy_steps: int = 300
    sigma: float = 0.2
    acquisition: str = "qucb"
    ucb_beta: float = 2.0
    trust_length: float = 0.8
    gp_rows: int = 512
    restarts: int = 2
    raw_samples: int = 64
    opt_iters: int = 50
    preference: str = "auto"
    preference_alpha: float = 1.0
    scalarization: str = "chebyshev"
    quality_samples: int = 256
    pretrained: str = "auto"
    pretrain_minutes: float = 60.0
    encoder: str = "string"
    graph_epochs: int = 10
    finetune_steps: int = 0
    decode_samples: int = 0
    decode_temperature: float = 1.0
    reencode: bool = False


class LatentGenerator(GeneratorBase):
    """Search in a VAE's latent space (see the module docstring).

    Args:
        config: the settings (default :class:`LatentConfig`).
        **overrides: individual settings (``LatentGenerator(method="cma", budget=512)``).

    Attributes:
        quality: after :meth:`propose`, the encoder's quality as run metrics:
            ``latent_recon_accuracy`` (held-out exact reconstruction), ``latent_prior_validity``,
            ``latent_prior_uniqueness``, ``latent_prior_novelty`` and ``latent_kl_per_dim`` (mean nats).
        vae: the fitted encoder of the latest :meth:`propose`.
        trajectory: after :meth:`propose` with method ``gradient``, the ascent seen every
            ``decode_every`` steps: ``(step, codes (k, d), latent proxy's prediction (k,))``, step 0
            first (``self.vae.decode(codes)`` gives the designs); empty for the other methods.
    """

    def __init__(self, config: LatentConfig | None = None, **overrides: Any) -> None:
        self.config = with_overrides(config or LatentConfig(), overrides, "generator 'latent'")
        c = self.config
        if c.method not in METHODS:
            raise InvalidInputError(f"generator 'latent': method must be one of {', '.join(METHODS)}, got {c.method!r}")
        if c.acquisition not in ACQUISITIONS:
            raise InvalidInputError(f"generator 'latent': acquisition must be 'qlogei' or 'qucb', got {c.acquisition!r}")
        if min(c.seed_top, c.budget, c.batch, c.decode_every, c.proxy_members, c.gp_rows) < 1 or c.steps < 0:
            raise InvalidInputError("generator 'latent' needs seed_top, budget, batch, decode_every, proxy_members, "
                                    "gp_rows >= 1 and steps >= 0")
        if c.method == "cma" and c.batch < 2:
            raise InvalidInputError("generator 'latent': method 'cma' needs batch (its population) >= 2")
        if c.finetune_steps < 0 or c.decode_samples < 0 or not c.decode_temperature > 0:
            raise InvalidInputError(f"generator 'latent' needs finetune_steps, decode_samples >= 0 and "
                                    f"decode_temperature > 0, got {c.finetune_steps}, {c.decode_samples}, "
                                    f"{c.decode_temperature}")
        if c.encoder not in ("string", "graph") or c.graph_epochs < 1:
            raise InvalidInputError(f"generator 'latent': encoder must be 'string' or 'graph' and graph_epochs >= 1, "
                                    f"got {c.encoder!r}, {c.graph_epochs}")
        if c.preference not in PREFERENCES or not c.preference_alpha > 0:
            raise InvalidInputError(f"generator 'latent': preference must be 'auto', 'none' or 'dirichlet' and "
                                    f"preference_alpha > 0, got {c.preference!r}, {c.preference_alpha}")
        check_scalarization(c.scalarization, "generator 'latent'")
        c.torch_device()  # checks the device name
        self.quality: dict[str, float] = {}
        self.vae: SequenceVAE | None = None
        self.trajectory: list[tuple[int, np.ndarray, np.ndarray]] = []

    def __repr__(self) -> str:
        return f"LatentGenerator({self.config!r})"

    def propose(self, reward: Reward, n: int, dataset: Dataset, rng: np.random.Generator) -> list[str]:
        """Distinct decoded designs met by the search, best reward first (novel ones before offline ones).

        Raises:
            InvalidInputError: fewer than 2 offline designs, or one the encoder cannot take.
        """
        c, space = self.config, dataset.space
        if len(dataset) < 2:
            raise InvalidInputError(f"generator 'latent' needs at least 2 offline designs to fit its VAE, got {len(dataset)}")
        check_designs(space, dataset.designs, f"{dataset.name} (generator 'latent')")
        seed = int(rng.integers(0, 2**31 - 1))
        self.vae, (train, heldout), enc = self._encoder(dataset, rng, seed)
        samples = c.decode_samples or (PRETRAINED_SAMPLES if self.vae.meta else 1)
        if c.encoder == "graph":
            self.vae = self._graph_encoder(enc, seed)
        codes = self.vae.encode(enc.designs)
        bounds = _box(codes, c.margin)
        order = np.argsort(-enc.y, kind="stable")[: c.seed_top]
        several = reward_objectives(reward) > 1
        if c.preference == "dirichlet" and not (several and c.method == "bo"):
            raise InvalidInputError("generator 'latent': preference='dirichlet' needs method 'bo' and a reward "
                                    "with several objectives")
        vector = several and c.method == "bo" and c.preference != "none"
        noise = torch.Generator(device=c.torch_device()).manual_seed(seed)
        objective = (search.VectorObjective if vector else search.LatentObjective)(
            self.vae, reward, samples=samples, temperature=c.decode_temperature, generator=noise)
        self.trajectory = []
        if c.method == "gradient":
            search.gradient_search(objective, codes, enc.y, codes[order], bounds, c, seed, trace=self.trajectory)
        elif c.method == "cma":
            search.cma_search(objective, codes[order], bounds, c, seed)
        else:
            others = rng.choice(len(codes), size=min(len(codes), c.seed_top), replace=False)
            search.bo_search(objective, np.vstack([codes[order], codes[others]]), bounds, c, seed)
        offline = set(dataset.designs)
        searched = _novel(objective.pool, offline)
        self._fill(objective, codes[order], codes, bounds, n, offline, rng)
        self.quality = self._measure(enc, heldout, train, rng)
        self.quality.update(latent_search_designs=searched, latent_fill_designs=_novel(objective.pool, offline) - searched)
        return _ranked(objective.pool, dataset, n)

    def _graph_encoder(self, enc: Dataset, seed: int):
        """A graph encoder into the latent space of ``self.vae``, trained on the offline designs ``enc``."""
        from seqmbo.encoders.graph_vae import GraphVAE

        if getattr(enc.space, "kind", None) != "molecule":
            raise InvalidInputError("generator 'latent': encoder 'graph' needs a molecule task")
        return GraphVAE(self.vae, epochs=self.config.graph_epochs, seed=seed).fit(enc.designs)

    def _encoder(self, dataset: Dataset, rng: np.random.Generator,
                 seed: int) -> tuple[SequenceVAE, tuple[np.ndarray, np.ndarray], Dataset]:
        """The VAE, the rows it was trained (or fine-tuned) on and those held out to measure its
        reconstruction, and the offline designs it can encode.

        A pre-trained molecule VAE (see ``pretrained``) encodes the offline designs its
        vocabulary and length allow (the others are left out of the search, with a log line) and is
        fine-tuned on them (``finetune_steps``, with a fixed split and seed: runs at several seeds
        share the cached fine-tuning); otherwise a VAE is fitted on the offline designs with a few held out.
        """
        c = self.config
        vae = load_vae(c, dataset.space)
        if vae is None:
            train, heldout = _split(len(dataset), rng)
            vae = SequenceVAE(dataset.space, c.vae_config(seed), device=c.torch_device())
            vae.fit([dataset.designs[i] for i in train])
            return vae, (train, heldout if len(heldout) else train), dataset
        ok = encodable(vae.space, dataset.designs)
        if ok.sum() < 2:
            raise InvalidInputError(f"generator 'latent': the pre-trained VAE can encode {int(ok.sum())} of "
                                    f"{len(dataset)} offline designs (unseen tokens or too long); use pretrained=none")
        if not ok.all():
            log.info("the pre-trained VAE leaves out %d of %d offline designs (unseen tokens or too long)",
                     int((~ok).sum()), len(dataset))
            dataset = dataset.subset(np.flatnonzero(ok))
        if not c.finetune_steps:
            return vae, (np.array([], dtype=int), np.sort(rng.permutation(len(dataset))[:500])), dataset
        from seqmbo.encoders.finetune import FinetuneConfig, finetune

        train, heldout = _split(len(dataset), np.random.default_rng(0), fraction=0.05)
        vae = finetune(vae, [dataset.designs[i] for i in train], FinetuneConfig(steps=c.finetune_steps))
        return vae, (train, heldout if len(heldout) else train), dataset

    def _fill(self, objective, starts: np.ndarray, codes: np.ndarray, bounds, n: int, offline: set,
              rng: np.random.Generator) -> None:
        """Decode noisy copies of the start codes ``(k, d)`` and of any offline codes ``(N, d)`` (noise
        growing each round) until ``n`` novel designs with a finite reward exist."""
        lo, hi = bounds
        scale = 0.05 * (hi - lo)
        for _ in range(20):
            novel = _novel(objective.pool, offline)
            if novel >= n:
                return
            z = np.vstack([starts[rng.integers(0, len(starts), size=2 * n)], codes[rng.integers(0, len(codes), size=2 * n)]])
            objective(np.clip(z + scale * rng.standard_normal(z.shape), lo, hi))
            scale = scale * 1.5
        log.warning("latent search found only %d novel designs of %d requested", novel, n)

    def _measure(self, dataset: Dataset, rows: np.ndarray, train: np.ndarray, rng: np.random.Generator) -> dict[str, float]:
        """The encoder's quality; ``latent_recon_train`` (up to 500 of the ``train`` rows) only when
        the encoder was trained or fine-tuned on offline designs."""
        vae, c = self.vae, self.config
        designs = [dataset.designs[i] for i in rows]
        prior = prior_quality(vae, c.quality_samples, rng, dataset.designs)
        out = {
            "latent_recon_accuracy": recon_accuracy(vae, designs),
            "latent_prior_validity": prior["validity"],
            "latent_prior_uniqueness": prior["uniqueness"],
            "latent_prior_novelty": prior["novelty"],
            "latent_kl_per_dim": float(np.mean(vae.kl_per_dim(dataset.designs[:2000]))),
        }
        if len(train):
            out["latent_recon_train"] = recon_accuracy(vae, [dataset.designs[i] for i in train[:500]])
        return out


PRETRAINED_SAMPLES = 4  # designs decoded per code with a pre-trained VAE (``decode_samples = 0``); chosen on zinc-perindopril
AUTO_MIN_RECON = 0.5  # `pretrained = "auto"` skips a cached VAE that reconstructs less of its held-out molecules


def load_vae(config: LatentConfig, space) -> SequenceVAE | None:
    """The pre-trained VAE that ``config.pretrained`` names for ``space`` (``None``: fit one on the data).

    Only molecule spaces use one. ``auto`` loads the default pre-training when it is cached, finished
    and reconstructs at least ``AUTO_MIN_RECON`` of its held-out molecules; a
    folder is loaded; a library name or file is loaded or pre-trained now.
    """
    from pathlib import Path

    from seqmbo.encoders import pretrained as pt

    choice = config.pretrained
    if choice == "none" or getattr(space, "kind", None) != "molecule":
        return None
    device = config.torch_device()
    if choice == "auto":
        vae = pt.load_pretrained(device=device, settled=True)
        recon = (vae.meta.get("curve") or [{}])[-1].get("heldout_recon", 0.0) if vae is not None else None
        if recon is not None and recon < AUTO_MIN_RECON:
            log.info("the cached pre-trained VAE reconstructs %.2f of held-out molecules (< %.1f); fitting a VAE "
                     "on the offline data instead (name the folder to use it anyway)", recon, AUTO_MIN_RECON)
            vae = None
    elif (Path(choice).expanduser() / "checkpoint.pt").is_file():
        vae = pt.load_pretrained(folder=Path(choice).expanduser(), device=device)
    else:
        vae = pt.pretrain(pt.PretrainConfig(library=choice), max_minutes=config.pretrain_minutes, device=device).vae
    if vae is not None:
        log.info("latent search uses the pre-trained VAE of %s (%s steps)", vae.meta.get("config", {}).get("library"),
                 vae.meta.get("step"))
    return vae


def _split(n: int, rng: np.random.Generator, fraction: float = 0.1, most: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """Training and held-out row indices (nothing held out below 20 rows)."""
    k = min(most, int(fraction * n)) if n >= 20 else 0
    perm = rng.permutation(n)
    return np.sort(perm[k:]), np.sort(perm[:k])


def _box(codes: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """The range of ``codes`` ``(N, d)`` per dimension, widened by ``margin`` of it on each side."""
    lo, hi = codes.min(0), codes.max(0)
    width = np.maximum(hi - lo, 1e-3)
    return lo - margin * width, hi + margin * width


def _novel(pool: dict[str, float], offline: set) -> int:
    """How many designs of the pool are new and have a finite reward."""
    return sum(1 for d, r in pool.items() if d not in offline and np.isfinite(r))


def _ranked(pool: dict[str, float], dataset: Dataset, n: int) -> list[str]:
    """Pool designs by reward, novel and valid first; offline ones (then the best offline designs) fill up to ``n``."""
    ranked = sorted(pool, key=lambda d: -pool[d])
    offline = set(dataset.designs)
    novel = [d for d in ranked if d not in offline and np.isfinite(pool[d])]
    if len(novel) >= n:
        return novel
    known = [d for d in ranked if d in offline]
    seen = set(known)
    known += [d for d in dataset.top(n)[0] if d not in seen]
    return novel + known[: n - len(novel)]

