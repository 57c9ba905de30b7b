"""Fine-tuning a pre-trained molecule VAE on a task's offline molecules, cached per weights and data.

A VAE pre-trained on a broad library reconstructs only part of a task's molecules, so a latent
search from their codes would not start at the molecules it was given. :func:`finetune` continues
training a copy of the VAE on those molecules for a few hundred steps (the pre-training's loss and
final KL weight, batches of similar lengths) and keeps the weights in
``$SEQMBO_CACHE_DIR/finetuned/<key>/weights.pt`` (``torch.save`` of the state dict, read back with
``weights_only=True``), where the key hashes the starting weights, the molecules, the settings
and the package version: runs of one task at several seeds share one fine-tuning.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from seqmbo.encoders.pretrained import _atomic, epoch_batches, length_batch, train_step
from seqmbo.encoders.vae import SequenceVAE
from seqmbo.errors import InvalidInputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinetuneConfig:
    """How a VAE is fine-tuned (every field is part of the cache key).

    Attributes:
        steps: Adam steps.
        lr: Adam's step size.
        batch_size: molecules per step.
        seed: seeds the batches and the training noise.
    """

    steps: int = 300
    lr: float = 1e-3
    batch_size: int = 64
    seed: int = 0


def finetune(vae: SequenceVAE, designs: Sequence[str], config: FinetuneConfig | None = None, *,
             root: Path | None = None) -> SequenceVAE:
    """A copy of ``vae`` fine-tuned on ``designs`` (loaded from the cache when it was done before).

    Args:
        vae: a fitted (pre-trained) VAE; it is left unchanged.
        designs: the molecules to fine-tune on (at least 2, all encodable; order and repeats do not matter).
        config: the settings (default :class:`FinetuneConfig`).
        root: the cache root (default ``$SEQMBO_CACHE_DIR`` or ``~/.cache/seqmbo``).

    Returns:
        The fine-tuned VAE in evaluation mode; its ``meta`` holds the pre-training's and, under
        ``"finetune"``, the settings, minutes and mean reconstruction loss of the first and last 10% of steps.

    Raises:
        InvalidInputError: fewer than 2 distinct designs, a design the VAE cannot encode, or ``steps`` < 1.
    """
    from seqmbo.data.fetch import cache_dir

    c = config or FinetuneConfig()
    if min(c.steps, c.batch_size) < 1 or c.lr <= 0:
        raise InvalidInputError(f"fine-tuning needs steps, batch_size >= 1 and lr > 0, got {c}")
    designs = sorted(set(designs))
    if len(designs) < 2:
        raise InvalidInputError(f"fine-tuning needs at least 2 distinct molecules, got {len(designs)}")
    tuned = SequenceVAE(vae.space, vae.config, device=vae.device)
    tuned.net, tuned.meta = copy.deepcopy(vae._net()), dict(vae.meta)
    folder = (root or cache_dir()) / "finetuned" / cache_key(vae, designs, c)
    if (folder / "weights.pt").is_file():
        tuned.net.load_state_dict(torch.load(folder / "weights.pt", map_location=tuned.device, weights_only=True))
        tuned.meta["finetune"] = json.loads((folder / "meta.json").read_text())
        log.info("fine-tuned VAE loaded from %s", folder)
    else:
        start = time.monotonic()
        losses = _train(tuned, designs, c)
        k = max(1, len(losses) // 10)
        tuned.meta["finetune"] = {"settings": dataclasses.asdict(c), "molecules": len(designs),
                                  "minutes": round((time.monotonic() - start) / 60, 2),
                                  "recon_nats_first": round(float(np.mean(losses[:k])), 3),
                                  "recon_nats_last": round(float(np.mean(losses[-k:])), 3)}
        folder.mkdir(parents=True, exist_ok=True)
        _atomic(folder / "weights.pt", lambda p: torch.save(tuned.net.state_dict(), p))
        _atomic(folder / "meta.json", lambda p: p.write_text(json.dumps(tuned.meta["finetune"], indent=1)))
        log.info("fine-tuned the VAE on %d molecules: %s", len(designs), tuned.meta["finetune"])
    tuned.net.eval()
    return tuned


def cache_key(vae: SequenceVAE, designs: Sequence[str], config: FinetuneConfig) -> str:
    """A hash of the VAE's weights, the (sorted, distinct) designs, the settings and the package version."""
    from seqmbo import __version__

    h = hashlib.sha256()
    for name, tensor in sorted(vae._net().state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    h.update("\n".join(sorted(set(designs))).encode())
    h.update(json.dumps({"settings": dataclasses.asdict(config), "version": __version__}, sort_keys=True).encode())
    return h.hexdigest()[:16]


def _train(vae: SequenceVAE, designs: list[str], c: FinetuneConfig) -> list[float]:
    """``c.steps`` steps on ``designs`` at the VAE's final KL weight; the reconstruction loss of each step."""
    ids = vae._ids(designs, "molecules to fine-tune on")
    lengths = (ids < vae.space.vocab_size).sum(1).cpu().numpy()
    opt = torch.optim.Adam(vae.net.parameters(), lr=c.lr)
    gen = torch.Generator(device=vae.device).manual_seed(c.seed)
    per_epoch = -(-len(ids) // c.batch_size)
    losses, batches = [], []
    vae.net.train()
    with torch.enable_grad():
        for step in range(c.steps):
            epoch, pos = divmod(step, per_epoch)
            if pos == 0:
                batches = epoch_batches(lengths, c.batch_size, c.seed, epoch)
            losses.append(train_step(vae, opt, length_batch(ids, lengths, batches[pos]), gen, vae.config.beta))
    vae.net.eval()
    return losses
