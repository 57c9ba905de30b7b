"""Sequence VAEs as an encoder layer: designs <-> latent codes ``(n, d)``.

:class:`SequenceVAE` wraps one of the networks of :mod:`seqmbo.encoders.vae_nets` (a
convolutional VAE over one-hot for fixed-length DNA/protein spaces, a GRU VAE over token ids for
variable-length strings, SELFIES tokens of a ``MoleculeSpace`` included) behind a small
interface: ``fit(designs)``, ``encode(designs)`` (mean codes), ``encode_dist`` (with
log-variances), ``decode(z)`` (greedy) and ``sample_prior(n, rng)``. Training anneals the KL
weight from 0 and keeps a free-bits floor per latent dimension, so that the posterior does not
collapse; :meth:`SequenceVAE.kl_per_dim` reports what each dimension carries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from seqmbo._config import with_overrides
from seqmbo.encoders.vae_nets import GRUVAE, ConvVAE
from seqmbo.errors import InvalidInputError
from seqmbo.spaces.sequence import PAD

log = logging.getLogger(__name__)

ARCHS = ("auto", "conv", "gru")
COLLAPSED_NATS = 0.02  # a latent dimension carrying less KL than this counts as collapsed


@dataclass
class VAEConfig:
    """Settings of :class:`SequenceVAE`.

    Attributes:
        arch: ``conv``, ``gru`` or ``auto`` (conv for fixed-length spaces, gru otherwise).
        latent_dim: ``d``, the size of a code.
        hidden: width of the networks.
        epochs: passes over the training designs.
        batch_size: designs per step.
        lr: Adam's step size.
        beta: the final weight of the KL term (below 1, a beta-VAE that favours exact reconstruction).
        warmup: fraction of the epochs over which the KL weight rises linearly from 0 to ``beta``.
        free_bits: per-dimension KL floor (nats): a dimension below it is not pushed further to the prior.
        max_rows: at most this many designs (a random subset) are used for training.
        seed: seeds weight initialisation and training noise.
    """

    arch: str = "auto"
    latent_dim: int = 16
    hidden: int = 64
    epochs: int = 20
    batch_size: int = 128
    lr: float = 2e-3
    beta: float = 0.2
    warmup: float = 0.3
    free_bits: float = 0.05
    max_rows: int = 20000
    seed: int = 0


@dataclass
class VAESettings:
    """The VAE settings a latent generator or proxy exposes (a base of their config dataclasses).

    Attributes:
        latent_dim: size of the codes.
        hidden: width of the VAE's networks.
        vae_epochs: VAE training epochs.
        vae_beta: final KL weight.
        vae_batch_size: VAE designs per step.
        arch: ``auto``, ``conv`` or ``gru``.
        device: where the VAE trains: ``cpu``, ``cuda`` or ``auto`` (a GPU when present).
    """

    latent_dim: int = 16
    hidden: int = 64
    vae_epochs: int = 20
    vae_beta: float = 0.2
    vae_batch_size: int = 128
    arch: str = "auto"
    device: str = "cpu"

    def vae_config(self, seed: int) -> VAEConfig:
        """The :class:`VAEConfig` of these settings, seeded with ``seed``."""
        return VAEConfig(arch=self.arch, latent_dim=self.latent_dim, hidden=self.hidden, epochs=self.vae_epochs,
                         batch_size=self.vae_batch_size, beta=self.vae_beta, seed=seed)

    def torch_device(self) -> torch.device:
        """``device`` as a :class:`torch.device` (``auto``: CUDA when available)."""
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        if self.device not in ("cpu", "cuda") and not self.device.startswith("cuda:"):
            raise InvalidInputError(f"device must be auto, cpu or cuda, got {self.device!r}")
        return torch.device(self.device)


class LatentCodes:
    """What an encoder with ``encode_dist`` (designs -> means, log-variances ``(n, d)``) derives from it."""

    def encode(self, designs: Sequence[str]) -> np.ndarray:
        """Posterior mean codes ``(n, d)`` float64."""
        return self.encode_dist(designs)[0]

    def kl_per_dim(self, designs: Sequence[str]) -> np.ndarray:
        """Mean KL to the prior of each latent dimension over ``designs`` ``(d,)`` (nats)."""
        mu, logvar = self.encode_dist(designs)
        return _kl(torch.as_tensor(mu), torch.as_tensor(logvar)).mean(0).numpy()


class SequenceVAE(LatentCodes):
    """A VAE over the designs of a space (see the module docstring).

    Args:
        space: a space with the token interface (``encode``/``decode``, ``vocab_size``, ``max_length``).
        config: the settings (default :class:`VAEConfig`).
        device: where the network lives and trains (``"cpu"``, ``"cuda"`` or a ``torch.device``).
        **overrides: individual settings (``SequenceVAE(space, latent_dim=8)``).
    """

    def __init__(self, space, config: VAEConfig | None = None, device: str | torch.device = "cpu", **overrides) -> None:
        self.config = with_overrides(config or VAEConfig(), overrides, "encoder 'vae'")
        c = self.config
        if c.arch not in ARCHS:
            raise InvalidInputError(f"encoder 'vae': arch must be one of {', '.join(ARCHS)}, got {c.arch!r}")
        if min(c.latent_dim, c.hidden, c.epochs, c.batch_size, c.max_rows) < 1 or c.lr <= 0 or c.beta < 0:
            raise InvalidInputError("encoder 'vae' needs latent_dim, hidden, epochs, batch_size, max_rows >= 1, lr > 0, beta >= 0")
        self.space, self.device = space, torch.device(device)
        self.arch = c.arch if c.arch != "auto" else ("conv" if space.is_fixed_length else "gru")
        self.net: torch.nn.Module | None = None
        self.history: list[float] = []
        self.meta: dict = {}  # a pre-trained VAE's meta.json

    def __repr__(self) -> str:
        return f"SequenceVAE({self.arch}, {self.config!r})"

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    # ------------------------------------------------------------------ tokens
    def _ids(self, designs: Sequence[str], where: str) -> torch.Tensor:
        check_designs(self.space, designs, where)
        ids = self.space.encode(list(designs))
        ids[ids == PAD] = self.space.vocab_size  # the end token
        return torch.as_tensor(ids, dtype=torch.long, device=self.device)

    def _net(self) -> torch.nn.Module:
        if self.net is None:
            raise InvalidInputError("the VAE is not fitted yet: call fit(designs) first")
        return self.net

    # ------------------------------------------------------------------ training
    def fit(self, designs: Sequence[str], seed: int | None = None) -> "SequenceVAE":
        """Train on ``designs`` (at least 2, all in the space); the same seed gives the same model.

        Args:
            designs: the training designs.
            seed: overrides ``config.seed``.

        Raises:
            InvalidInputError: fewer than 2 designs, or a design outside the space / too long for the encoder.
        """
        c = self.config
        designs = list(designs)
        if len(designs) < 2:
            raise InvalidInputError(f"the VAE needs at least 2 training designs, got {len(designs)}")
        seed = c.seed if seed is None else int(seed)
        if len(designs) > c.max_rows:
            keep = np.random.default_rng(seed).choice(len(designs), c.max_rows, replace=False)
            designs = [designs[i] for i in np.sort(keep)]
        ids = self._ids(designs, "VAE training designs")
        self.build(seed)
        gen = torch.Generator(device=self.device).manual_seed(seed)
        self.history = self._train(ids, gen)
        self._warn_if_collapsed(designs)
        return self

    def build(self, seed: int) -> "SequenceVAE":
        """A fresh, untrained network, its weights seeded with ``seed`` (global RNG untouched)."""
        c = self.config
        net_cls = ConvVAE if self.arch == "conv" else GRUVAE
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.net = net_cls(self.space.vocab_size + 1, self.space.max_length, c.latent_dim, c.hidden).to(self.device)
        return self

    def _train(self, ids: torch.Tensor, gen: torch.Generator) -> list[float]:
        c, net = self.config, self.net
        opt = torch.optim.Adam(net.parameters(), lr=c.lr)
        steps_per_epoch = -(-len(ids) // c.batch_size)
        warm = max(1, int(c.warmup * c.epochs * steps_per_epoch))
        step, history = 0, []
        net.train()
        with torch.enable_grad():
            for _ in range(c.epochs):
                perm = torch.randperm(len(ids), generator=gen, device=self.device)
                total = 0.0
                for s in range(0, len(ids), c.batch_size):
                    batch = ids[perm[s : s + c.batch_size]]
                    beta = c.beta * min(1.0, step / warm)
                    recon, kl = self._losses(batch, gen)
                    loss = recon + beta * kl
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    total += float(loss.detach()) * len(batch)
                    step += 1
                history.append(total / len(ids))
        net.eval()
        return history

    def _losses(self, batch: torch.Tensor, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Reconstruction (nats per design) and the free-bits KL (nats per design) of a batch ``(b, L)``."""
        mu, logvar = self.net.encode(batch)
        z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=gen, device=self.device)
        logits = self.net.decode_logits(z, batch)
        recon = torch.nn.functional.cross_entropy(logits.transpose(1, 2), batch, reduction="sum") / len(batch)
        kl_dim = _kl(mu, logvar).mean(0)
        return recon, torch.clamp(kl_dim, min=self.config.free_bits).sum()

    def _warn_if_collapsed(self, designs: Sequence[str]) -> None:
        kl = self.kl_per_dim(designs[:2000])
        collapsed = int((kl < COLLAPSED_NATS).sum())
        if collapsed > len(kl) / 2:
            log.warning("the VAE's posterior collapsed in %d of %d latent dimensions (KL < %.2f nats); "
                        "codes carry little information: try a smaller beta, more free_bits or more epochs",
                        collapsed, len(kl), COLLAPSED_NATS)

    # ------------------------------------------------------------------ codes
    @torch.no_grad()
    def encode_dist(self, designs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Posterior means and log-variances, each ``(n, d)`` float64."""
        net = self._net()
        ids = self._ids(designs, "designs to encode")
        out = [net.encode(ids[s : s + 4096]) for s in range(0, len(ids), 4096)]
        if not out:
            return np.zeros((0, self.latent_dim)), np.zeros((0, self.latent_dim))
        mu = torch.cat([m for m, _ in out]).double().cpu().numpy()
        return mu, torch.cat([v for _, v in out]).double().cpu().numpy()

    @torch.no_grad()
    def decode(self, z: np.ndarray, temperature: float = 0.0, generator: torch.Generator | None = None) -> list[str]:
        """Greedy (argmax) designs of codes ``z`` ``(n, d)``; fixed-length spaces never end early.

        Args:
            temperature: above 0, each token is sampled from the decoder's softmax at this temperature
                (noise from ``generator``, on the VAE's device) instead of taken greedily.
        """
        net = self._net()
        z = np.asarray(z, dtype=np.float32)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise InvalidInputError(f"decode needs codes of shape (n, {self.latent_dim}), got {z.shape}")
        v = self.space.vocab_size
        allowed = v if self.space.is_fixed_length else v + 1
        out: list[str] = []
        for s in range(0, len(z), 4096):
            ids = net.greedy(torch.as_tensor(z[s : s + 4096], device=self.device), allowed, temperature,
                             generator).cpu().numpy()
            ids[ids == v] = PAD
            out += self.space.decode(ids)
        return out

    def sample_prior(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` designs decoded from codes drawn from the prior ``N(0, I)``."""
        return self.decode(rng.standard_normal((n, self.latent_dim)))



def _kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL of ``N(mu, exp(logvar))`` to ``N(0, 1)``, elementwise ``(n, d)``."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def check_designs(space, designs: Sequence[str], where: str) -> None:
    """Raise one :class:`InvalidInputError` for the first design the encoder cannot take.

    A design must lie in the space and, as tokens, be at most ``space.max_length`` long with every
    token in the space's vocabulary (SELFIES tokens of a molecule space included).
    """
    if isinstance(designs, str):
        raise InvalidInputError(f"{where}: pass a list of designs, not one string")
    for i, d in enumerate(designs):
        why = unencodable(space, d)
        if why is not None:
            raise InvalidInputError(f"{where}: design {i + 1} ({str(d)[:40]!r}) {why}")


def encodable(space, designs: Sequence[str]) -> np.ndarray:
    """Boolean mask ``(n,)``: which designs an encoder over ``space`` can take (see :func:`check_designs`)."""
    return np.array([unencodable(space, d) is None for d in designs], dtype=bool)


def unencodable(space, design: str) -> str | None:
    """Why an encoder over ``space`` cannot take ``design`` (``None`` when it can)."""
    why = None if isinstance(design, str) and space.is_valid([design])[0] else space.problem(design)  # is_valid: memoised
    tokens_of = getattr(space, "selfies_tokens", None)
    if why is not None or not callable(tokens_of):
        return why
    toks = tokens_of(design)
    if toks is None:
        return "cannot be written as SELFIES"
    vocab = set(space.alphabet)
    unseen = [t for t in toks if t not in vocab]
    if unseen:
        return f"has SELFIES token {unseen[0]!r}, unseen by the encoder's vocabulary"
    if len(toks) > space.max_length:
        return f"has {len(toks)} tokens, more than the encoder's maximum of {space.max_length}"
    return None
