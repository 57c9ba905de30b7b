"""MC dropout (Gal & Ghahramani 2016): one network, dropout kept on at prediction.

The network trains with ordinary dropout. At prediction it makes ``passes`` stochastic passes
and reports their mean and standard deviation. The ``passes`` dropout masks are drawn once
after fitting (seeded) and shared by all designs, so a design's prediction is the same whatever
batch it arrives in, and ``forward_soft`` is a smooth (differentiable, deterministic) function
of the design — each design still sees ``passes`` independent masks, as in MC dropout.
"""

from __future__ import annotations

import torch

from seqmbo.devices import DeviceLike, seeded_generator
from seqmbo.errors import InvalidInputError
from seqmbo.proxies.ensemble import SequenceEnsemble, TrainConfig
from seqmbo.proxies.nets import MCDropout, mc_forward


class MCDropoutProxy(SequenceEnsemble):
    """A single CNN (or MLP, transformer) with MC dropout; ``predict`` gives mean and std over passes.

    Args:
        space: the sequence space.
        arch: ``"cnn"``, ``"mlp"`` or ``"transformer"``.
        dropout: the dropout probability (training and prediction).
        passes: stochastic passes ``T`` at prediction.
        train: a :class:`TrainConfig`.
        device: where the network lives (see :class:`SequenceEnsemble`).
        **net: further network options (see :class:`SequenceEnsemble`).
    """

    predict_batch = 1024

    def __init__(self, space, arch: str = "cnn", dropout: float = 0.2, passes: int = 20,
                 train: TrainConfig | None = None, device: DeviceLike = "cpu", **net) -> None:
        if not 0 < float(dropout) < 1:
            raise InvalidInputError(f"mc-dropout needs 0 < dropout < 1, got {dropout}")
        if int(passes) < 2:
            raise InvalidInputError(f"mc-dropout needs passes >= 2, got {passes}")
        super().__init__(space, members=1, arch=arch, train=train, device=device, dropout=float(dropout), **net)
        self.passes = int(passes)

    def _train(self, x: torch.Tensor, z: torch.Tensor, cfg=None) -> None:
        super()._train(x, z, cfg)
        gen = seeded_generator(self.train_cfg.seed + 7919, self.device)
        for mod in self.model.modules():
            if isinstance(mod, MCDropout):
                mod.fix_masks(self.passes, gen)

    def member_outputs(self, x: torch.Tensor) -> torch.Tensor:
        """The ``T`` passes in score units ``(n, T)`` for soft one-hot ``x`` ``(n, L, V)``; differentiable."""
        if self.model is None or self.scaler is None:
            raise InvalidInputError("the proxy must be fitted before it predicts")
        return mc_forward(self.model, x, self.passes) * self.scaler.sd + self.scaler.mu
