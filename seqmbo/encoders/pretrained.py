"""A molecule VAE pre-trained on an unlabeled SMILES library (ZINC250k by default), cached on disk.

:func:`pretrain` reads the library, canonicalises and filters it into a
:class:`~seqmbo.spaces.molecule.MoleculeSpace` of SELFIES tokens, holds out ``heldout`` molecules,
and trains a GRU :class:`~seqmbo.encoders.vae.SequenceVAE` (teacher forcing, KL weight annealed
from 0) for at most ``max_steps`` steps or ``max_minutes`` minutes. Everything lives in one folder
of the cache, ``$SEQMBO_CACHE_DIR/pretrained/<library>-<key>`` (``~/.cache/seqmbo`` by default),
where the key hashes the library file's sha256, every setting of :class:`PretrainConfig` and the
package version:

- ``space.json``, ``train_ids.npy``, ``heldout.txt``: the prepared library (built once);
- ``checkpoint.pt``: network, optimizer, step and noise state (``torch.save`` of tensors and
  numbers, read back with ``weights_only=True``), rewritten every ``checkpoint_minutes``; a new
  call resumes from it, so an interrupted pre-training loses at most that much;
- ``meta.json``: the settings, steps done, and the learning curve (training loss and held-out
  exact reconstruction).

:func:`load_pretrained` gives the cached VAE back (``None`` when nothing is cached).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from seqmbo.encoders.vae import SequenceVAE, VAEConfig
from seqmbo.errors import InvalidInputError
from seqmbo.spaces.molecule import MoleculeSpace
from seqmbo.spaces.sequence import PAD

log = logging.getLogger(__name__)

CURVE_ROWS = 500  # held-out molecules decoded at each point of the learning curve


@dataclass(frozen=True)
class PretrainConfig:
    """What is pre-trained (every field is part of the cache key).

    Attributes:
        library: a dataset id (``zinc250k``) or the path of a SMILES file.
        max_molecules: at most this many library molecules (a seeded random subset; 0, the default:
            all). A step costs the same either way; on 50,000 ZINC250k molecules held-out
            reconstruction stopped at 0.36 while training went on falling, on all of them it kept
            rising (README, "Latent search on molecules").
        heldout: molecules kept out of training, to measure reconstruction.
        standardize: standardization steps of the space (see :class:`MoleculeSpace`).
        organic_only: keep only molecules whose atoms SELFIES constrains (H B C N O F P S Cl Br I).
        latent_dim, hidden: size of the codes and width of the GRUs.
        batch_size, lr: molecules per step and Adam's step size.
        beta, warmup_steps: the final KL weight and the steps over which it rises from 0.
        free_bits: per-dimension KL floor (nats).
        max_steps: training steps of a complete pre-training.
        seed: seeds the subset, the held-out split, the weights and the training noise.
    """

    library: str = "zinc250k"
    max_molecules: int = 0
    heldout: int = 2000
    standardize: tuple[str, ...] = ("neutralize",)
    organic_only: bool = True
    latent_dim: int = 56
    hidden: int = 128
    batch_size: int = 128
    lr: float = 2e-3
    beta: float = 0.01
    warmup_steps: int = 4000
    free_bits: float = 0.0
    max_steps: int = 100_000
    seed: int = 0

    def vae_config(self) -> VAEConfig:
        """The :class:`VAEConfig` of the network (a GRU VAE)."""
        return VAEConfig(arch="gru", latent_dim=self.latent_dim, hidden=self.hidden, batch_size=self.batch_size,
                         lr=self.lr, beta=self.beta, free_bits=self.free_bits, seed=self.seed)


@dataclass
class PretrainResult:
    """What :func:`pretrain` leaves: the VAE, its folder, steps done and the learning curve."""

    vae: SequenceVAE
    folder: Path
    step: int
    done: bool
    curve: list[dict] = field(default_factory=list)


def library_file(library: str) -> tuple[Path, str]:
    """The file of a dataset id or SMILES file path, and its sha256."""
    from seqmbo.data.fetch import locate, sha256_of
    from seqmbo.data.registry import DATASETS

    if library in DATASETS:
        f = DATASETS[library].files[0]
        return locate(library, f.name), f.sha256
    p = Path(library).expanduser()
    if not p.is_file():
        raise InvalidInputError(f"pretrain: library {library!r} is neither a dataset id ({', '.join(sorted(DATASETS))}) "
                                "nor a SMILES file")
    return p, sha256_of(p)


def model_dir(config: PretrainConfig, sha: str, root: Path | None = None) -> Path:
    """The cache folder of a pre-training: ``<root>/pretrained/<library>-<key>``."""
    from seqmbo import __version__
    from seqmbo.data.fetch import cache_dir

    settings = dataclasses.asdict(config)
    settings.pop("library")
    text = json.dumps({"data": sha, "settings": settings, "version": __version__}, sort_keys=True)
    name = Path(config.library).name.split(".")[0] or "library"
    return (root or cache_dir()) / "pretrained" / f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def _check(config: PretrainConfig) -> None:
    c = config
    if min(c.latent_dim, c.hidden, c.batch_size, c.max_steps, c.heldout) < 1 or c.max_molecules < 0:
        raise InvalidInputError("pretrain needs latent_dim, hidden, batch_size, max_steps, heldout >= 1 "
                                "and max_molecules >= 0")
    if c.lr <= 0 or c.beta < 0 or c.warmup_steps < 0 or c.free_bits < 0:
        raise InvalidInputError("pretrain needs lr > 0 and beta, warmup_steps, free_bits >= 0")


# ---------------------------------------------------------------------------- the prepared library
def _space_to_json(space: MoleculeSpace) -> dict:
    keys = ("alphabet", "min_length", "max_length", "standardize", "max_heavy_atoms", "max_selfies_length",
            "length_weights", "name")
    return {k: getattr(space, k) for k in keys}


def _space_from_json(d: dict) -> MoleculeSpace:
    d = dict(d)
    for k in ("alphabet", "standardize", "length_weights"):
        if d.get(k) is not None:
            d[k] = tuple(d[k])
    return MoleculeSpace(**d)


def prepare_library(config: PretrainConfig, folder: Path) -> tuple[MoleculeSpace, np.ndarray, list[str]]:
    """The space, the training token ids ``(N, L)`` (``-1`` padded) and the held-out SMILES.

    Built from the library on the first call (canonicalised, de-duplicated, filtered) and read
    back from ``folder`` afterwards.
    """
    files = folder / "space.json", folder / "train_ids.npy", folder / "heldout.txt"
    if all(f.is_file() for f in files):
        space = _space_from_json(json.loads(files[0].read_text()))
        return space, np.load(files[1]).astype(np.int64), files[2].read_text().split()
    from seqmbo.tasks.molecule_tasks import read_smiles_file

    smiles = read_smiles_file(library_file(config.library)[0])
    rng = np.random.default_rng(config.seed)
    if config.max_molecules and config.max_molecules < len(smiles):
        smiles = [smiles[i] for i in np.sort(rng.choice(len(smiles), config.max_molecules, replace=False))]
    if config.organic_only:
        from seqmbo.tasks.molecule_tasks import constrained

        smiles = [s for s in smiles if constrained(s)]
    log.info("preparing %d library molecules (canonical SMILES, SELFIES tokens)", len(smiles))
    probe = MoleculeSpace(("[C]",), 1, 10_000, tuple(config.standardize))
    prepared = probe.prepare(smiles)
    tokens = dict(zip(prepared.smiles, prepared.tokens))  # canonical SMILES -> SELFIES tokens, de-duplicated
    unique = list(tokens)
    if len(unique) < config.heldout + config.batch_size:
        raise InvalidInputError(f"pretrain: {config.library} has {len(unique)} usable molecules, fewer than "
                                f"heldout + batch_size = {config.heldout + config.batch_size}")
    order = rng.permutation(len(unique))
    heldout = [unique[i] for i in order[: config.heldout]]
    train = [tokens[unique[i]] for i in order[config.heldout :]]
    space = MoleculeSpace.from_tokens(train, standardize=config.standardize, name=Path(config.library).name)
    ids = np.full((len(train), space.max_length), PAD, dtype=np.int64)
    index = {t: i for i, t in enumerate(space.alphabet)}
    for r, toks in enumerate(train):
        ids[r, : len(toks)] = [index[t] for t in toks[: space.max_length]]
    folder.mkdir(parents=True, exist_ok=True)
    _atomic(files[0], lambda p: p.write_text(json.dumps(_space_to_json(space))))
    _atomic(files[1], lambda p: _save_npy(p, ids.astype(np.int16)))
    _atomic(files[2], lambda p: p.write_text("\n".join(heldout) + "\n"))
    return space, ids, heldout


def _atomic(path: Path, write) -> None:
    """``write(tmp)`` then rename to ``path``: a reader never sees a half-written file."""
    tmp = path.with_name(path.name + ".part")
    write(tmp)
    os.replace(tmp, path)


def _save_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.save(fh, array)


# ---------------------------------------------------------------------------- training
def pretrain(config: PretrainConfig | None = None, *, max_minutes: float | None = None, root: Path | None = None,
             device: str | torch.device = "cpu", checkpoint_minutes: float = 2.0, eval_every: int = 500,
             stop_step: int | None = None) -> PretrainResult:
    """Pre-train (or resume, or just load) the molecule VAE of ``config`` in its cache folder.

    Args:
        config: what to pre-train (default :class:`PretrainConfig`: ZINC250k).
        max_minutes: stop after this many minutes of this call (the checkpoint keeps the progress).
        root: the cache root (default ``$SEQMBO_CACHE_DIR`` or ``~/.cache/seqmbo``).
        device: where to train.
        checkpoint_minutes: interval between checkpoints.
        eval_every: steps between points of the learning curve.
        stop_step: stop when this step is reached (like an interruption; a later call resumes).

    Returns:
        The VAE (evaluation mode), its folder, the steps done, whether ``max_steps`` was reached,
        and the learning curve.
    """
    config = config or PretrainConfig()
    _check(config)
    folder = model_dir(config, library_file(config.library)[1], root)
    space, ids, heldout = prepare_library(config, folder)
    vae = SequenceVAE(space, config.vae_config(), device=device).build(config.seed)
    run = _Run(config, vae, folder, heldout[:CURVE_ROWS])
    run.resume()
    last = config.max_steps if stop_step is None else min(stop_step, config.max_steps)
    run.train(np.where(ids < 0, space.vocab_size, ids), last, max_minutes, checkpoint_minutes, max(1, eval_every))
    vae.net.eval()
    return PretrainResult(vae, folder, run.step, run.step >= config.max_steps, run.curve)


class _Run:
    """The state of one pre-training: network, optimizer, noise, step, elapsed time and curve."""

    def __init__(self, config: PretrainConfig, vae: SequenceVAE, folder: Path, probe: list[str]) -> None:
        self.config, self.vae, self.folder, self.probe = config, vae, folder, probe
        self.opt = torch.optim.Adam(vae.net.parameters(), lr=config.lr)
        self.gen = torch.Generator(device=vae.device).manual_seed(config.seed)
        self.step, self.elapsed, self.curve = 0, 0.0, []

    def resume(self) -> None:
        ckpt = self.folder / "checkpoint.pt"
        if not ckpt.is_file():
            return
        state = torch.load(ckpt, map_location=self.vae.device, weights_only=True)
        self.vae.net.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        self.gen.set_state(state["noise"].cpu() if self.vae.device.type == "cpu" else state["noise"])
        self.step, self.elapsed = int(state["step"]), float(state["elapsed"])
        self.curve = json.loads((self.folder / "meta.json").read_text())["curve"]
        log.info("resuming pre-training at step %d (%.1f min done)", self.step, self.elapsed / 60)

    def save(self, final: bool = False) -> None:
        state = {"model": self.vae.net.state_dict(), "optimizer": self.opt.state_dict(), "noise": self.gen.get_state(),
                 "step": torch.tensor(self.step), "elapsed": torch.tensor(self.elapsed)}
        _atomic(self.folder / "checkpoint.pt", lambda p: torch.save(state, p))
        from seqmbo import __version__

        meta = {"config": dataclasses.asdict(self.config), "version": __version__, "step": self.step,
                "minutes": round(self.elapsed / 60, 2), "done": self.step >= self.config.max_steps,
                "state": "done" if self.step >= self.config.max_steps else "stopped" if final else "training",
                "curve": self.curve}
        _atomic(self.folder / "meta.json", lambda p: p.write_text(json.dumps(meta, indent=1)))

    def train(self, ids: np.ndarray, last: int, max_minutes: float | None, checkpoint_minutes: float,
              eval_every: int) -> None:
        """Steps until step ``last`` or the time limit; a checkpoint every ``checkpoint_minutes`` and at the end."""
        from seqmbo.progress import bar

        c, net = self.config, self.vae.net
        data = torch.as_tensor(ids, device=self.vae.device)
        lengths = (ids < self.vae.space.vocab_size).sum(1)
        start = last_save = time.monotonic()
        base, losses, batches = self.elapsed, [], None
        net.train()
        try:
            for step in bar(range(self.step, last), "pre-training", total=c.max_steps, initial=self.step):
                if max_minutes is not None and time.monotonic() - start > 60 * max_minutes:
                    break
                epoch, pos = divmod(step, -(-len(ids) // c.batch_size))
                if batches is None or pos == 0:
                    batches = epoch_batches(lengths, c.batch_size, c.seed, epoch)
                rows = batches[pos]
                losses.append(self._step(length_batch(data, lengths, rows), step))
                self.step, self.elapsed = step + 1, base + time.monotonic() - start
                if self.step % eval_every == 0:
                    self._point(losses)
                    losses = []
                if time.monotonic() - last_save > 60 * checkpoint_minutes:
                    self.save()
                    last_save = time.monotonic()
        finally:  # an interruption (Ctrl-C) keeps the steps done
            self.save(final=True)

    def _step(self, batch: torch.Tensor, step: int) -> float:
        c = self.config
        beta = c.beta * min(1.0, step / c.warmup_steps) if c.warmup_steps else c.beta
        return train_step(self.vae, self.opt, batch, self.gen, beta)

    def _point(self, losses: list[float]) -> None:
        from seqmbo.encoders.quality import recon_accuracy

        self.vae.net.eval()
        acc = recon_accuracy(self.vae, self.probe)
        kl = float(np.mean(self.vae.kl_per_dim(self.probe)))
        self.vae.net.train()
        point = {"step": self.step, "minutes": round(self.elapsed / 60, 2), "recon_nats": round(float(np.mean(losses)), 3),
                 "kl_per_dim": round(kl, 3), "heldout_recon": round(acc, 4)}
        self.curve.append(point)
        log.info("pre-training %s", point)


def train_step(vae: SequenceVAE, opt: torch.optim.Optimizer, batch: torch.Tensor, gen: torch.Generator,
               beta: float) -> float:
    """One Adam step on reconstruction + ``beta`` KL of token ids ``batch`` ``(b, L)`` (gradient norm
    clipped to 5); returns the reconstruction loss (nats per molecule)."""
    recon, kl = vae._losses(batch, gen)
    loss = recon + beta * kl
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(vae.net.parameters(), 5.0)
    opt.step()
    return float(recon.detach())


def length_batch(data: torch.Tensor, lengths: np.ndarray, rows: np.ndarray) -> torch.Tensor:
    """Rows ``rows`` of end-padded token ids ``data`` ``(N, L)``, cut after the longest one's end token."""
    return data[torch.as_tensor(rows, device=data.device), : min(data.shape[1], int(lengths[rows].max()) + 1)]


