"""The networks of the sequence VAEs: a convolutional one over one-hot and a GRU one over token ids.

Both see token ids ``(n, L)`` with ids ``0..V-1`` for the space's tokens and ``V`` for the end
(padding) token, so one network serves fixed-length and variable-length spaces. Both return
logits ``(n, L, V + 1)`` from :meth:`decode_logits` (teacher forcing for the GRU) and greedy (or,
at a temperature, sampled) ids ``(n, L)`` from :meth:`greedy`.
"""

from __future__ import annotations

import torch
from torch import nn


class ConvVAE(nn.Module):
    """A convolutional encoder over one-hot ``(n, V+1, L)`` and a non-autoregressive decoder.

    Args:
        vocab: ``V + 1`` (tokens and the end token).
        length: ``L``, the longest design.
        latent_dim: ``d``.
        hidden: channels of the convolutions.
    """

    def __init__(self, vocab: int, length: int, latent_dim: int, hidden: int) -> None:
        super().__init__()
        self.vocab, self.length, self.hidden = vocab, length, hidden
        self.enc = nn.Sequential(
            nn.Conv1d(vocab, hidden, 3, padding=1), nn.ReLU(),
            nn.Conv1d(hidden, hidden, 3, padding=1), nn.ReLU(),
        )
        self.to_stats = nn.Linear(hidden * length, 2 * latent_dim)
        self.from_z = nn.Linear(latent_dim, hidden * length)
        self.dec = nn.Sequential(
            nn.ReLU(), nn.Conv1d(hidden, hidden, 3, padding=1), nn.ReLU(), nn.Conv1d(hidden, vocab, 1),
        )

    def encode(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance ``(n, d)`` of the posterior of ids ``(n, L)``."""
        x = nn.functional.one_hot(ids, self.vocab).float().transpose(1, 2)
        mu, logvar = self.to_stats(self.enc(x).flatten(1)).chunk(2, dim=-1)
        return mu, logvar.clamp(-10, 5)

    def decode_logits(self, z: torch.Tensor, ids: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(n, L, V+1)`` of codes ``z`` ``(n, d)`` (``ids`` unused: not autoregressive)."""
        h = self.from_z(z).view(-1, self.hidden, self.length)
        return self.dec(h).transpose(1, 2)

    def greedy(self, z: torch.Tensor, allowed: int, temperature: float = 0.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Ids ``(n, L)`` over the first ``allowed`` classes: argmax, or sampled at ``temperature`` > 0."""
        return pick(self.decode_logits(z)[..., :allowed], temperature, generator)


class GRUVAE(nn.Module):
    """A GRU encoder over token embeddings and an autoregressive GRU decoder conditioned on ``z``.

    Args:
        vocab: ``V + 1`` (tokens and the end token); a start token ``V + 1`` is added inside.
        length: ``L``, the longest design.
        latent_dim: ``d``.
        hidden: embedding and GRU width.
    """

    def __init__(self, vocab: int, length: int, latent_dim: int, hidden: int) -> None:
        super().__init__()
        self.vocab, self.length = vocab, length
        self.embed = nn.Embedding(vocab + 1, hidden)
        self.enc = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.to_stats = nn.Linear(2 * hidden, 2 * latent_dim)
        self.z_to_h = nn.Linear(latent_dim, hidden)
        self.dec = nn.GRU(hidden + latent_dim, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def encode(self, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance ``(n, d)`` of the posterior of ids ``(n, L)``.

        The encoder reads each design up to and including its first end token, so a code does not
        depend on how much padding follows (batches may be cut to their longest design).
        """
        ended = (ids == self.vocab - 1).cumsum(1) > 0
        lengths = ((~ended).sum(1) + 1).clamp(max=ids.shape[1]).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.embed(ids), lengths, batch_first=True, enforce_sorted=False)
        _, h = self.enc(packed)  # h: (2, n, hidden)
        mu, logvar = self.to_stats(torch.cat([h[0], h[1]], dim=-1)).chunk(2, dim=-1)
        return mu, logvar.clamp(-10, 5)

    def decode_logits(self, z: torch.Tensor, ids: torch.Tensor | None = None) -> torch.Tensor:
        """Teacher-forced logits ``(n, L, V+1)`` of targets ``ids`` ``(n, L)`` given codes ``z`` ``(n, d)``."""
        start = torch.full((ids.shape[0], 1), self.vocab, dtype=ids.dtype, device=ids.device)
        inp = self.embed(torch.cat([start, ids[:, :-1]], dim=1))
        zs = z.unsqueeze(1).expand(-1, ids.shape[1], -1)
        h0 = torch.tanh(self.z_to_h(z)).unsqueeze(0)
        y, _ = self.dec(torch.cat([inp, zs], dim=-1), h0)
        return self.out(y)

    def greedy(self, z: torch.Tensor, allowed: int, temperature: float = 0.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Ids ``(n, L)``, one step at a time, over the first ``allowed`` classes: argmax, or sampled at
        ``temperature`` > 0 (noise from ``generator``)."""
        n = z.shape[0]
        tok = torch.full((n,), self.vocab, dtype=torch.long, device=z.device)
        h = torch.tanh(self.z_to_h(z)).unsqueeze(0)
        out = []
        for _ in range(self.length):
            y, h = self.dec(torch.cat([self.embed(tok), z], dim=-1).unsqueeze(1), h)
            tok = pick(self.out(y[:, 0])[:, :allowed], temperature, generator)
            out.append(tok)
        return torch.stack(out, dim=1)


def pick(logits: torch.Tensor, temperature: float, generator: torch.Generator | None) -> torch.Tensor:
    """Class ids ``(...)`` of ``logits`` ``(..., C)``: the argmax at ``temperature`` 0, else a sample of
    ``softmax(logits / temperature)``."""
    if temperature <= 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    flat = torch.multinomial(probs.reshape(-1, probs.shape[-1]), 1, generator=generator)
    return flat.reshape(probs.shape[:-1])
