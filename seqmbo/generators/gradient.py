"""Relaxed gradient ascent on the design's logits through a differentiable proxy reward.

Design-Bench's gradient-ascent baseline for discrete tasks, on this package's interfaces: each
of the ``seed_top`` best offline designs becomes logits ``θ`` ``(L, V)`` (its smoothed one-hot,
``smoothing`` on its letter, plus a little Gaussian noise so that positions do not all flip at
the same step); ``θ`` climbs ``reward.soft(relax(θ))`` for ``steps`` steps (Adam, or plain
gradient ascent), where ``relax`` is ``softmax(θ/τ)``, a Gumbel-softmax sample, or the hard
one-hot of ``argmax θ`` with the softmax's gradient (straight-through). The argmax design of every
start at every step is collected; the distinct ones are scored with the (non-relaxed) reward,
which also applies validity and support, and returned best first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from seqmbo._config import with_overrides
from seqmbo.data.dataset import Dataset
from seqmbo.devices import DeviceLike, resolve_device, seeded_generator
from seqmbo.encoders.relaxation import RELAXATIONS, hard_ids, present_mask, relax, smoothed_logits
from seqmbo.errors import InvalidInputError
from seqmbo.generators.base import GeneratorBase, Reward
OPTIMIZERS = ("adam", "sgd")


@dataclass
class GradientConfig:
    """Settings of :class:`GradientGenerator`.

    Attributes:
        seed_top: the ascent starts from the best ``seed_top`` offline designs (by score).
        steps: ascent steps per start.
        lr: step size (Adam's, or plain gradient ascent's on the reward in score units).
        optimizer: ``adam`` or ``sgd`` (plain gradient ascent).
        relax: ``softmax``, ``gumbel`` (Gumbel-softmax samples) or ``straight-through``.
        temperature: ``τ`` of the softmax.
        smoothing: probability on a start design's letters in its initial logits (Design-Bench: 0.6).
        init_noise: standard deviation of Gaussian noise added to the initial logits.
        batch_size: starts ascended together.
    """

    seed_top: int = 128
    steps: int = 100
    lr: float = 0.05
    optimizer: str = "adam"
    relax: str = "softmax"
    temperature: float = 1.0
    smoothing: float = 0.6
    init_noise: float = 0.1
    batch_size: int = 512


class GradientGenerator(GeneratorBase):
    """Gradient ascent on relaxed designs, guided by ``reward.soft`` (see the module docstring).

    Args:
        config: the settings (default :class:`GradientConfig`).
        device: where the relaxed designs and the ascent live (``"auto"``, ``"cpu"``, ``"cuda"``);
            the proxy's ``forward_soft`` receives them there (a proxy on another device moves them).
        **overrides: individual settings (``GradientGenerator(steps=200, relax="gumbel")``).
    """


    def __init__(self, config: GradientConfig | None = None, *, device: DeviceLike = "cpu", **overrides) -> None:
        self.config = with_overrides(config or GradientConfig(), overrides, "generator 'gradient'")
        self.device = resolve_device(device)
        c = self.config
        if c.relax not in RELAXATIONS:
            raise InvalidInputError(f"generator 'gradient': relax must be one of {', '.join(RELAXATIONS)}, got {c.relax!r}")
        if c.optimizer not in OPTIMIZERS:
            raise InvalidInputError(f"generator 'gradient': optimizer must be 'adam' or 'sgd', got {c.optimizer!r}")
        if c.seed_top < 1 or c.steps < 0 or c.batch_size < 1 or c.temperature <= 0 or c.lr <= 0:
            raise InvalidInputError(
                "generator 'gradient' needs seed_top >= 1, steps >= 0, batch_size >= 1, temperature > 0, lr > 0")
        if not 0 < c.smoothing < 1:
            raise InvalidInputError(f"generator 'gradient': smoothing must lie in (0, 1), got {c.smoothing}")

    def __repr__(self) -> str:
        return f"GradientGenerator({self.config!r})"

    def propose(self, reward: Reward, n: int, dataset: Dataset, rng: np.random.Generator) -> list[str]:
        """Distinct designs met along the ascent, best reward first (novel ones before offline ones).

        Raises:
            InvalidInputError: the reward has no differentiable ``soft`` or the space is not a sequence space.
        """
        soft = _soft_reward(reward)
        space = dataset.space
        if not callable(getattr(space, "one_hot", None)):
            raise InvalidInputError(
                f"generator 'gradient' needs a sequence space with one-hot designs, got {type(space).__name__}")
        starts, _ = dataset.top(self.config.seed_top)
        trajectory = self.ascend(soft, starts, space, rng)
        pool = list(dict.fromkeys(d for step in trajectory for d in step))
        r = np.asarray(reward(pool), dtype=np.float64)
        order = np.argsort(-np.where(np.isnan(r), -np.inf, r), kind="stable")
        offline = set(dataset.designs)
        ranked = [pool[i] for i in order]
        novel = [d for d, v in zip(ranked, r[order]) if d not in offline and np.isfinite(v)]
        if len(novel) >= n:
            return novel
        rest = [d for d in ranked if d in offline]
        if len(novel) + len(rest) < n:  # pad with the best offline designs
            taken = set(rest)
            rest += [d for d in dataset.top(len(dataset))[0] if d not in taken][: n - len(novel) - len(rest)]
        return novel + rest[: n - len(novel)]

    def ascend(self, soft, starts: list[str], space, rng: np.random.Generator) -> list[list[str]]:
        """Run the ascent from ``starts``; the argmax designs of every start at steps ``0..steps``.

        Args:
            soft: differentiable reward, soft one-hot ``(k, L, V)`` -> ``(k,)``.
            starts: the start designs.
            space: their sequence space.
            rng: source of the initial noise and Gumbel samples.

        Returns:
            ``steps + 1`` lists, each with one design per start (step 0: the starts, rounded).
        """
        cfg = self.config
        gen = seeded_generator(int(rng.integers(0, 2**63 - 1)), self.device)
        per_step: list[list[str]] = [[] for _ in range(cfg.steps + 1)]
        with torch.enable_grad():
            for s in range(0, len(starts), cfg.batch_size):
                chunk = self._ascend_chunk(soft, starts[s : s + cfg.batch_size], space, gen)
                for t, designs in enumerate(chunk):
                    per_step[t].extend(designs)
        return per_step

    def _ascend_chunk(self, soft, starts: list[str], space, gen: torch.Generator) -> list[list[str]]:
        cfg = self.config
        x0 = space.one_hot(starts).to(self.device)  # (k, L, V); designs come back in _argmax
        present = present_mask(x0)  # (k, L, 1)
        theta = smoothed_logits(x0, cfg.smoothing)
        noise = torch.randn(theta.shape, generator=gen, device=theta.device)
        theta = (theta + cfg.init_noise * noise).requires_grad_(True)
        opt = (torch.optim.Adam([theta], lr=cfg.lr, maximize=True) if cfg.optimizer == "adam"
               else torch.optim.SGD([theta], lr=cfg.lr, maximize=True))
        out = [space.decode(hard_ids(theta, present))]
        for _ in range(cfg.steps):
            x = relax(theta, present, cfg.relax, cfg.temperature, gen)
            r = soft(x)
            if not isinstance(r, torch.Tensor) or r.shape != (len(starts),):
                raise InvalidInputError(f"reward.soft must return a tensor of shape ({len(starts)},), got {type(r).__name__}")
            (grad,) = torch.autograd.grad(r.sum(), theta)
            opt.zero_grad(set_to_none=True)
            theta.grad = torch.nan_to_num(grad)
            opt.step()
            out.append(space.decode(hard_ids(theta, present)))
        return out


def _soft_reward(reward):
    soft = getattr(reward, "soft", None)
    if not callable(soft) or not getattr(reward, "differentiable", True):
        raise InvalidInputError(
            "generator 'gradient' needs a differentiable reward: a ProxyReward over a proxy with forward_soft "
            "(ensemble, mlp, mc-dropout, com on a sequence task), or any reward object with .soft(x) on soft "
            "one-hot tensors (n, L, V); got " + type(reward).__name__
        )
    return soft