def epoch_batches(lengths: np.ndarray, batch_size: int, seed: int, epoch: int) -> list[np.ndarray]:
    """The batches (row indices) of one epoch: shuffled, similar lengths together, in a shuffled order.

    Rows are shuffled, sorted by length within chunks of 64 batches (so a batch is cut to a
    similar length), and the batches are shuffled; the same ``(seed, epoch)`` gives the same batches.
    """
    rng = np.random.default_rng([seed, epoch])
    perm = rng.permutation(len(lengths))
    chunk = 64 * batch_size
    batches = []
    for s in range(0, len(perm), chunk):
        part = perm[s : s + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def load_pretrained(config: PretrainConfig | None = None, *, root: Path | None = None, folder: Path | None = None,
                    device: str | torch.device = "cpu", settled: bool = False) -> SequenceVAE | None:
    """The cached VAE of ``config`` (or of ``folder``), in evaluation mode; ``None`` when none is cached.

    With ``settled``, a pre-training still under way (or interrupted: its ``meta.json`` says
    ``training``) counts as not cached. The VAE's ``space`` is the library's
    :class:`MoleculeSpace`; ``vae.meta`` holds ``meta.json``.
    """
    if folder is None:
        config = config or PretrainConfig()
        try:
            folder = model_dir(config, library_file(config.library)[1], root)
        except Exception as e:  # the library itself is missing: nothing can be cached for it
            log.debug("no pre-trained VAE: %s", e)
            return None
    folder = Path(folder)
    if not (folder / "checkpoint.pt").is_file():
        return None
    meta = json.loads((folder / "meta.json").read_text())
    if settled and meta.get("state") == "training":
        return None
    config = PretrainConfig(**{**meta["config"], "standardize": tuple(meta["config"]["standardize"])})
    space = _space_from_json(json.loads((folder / "space.json").read_text()))
    vae = SequenceVAE(space, config.vae_config(), device=device).build(config.seed)
    state = torch.load(folder / "checkpoint.pt", map_location=vae.device, weights_only=True)
    vae.net.load_state_dict(state["model"])
    vae.net.eval()
    vae.meta = meta
    return vae
