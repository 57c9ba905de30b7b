"""Deep ensembles of sequence networks on one-hot input (the default proxy for sequences)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from seqmbo.errors import InvalidInputError
from seqmbo.proxies.base import Prediction, Standardizer
from seqmbo.proxies.nets import GroupedCNN, GroupedMLP

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    """How a network proxy is trained (MSE on standardized scores, Adam)."""

    epochs: int = 10
    min_steps: int = 500  # small datasets get more epochs: at least this many optimizer steps
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 0.0
    bootstrap: bool = False  # each member sees a bootstrap resample (Poisson(1) weights)
    seed: int = 0


def train_members(model: torch.nn.Module, x: torch.Tensor, z: torch.Tensor, cfg: TrainConfig) -> None:
    """Fit a member-batched ``model`` (output ``(n, M)``) to targets ``z`` ``(n,)`` by weighted MSE."""
    gen = torch.Generator().manual_seed(cfg.seed)
    n = x.shape[0]
    m = model(x[:1]).shape[1]
    weights = torch.poisson(torch.ones(n, m), generator=gen) if cfg.bootstrap else torch.ones(n, m)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    steps_per_epoch = -(-n // cfg.batch_size)
    epochs = max(cfg.epochs, -(-cfg.min_steps // steps_per_epoch))
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for start in range(0, n, cfg.batch_size):
            idx = perm[start : start + cfg.batch_size]
            out = model(x[idx])
            w = weights[idx]
            loss = (w * (out - z[idx, None]) ** 2).sum() / w.sum().clamp_min(1.0)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    model.eval()


class SequenceEnsemble:
    """A deep ensemble of ``members`` CNNs (or MLPs) over one-hot designs; mean and std across members.

    Args:
        space: the sequence space (gives ``one_hot``).
        members: ensemble size (1 gives a single network, ``std = None``).
        arch: ``"cnn"`` or ``"mlp"``.
        train: a :class:`TrainConfig`.
        **net: network options (``channels``, ``kernel``, ``hidden``, ``dropout``, ``layers``).
    """

    def __init__(self, space, members: int = 5, arch: str = "cnn", train: TrainConfig | None = None, **net) -> None:
        if members < 1:
            raise InvalidInputError(f"an ensemble needs at least 1 member, got {members}")
        if arch not in ("cnn", "mlp"):
            raise InvalidInputError(f"unknown network {arch!r}; use 'cnn' or 'mlp'")
        self.space, self.members, self.arch = space, members, arch
        self.train_cfg = train or TrainConfig()
        self.net_options = net
        self.model: torch.nn.Module | None = None
        self.scaler: Standardizer | None = None

    def _build(self) -> torch.nn.Module:
        L, V = self.space.max_length, self.space.vocab_size
        if self.arch == "cnn":
            return GroupedCNN(L, V, self.members, **self.net_options)
        return GroupedMLP(L * V, self.members, **self.net_options)

    def fit(self, designs: Sequence[str], y: np.ndarray) -> "SequenceEnsemble":
        y = np.asarray(y, dtype=np.float64)
        if len(designs) != y.shape[0] or y.shape[0] == 0:
            raise InvalidInputError(f"fit needs as many scores as designs (>0), got {len(designs)} and {y.shape[0]}")
        torch.manual_seed(self.train_cfg.seed)
        self.model = self._build()
        self.scaler = Standardizer.fit(y)
        x = self.space.one_hot(list(designs))
        z = torch.as_tensor(self.scaler.forward(y), dtype=torch.float32)
        train_members(self.model, x, z, self.train_cfg)
        return self

    def member_outputs(self, x: torch.Tensor) -> torch.Tensor:
        """Member predictions in score units ``(n, M)`` from (soft) one-hot ``x`` ``(n, L, V)``; differentiable."""
        if self.model is None or self.scaler is None:
            raise InvalidInputError("the proxy must be fitted before it predicts")
        return self.model(x) * self.scaler.sd + self.scaler.mu

    def forward_soft(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Mean and std ``(n,)`` across members for soft one-hot ``x``; differentiable."""
        out = self.member_outputs(x)
        std = out.std(dim=1, unbiased=False) if out.shape[1] > 1 else None
        return out.mean(dim=1), std

    def predict(self, designs: Sequence[str], batch_size: int = 8192) -> Prediction:
        means, stds = [], []
        with torch.no_grad():
            for s in range(0, len(designs), batch_size):
                m, sd = self.forward_soft(self.space.one_hot(list(designs[s : s + batch_size])))
                means.append(m.numpy())
                if sd is not None:
                    stds.append(sd.numpy())
        mean = np.concatenate(means).astype(np.float64) if means else np.zeros(0)
        std = np.concatenate(stds).astype(np.float64) if stds else None
        return Prediction(mean, std)
