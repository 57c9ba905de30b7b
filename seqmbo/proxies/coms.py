"""Conservative objective models (COMs; Trabucco, Kumar, Geng & Levine, ICML 2021).

A COM is a regression network trained to be pessimistic where an optimizer would take it.
Each training batch adds to the MSE a conservative term

    alpha * (E_{x ~ mu}[f(x)] - E_{x ~ D}[f(x)])

where ``D`` is the batch and ``mu`` the designs found by ``particle_steps`` steps of gradient
ascent on ``f`` itself, started from the batch's designs. Minimising it pushes the model's
predictions down exactly where its own gradient ascent would lead and up on the data.
``alpha`` is a Lagrange multiplier tuned by dual descent so the gap stays at or below ``tau``
(minimise ``alpha * (tau - gap)`` over ``log alpha``): it grows while the ascended designs are
predicted more than ``tau`` above the data and shrinks otherwise.

Discrete designs are relaxed as in the paper's discrete tasks: a design is the logits ``θ`` of
its smoothed one-hot (``smoothing`` on its letter, the rest shared by the others — Design-Bench's
``soft_interpolation = 0.6``), and the network sees ``softmax(θ)``, a soft one-hot ``(n, L, V)``.
Ascent is plain gradient ascent on ``θ`` with step ``particle_lr`` (default
``0.05 * sqrt(L * (V - 1))``, the paper's 0.05 scaled by the root of the logit dimension) on the
network's standardized prediction; the paper's defaults ``tau = 0.5`` (standardized units),
``alpha`` starting at 1 with Adam at 0.01 on ``log alpha``, 50 ascent steps.

Differences from the paper's code: the network reads the smoothed one-hot (``softmax`` of the
logits) rather than standardized logits — hard designs pass through the same smoothing
(:class:`SmoothedInput`), so data and particles live in one representation, as in the paper;
it is smaller (an MLP of 2 x 256 rather than 2 x 2048: CPU budget); it trains for this
package's :class:`~seqmbo.proxies.ensemble.TrainConfig` steps (batch 128, Adam 1e-3) rather
than 50 epochs at batch 32, and ascends 32 designs of each batch (``particle_batch``: the
paper's batch size) rather than all of it. A COM is just a proxy (``fit``, ``predict``,
``forward_soft``), so every generator can use it; it has one network, so ``std`` is ``None``
(``members > 1`` trains several conservative networks and gives their spread).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from seqmbo._config import with_overrides
from seqmbo.devices import DeviceLike
from seqmbo.encoders.relaxation import present_mask, relax, smoothed_logits
from seqmbo.errors import InvalidInputError
from seqmbo.proxies.ensemble import SequenceEnsemble, TrainConfig, train_members


@dataclass
class ComConfig:
    """The conservative part of a COM.

    Attributes:
        tau: the allowed overestimation gap, in standardized score units (paper: 0.5).
        alpha: the initial Lagrange multiplier (paper: 1.0).
        alpha_lr: Adam step on ``log alpha`` (paper: 0.01).
        particle_steps: gradient-ascent steps that make the negatives (paper: 50).
        particle_lr: ascent step on the logits (default ``0.05 * sqrt(L * (V - 1))``).
        smoothing: probability on a design's own letter when it becomes logits (paper: 0.6).
        particle_batch: how many of a batch's designs are ascended (paper: its whole batch of 32;
            here the first 32 of each shuffled batch of 128; ``0``: all).
    """

    tau: float = 0.5
    alpha: float = 1.0
    alpha_lr: float = 0.01
    particle_steps: int = 50
    particle_lr: float | None = None
    smoothing: float = 0.6
    particle_batch: int = 32


class SmoothedInput(torch.nn.Module):
    """``net`` applied to smoothed one-hot input: ``smoothing * x + (1 - smoothing)/(V - 1) * (1 - x)``
    at letters (padding rows stay zero). A hard one-hot design thus reaches ``net`` exactly as the
    start of its ascent, ``softmax(smoothed_logits(x))``, as in the paper where data and particles
    share the logit representation."""

    def __init__(self, net: torch.nn.Module, smoothing: float) -> None:
        super().__init__()
        self.net, self.smoothing = net, smoothing

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        v = x.shape[-1]
        if v == 1:
            return self.net(x)
        present = x.sum(-1, keepdim=True)
        other = (1.0 - self.smoothing) / (v - 1)
        return self.net(self.smoothing * x + other * (present - x))


class ConservativePenalty:
    """The conservative term and its dual variable, called once per training batch."""

    def __init__(self, cfg: ComConfig, particle_lr: float, device: torch.device | str = "cpu") -> None:
        self.cfg, self.particle_lr = cfg, particle_lr
        self.log_alpha = torch.tensor(math.log(cfg.alpha), requires_grad=True, device=device)
        self.alpha_opt = torch.optim.Adam([self.log_alpha], lr=cfg.alpha_lr)
        self.history: list[tuple[float, float]] = []  # (gap, alpha) per batch

    @property
    def alpha(self) -> float:
        return float(self.log_alpha.detach().exp())

    def ascend(self, model: SmoothedInput, x: torch.Tensor) -> torch.Tensor:
        """Inputs of ``model.net`` ``(k, L, V)`` after ``particle_steps`` ascent steps on the logits
        of one-hot ``x`` (no graph kept)."""
        present = present_mask(x).to(x.dtype)
        theta = smoothed_logits(x, self.cfg.smoothing).detach()
        was_training = model.training
        model.eval()
        for _ in range(self.cfg.particle_steps):
            theta.requires_grad_(True)
            score = model.net(relax(theta, present)).mean(1).sum()
            (grad,) = torch.autograd.grad(score, theta)
            theta = (theta + self.particle_lr * grad).detach()
        model.train(was_training)
        return relax(theta, present).detach()

    def __call__(self, model: torch.nn.Module, x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        k = self.cfg.particle_batch
        neg = model.net(self.ascend(model, x[:k] if k > 0 else x))  # (k, M)
        gap = neg.mean() - out.mean()
        # dual descent: alpha grows while gap > tau
        alpha_loss = self.log_alpha.exp() * (self.cfg.tau - gap.detach())
        self.alpha_opt.zero_grad(set_to_none=True)
        alpha_loss.backward()
        self.alpha_opt.step()
        self.history.append((float(gap.detach()), self.alpha))
        return self.log_alpha.exp().detach() * gap


class ConservativeObjectiveModel(SequenceEnsemble):
    """A COM over one-hot sequences: ``fit`` adds the conservative term, the rest is a network proxy.

    Args:
        space: the sequence space.
        arch: ``"mlp"`` (the paper's choice), ``"cnn"`` or ``"transformer"``.
        members: networks trained together, each conservative (1: ``std`` is ``None``).
        train: a :class:`TrainConfig`.
        conservative: a :class:`ComConfig`.
        device: where the networks live (see :class:`SequenceEnsemble`).
        **net: network options (see :class:`SequenceEnsemble`).

    Attributes:
        penalty: after ``fit``, the :class:`ConservativePenalty` with ``history`` of (gap, alpha).
    """

    def __init__(self, space, arch: str = "mlp", members: int = 1, train: TrainConfig | None = None,
                 conservative: ComConfig | None = None, device: DeviceLike = "cpu", **net) -> None:
        super().__init__(space, members=members, arch=arch, train=train, device=device, **net)
        self.conservative = conservative or ComConfig()
        c = self.conservative
        if c.particle_steps < 1 or c.tau < 0 or c.alpha <= 0 or not 0 < c.smoothing < 1:
            raise InvalidInputError(
                f"com needs particle_steps >= 1, tau >= 0, alpha > 0 and 0 < smoothing < 1, got {c}")
        self.penalty: ConservativePenalty | None = None

    def _build(self) -> torch.nn.Module:
        return SmoothedInput(super()._build(), self.conservative.smoothing)

    @property
    def default_particle_lr(self) -> float:
        return 0.05 * math.sqrt(self.space.max_length * max(1, self.space.vocab_size - 1))

    def _train(self, x: torch.Tensor, z: torch.Tensor, cfg=None) -> None:
        lr = self.conservative.particle_lr or self.default_particle_lr
        self.penalty = ConservativePenalty(self.conservative, lr, self.device)
        train_members(self.model, x, z, cfg or self.train_cfg, penalty=self.penalty)


def make_com(space, train: TrainConfig, device: DeviceLike = "cpu", **options) -> ConservativeObjectiveModel:
    """A COM from flat options: :class:`ComConfig` keys go to the conservative part, the rest to the network."""
    keys = set(ComConfig.__dataclass_fields__)
    com = with_overrides(ComConfig(), {k: v for k, v in options.items() if k in keys}, "proxy 'com'")
    net = {k: v for k, v in options.items() if k not in keys}
    return ConservativeObjectiveModel(space, arch=net.pop("arch", "mlp"), members=int(net.pop("members", 1)),
                                      train=train, conservative=com, device=device, **net)
