"""Relaxed one-hot designs: logits ``θ`` ``(n, L, V)`` that a soft one-hot is made from, and back.

One module serves every method that ascends a proxy on relaxed designs (the ``gradient``
generator, the particles of a COM proxy):

- :func:`smoothed_logits`: logits of a hard one-hot with ``smoothing`` on each letter
  (Design-Bench's ``soft_interpolation``), whose softmax gives the smoothed one-hot back;
- :func:`relax`: ``softmax(θ/τ)``, a Gumbel-softmax sample, or the hard one-hot of ``argmax θ``
  with the softmax's gradient (straight-through), zero at padding;
- :func:`present_mask` and :func:`hard_ids`: which positions hold a letter, and the argmax ids.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from seqmbo.spaces.sequence import PAD

RELAXATIONS = ("softmax", "gumbel", "straight-through")


def smoothed_logits(x: torch.Tensor, smoothing: float = 0.6) -> torch.Tensor:
    """Logits ``(n, L, V)`` of one-hot ``x`` with ``smoothing`` on each letter (``(1 - smoothing)/(V - 1)``
    on the others); ``softmax`` of them gives the smoothed one-hot back. Padding rows stay zero."""
    v = x.shape[-1]
    if v == 1:
        return torch.zeros_like(x)
    other = (1.0 - smoothing) / (v - 1)
    return x * math.log(smoothing) + (1 - x) * math.log(other)


def present_mask(x: torch.Tensor) -> torch.Tensor:
    """``(n, L, 1)`` bool: positions of one-hot ``x`` ``(n, L, V)`` that hold a letter (not padding)."""
    return x.sum(-1, keepdim=True) > 0


def relax(theta: torch.Tensor, present: torch.Tensor | None = None, kind: str = "softmax",
          temperature: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """A soft one-hot ``(n, L, V)`` of logits ``theta``, zero where ``present`` ``(n, L, 1)`` is false.

    Args:
        theta: the logits.
        present: mask of the positions that hold a letter (``None``: all).
        kind: ``softmax`` (``softmax(θ/τ)``), ``gumbel`` (a Gumbel-softmax sample, noise from
            ``generator``) or ``straight-through`` (hard one-hot forward, softmax gradient).
        temperature: ``τ``.
        generator: source of the Gumbel noise.
    """
    logits = theta
    if kind == "gumbel":
        u = torch.rand(theta.shape, generator=generator, device=theta.device).clamp(1e-10, 1 - 1e-10)
        logits = theta - torch.log(-torch.log(u))
    y = torch.softmax(logits / temperature if temperature != 1.0 else logits, dim=-1)
    if kind == "straight-through":
        hard = torch.nn.functional.one_hot(y.argmax(-1), y.shape[-1]).to(y.dtype)
        y = hard + y - y.detach()
    return y if present is None else y * present


def hard_ids(theta: torch.Tensor, present: torch.Tensor) -> np.ndarray:
    """Argmax token ids ``(n, L)`` of logits ``theta``, :data:`PAD` where ``present`` is false."""
    ids = theta.detach().argmax(-1).cpu().numpy()
    ids[~present.squeeze(-1).bool().cpu().numpy()] = PAD
    return ids
