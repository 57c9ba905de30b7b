"""A graph encoder into the latent space of a SELFIES VAE: molecule graph -> code -> SELFIES decoder.

:class:`GraphVAE` puts a torch-geometric GINE encoder (:class:`~seqmbo.encoders.graphs.GraphTrunk`
over the RDKit graph: atoms, bonds, aromaticity, charges) in front of the decoder of a fitted
:class:`~seqmbo.encoders.vae.SequenceVAE` over a molecule space. The decoder stays frozen; the
graph encoder learns, per molecule, a Gaussian posterior that

- matches the string encoder's posterior (squared error of the means and of the log-variances,
  summed over dimensions: a KL to the string posterior would explode where a VAE trained with a
  small KL weight has very sharp posteriors), so a molecule given as a graph and given as a
  string land close in one latent space, and
- decodes back to the molecule (teacher-forced cross-entropy of the frozen decoder on codes
  sampled from the graph posterior).

It has the interface of the string VAE (``encode``, ``encode_dist``, ``decode``,
``sample_prior``, ``kl_per_dim``, ``space``, ``latent_dim``), so latent search and the quality
metrics take either.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from seqmbo._config import with_overrides
from seqmbo.encoders.vae import LatentCodes, SequenceVAE, check_designs
from seqmbo.errors import InvalidInputError

log = logging.getLogger(__name__)


@dataclass
class GraphEncoderConfig:
    """Settings of :class:`GraphVAE`'s encoder.

    Attributes:
        hidden, layers: width and depth of the GINE network.
        epochs, batch_size, lr: training passes, molecules per step, Adam's step size.
        recon_weight: weight of the decoder's reconstruction term next to the KL to the string posterior.
        max_minutes: stop training after this many minutes (``None``: no limit).
        seed: seeds the weights, batches and sampling noise.
    """

    hidden: int = 128
    layers: int = 4
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    recon_weight: float = 1.0
    max_minutes: float | None = None
    seed: int = 0


class _GraphEncoderNet(nn.Module):
    def __init__(self, hidden: int, layers: int, latent_dim: int) -> None:
        super().__init__()
        from seqmbo.encoders.graphs import GraphTrunk

        self.trunk = GraphTrunk(hidden, layers)
        self.to_stats = nn.Linear(2 * hidden, 2 * latent_dim)

    def forward(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.to_stats(self.trunk(batch)).chunk(2, dim=-1)
        return mu, logvar.clamp(-10, 5)


class GraphVAE(LatentCodes):
    """A GINE graph encoder and the frozen SELFIES decoder of ``vae`` (see the module docstring).

    Args:
        vae: a fitted :class:`SequenceVAE` over a molecule space.
        config: the encoder's settings (default :class:`GraphEncoderConfig`).
        **overrides: individual settings (``GraphVAE(vae, epochs=5)``).
    """

    def __init__(self, vae: SequenceVAE, config: GraphEncoderConfig | None = None, **overrides) -> None:
        if getattr(vae.space, "kind", None) != "molecule" or vae.net is None:
            raise InvalidInputError("a graph encoder needs a fitted VAE over a molecule space")
        self.config = with_overrides(config or GraphEncoderConfig(), overrides, "graph encoder")
        c = self.config
        if min(c.hidden, c.layers, c.epochs, c.batch_size) < 1 or c.lr <= 0 or c.recon_weight < 0:
            raise InvalidInputError("graph encoder needs hidden, layers, epochs, batch_size >= 1, lr > 0, recon_weight >= 0")
        self.vae, self.space, self.device = vae, vae.space, vae.device
        self.net: _GraphEncoderNet | None = None
        self.history: list[float] = []

    @property
    def latent_dim(self) -> int:
        return self.vae.latent_dim

    def _graphs(self, designs: Sequence[str], where: str):
        from seqmbo.encoders.graphs import GraphSet, smiles_to_graphs
        from seqmbo.spaces.molecule import parser_of

        check_designs(self.space, designs, where)
        return GraphSet(smiles_to_graphs(list(designs), parser_of(self.space)))

    def fit(self, designs: Sequence[str]) -> "GraphVAE":
        """Train the graph encoder on ``designs`` (at least 2, all encodable by the string VAE).

        Raises:
            InvalidInputError: fewer than 2 designs, or one the string VAE cannot take.
        """
        c = self.config
        designs = list(designs)
        if len(designs) < 2:
            raise InvalidInputError(f"the graph encoder needs at least 2 training designs, got {len(designs)}")
        graphs = self._graphs(designs, "graph encoder training designs")
        ids = self.vae._ids(designs, "graph encoder training designs")
        mu_s, logvar_s = (torch.as_tensor(a, dtype=torch.float32, device=self.device) for a in self.vae.encode_dist(designs))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(c.seed)
            self.net = _GraphEncoderNet(c.hidden, c.layers, self.latent_dim).to(self.device)
        gen = torch.Generator(device=self.device).manual_seed(c.seed)
        decoder = self.vae.net
        decoder.requires_grad_(False)
        try:
            self.history = self._train(graphs, ids, mu_s, logvar_s, gen)
        finally:
            decoder.requires_grad_(True)
        self.net.eval()
        return self

    def _train(self, graphs, ids, mu_s, logvar_s, gen) -> list[float]:
        c, net = self.config, self.net
        opt = torch.optim.Adam(net.parameters(), lr=c.lr)
        start, history = time.monotonic(), []
        net.train()
        with torch.enable_grad():
            for _ in range(c.epochs):
                perm = torch.randperm(len(ids), generator=gen, device=self.device)
                total = 0.0
                for s in range(0, len(ids), c.batch_size):
                    rows = perm[s : s + c.batch_size]
                    loss = self._loss(graphs[rows.cpu()].to(self.device), ids[rows], mu_s[rows], logvar_s[rows], gen)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    total += float(loss.detach()) * len(rows)
                history.append(total / len(ids))
                if c.max_minutes is not None and time.monotonic() - start > 60 * c.max_minutes:
                    break
        return history

    def _loss(self, batch, ids, mu_s, logvar_s, gen) -> torch.Tensor:
        """Squared error to the string posterior (means and log-variances) plus the weighted reconstruction."""
        mu, logvar = self.net(batch)
        match = ((mu - mu_s).pow(2) + (logvar - logvar_s).pow(2)).sum(1).mean()
        if not self.config.recon_weight:
            return match
        z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=gen, device=self.device)
        cut = min(ids.shape[1], int((ids < self.space.vocab_size).sum(1).max()) + 1)
        logits = self.vae.net.decode_logits(z, ids[:, :cut])
        recon = nn.functional.cross_entropy(logits.transpose(1, 2), ids[:, :cut], reduction="sum") / len(ids)
        return match + self.config.recon_weight * recon

    # ------------------------------------------------------------------ the VAE interface
    @torch.no_grad()
    def encode_dist(self, designs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Graph posterior means and log-variances, each ``(n, d)`` float64."""
        if self.net is None:
            raise InvalidInputError("the graph encoder is not fitted yet: call fit(designs) first")
        if not len(designs):
            return np.zeros((0, self.latent_dim)), np.zeros((0, self.latent_dim))
        graphs = self._graphs(designs, "designs to encode")
        out = [self.net(graphs[s : s + 1024].to(self.device)) for s in range(0, len(graphs), 1024)]
        mu = torch.cat([m for m, _ in out]).double().cpu().numpy()
        return mu, torch.cat([v for _, v in out]).double().cpu().numpy()

    def decode(self, z: np.ndarray, temperature: float = 0.0, generator: torch.Generator | None = None) -> list[str]:
        """SMILES decoded from codes ``(n, d)`` by the string VAE's decoder (see :meth:`SequenceVAE.decode`)."""
        return self.vae.decode(z, temperature, generator)

    def sample_prior(self, n: int, rng: np.random.Generator) -> list[str]:
        """``n`` designs decoded from prior codes (the decoder's prior: the same as the string VAE's)."""
        return self.vae.sample_prior(n, rng)
