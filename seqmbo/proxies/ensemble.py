"""Deep ensembles of sequence networks on one-hot input (the default proxy for sequences)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from seqmbo.devices import DeviceLike, resolve_device, seeded, seeded_generator, to_device
from seqmbo.errors import InvalidInputError
from seqmbo.progress import bar
from seqmbo.proxies.base import Prediction, Standardizer
from seqmbo.proxies.nets import BothStrands, GroupedCNN, GroupedMLP, TransformerNet

ARCHS = ("cnn", "mlp", "transformer")

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
    top_weight: float = 0.0  # weight each design by exp(top_weight * z), z its standardized score
    seed: int = 0
    warm_epochs: int | None = None  # a refit from the last fit's weights (online rounds): epochs, no min_steps

    def for_refit(self, warm: bool) -> "TrainConfig":
        """The settings of a fit that starts from the last fit's weights (``warm``) or afresh: a warm
        refit runs ``warm_epochs`` epochs (``min_steps`` off) when that is set."""
        if not warm or self.warm_epochs is None:
            return self
        return dataclasses.replace(self, epochs=self.warm_epochs, min_steps=0)


def train_members(model: torch.nn.Module, x: torch.Tensor, z: torch.Tensor, cfg: TrainConfig,
                  penalty: Callable[[torch.nn.Module, torch.Tensor, torch.Tensor], torch.Tensor] | None = None) -> None:
    """Fit a member-batched ``model`` (output ``(n, M)``) to targets ``z`` ``(n,)`` by weighted MSE.

    Weights: Poisson(1) per design and member with ``cfg.bootstrap``; with ``cfg.top_weight``
    also ``exp(top_weight * z)`` (normalized to mean 1), which puts the fit's effort on the best
    designs — the region a search extrapolates from (as in the weighted retraining of Tripp et
    al. 2020, here by score rather than rank). ``penalty(model, x_batch, out_batch)``, if given,
    returns a term added to each batch's loss (e.g. the conservative term of COMs).

    Everything runs on the device of ``z`` (the model's); batches of ``x`` are moved there
    (a no-op when ``x`` is already on it). Randomness: a generator seeded with ``cfg.seed``
    (dropout, if any, uses torch's global state: call under :func:`seqmbo.devices.seeded`).
    """
    device = z.device
    gen = seeded_generator(cfg.seed, device)
    n = x.shape[0]
    m = model(to_device(x[:1], device)).shape[1]
    ones = torch.ones(n, m, device=device)
    weights = torch.poisson(ones, generator=gen) if cfg.bootstrap else ones
    if cfg.top_weight:
        top = torch.exp(cfg.top_weight * (z - z.max()))  # shifted: no overflow
        weights = weights * (top / top.mean())[:, None]
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    model.train()
    steps_per_epoch = -(-n // cfg.batch_size)
    epochs = max(cfg.epochs, -(-cfg.min_steps // steps_per_epoch))
    for _ in bar(range(epochs), "proxy: epochs"):
        perm = torch.randperm(n, generator=gen, device=device)
        for start in range(0, n, cfg.batch_size):
            idx = perm[start : start + cfg.batch_size]
            xb = to_device(x[idx], device)
            out = model(xb)
            w = weights[idx]
            loss = (w * (out - z[idx, None]) ** 2).sum() / w.numel()
            if penalty is not None:
                loss = loss + penalty(model, xb, out)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    model.eval()


class SequenceEnsemble:
    """A deep ensemble of ``members`` CNNs (or MLPs, transformers) over one-hot designs; mean and std across members.

    Members differ by their random initialisation (and, with ``TrainConfig.bootstrap``, by a
    Poisson(1) bootstrap weighting of the data).

    Args:
        space: the sequence space (gives ``one_hot``).
        members: ensemble size (1 gives a single network, ``std = None``).
        arch: ``"cnn"``, ``"mlp"`` or ``"transformer"``.
        train: a :class:`TrainConfig`.
        **net: network options (cnn: ``channels``, ``kernel``, ``hidden``, ``dropout``; mlp: ``hidden``,
            ``layers``, ``dropout``; transformer: ``dim``, ``heads``, ``layers``, ``dropout``).
        device: where the networks live and train (``"auto"``, ``"cpu"``, ``"cuda"``); designs
            in and predictions out are moved in :meth:`_inputs` and :meth:`predict` only.

    ``warm_start`` (set by online rounds): a refit starts from the weights of the last fit
    instead of a fresh initialisation.
    """

    warm_start = False

    def __init__(self, space, members: int = 5, arch: str = "cnn", train: TrainConfig | None = None,
                 device: DeviceLike = "cpu", **net) -> None:
        if members < 1:
            raise InvalidInputError(f"an ensemble needs at least 1 member, got {members}")
        if arch not in ARCHS:
            raise InvalidInputError(f"unknown network {arch!r}; use one of {', '.join(ARCHS)}")
        self.space, self.members, self.arch = space, members, arch
        self.train_cfg = train or TrainConfig()
        self.net_options = net
        self.device = resolve_device(device)
        self.model: torch.nn.Module | None = None
        self.scaler: Standardizer | None = None

    def _inputs(self, designs: Sequence[str]) -> torch.Tensor:
        """One-hot ``(n, L, V)`` of ``designs`` on the proxy's device."""
        return self.space.one_hot(list(designs)).to(self.device)

    def _build(self) -> torch.nn.Module:
        L, V = self.space.max_length, self.space.vocab_size
        complement = getattr(self.space, "complement_ids", None)  # double-stranded DNA: see both strands
        try:
            if self.arch == "cnn":
                return GroupedCNN(L, V, self.members, complement=complement, **self.net_options)
            if self.arch == "transformer":
                net = TransformerNet(L, V, self.members, **self.net_options)
            else:
                net = GroupedMLP(L * V, self.members, **self.net_options)
        except TypeError as e:  # an option the network does not take
            raise InvalidInputError(f"proxy network {self.arch!r}: {e}") from None
        return net if complement is None else BothStrands(net, complement)

    def fit(self, designs: Sequence[str], y: np.ndarray) -> "SequenceEnsemble":
        y = np.asarray(y, dtype=np.float64)
        if len(designs) != y.shape[0] or y.shape[0] == 0:
            raise InvalidInputError(f"fit needs as many scores as designs (>0), got {len(designs)} and {y.shape[0]}")
        self.scaler = Standardizer.fit(y)
        x = self._inputs(designs)
        z = torch.as_tensor(self.scaler.forward(y), dtype=torch.float32, device=self.device)
        with seeded(self.train_cfg.seed, self.device):  # weight init and dropout; global state restored
            warm = self.warm_start and self.model is not None
            if not warm:
                self.model = self._build().to(self.device)
            self._train(x, z, self.train_cfg.for_refit(warm))
        return self

    def _train(self, x: torch.Tensor, z: torch.Tensor, cfg: TrainConfig | None = None) -> None:
        """Train ``self.model`` on one-hot ``x`` ``(n, L, V)`` and standardized scores ``z`` ``(n,)``."""
        train_members(self.model, x, z, cfg or self.train_cfg)

    def member_outputs(self, x: torch.Tensor) -> torch.Tensor:
        """Member predictions in score units ``(n, M)`` from (soft) one-hot ``x`` ``(n, L, V)``; differentiable.

        ``x`` may be on any device; the output is on the proxy's.
        """
        if self.model is None or self.scaler is None:
            raise InvalidInputError("the proxy must be fitted before it predicts")
        return self.model(x.to(self.device)) * self.scaler.sd + self.scaler.mu

    def forward_soft(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Mean and std ``(n,)`` across members for soft one-hot ``x``; differentiable."""
        out = self.member_outputs(x)
        # the tiny floor keeps the gradient of std finite where members agree exactly
        std = (out.var(dim=1, unbiased=False) + 1e-12).sqrt() if out.shape[1] > 1 else None
        return out.mean(dim=1), std

    predict_batch = 8192

    def predict(self, designs: Sequence[str], batch_size: int | None = None) -> Prediction:
        """Mean (and std across members, or ``None`` for one member) ``(n,)`` of ``designs``."""
        batch_size = batch_size or self.predict_batch
        return self._predict_batches(
            (self._inputs(designs[s : s + batch_size]) for s in range(0, len(designs), batch_size)))

    def predict_one_hot(self, x: torch.Tensor, batch_size: int | None = None) -> Prediction:
        """:meth:`predict` of designs given as one-hot ``x`` ``(n, L, V)`` (any device; all-zero rows at padding).

        Used to score token tensors without making strings (see
        :meth:`~seqmbo.proxies.reward.ProxyReward.on_tokens`); equals :meth:`predict` of the designs.
        """
        batch_size = batch_size or self.predict_batch
        return self._predict_batches(x[s : s + batch_size] for s in range(0, x.shape[0], batch_size))

    def _predict_batches(self, batches) -> Prediction:
        """Mean and std ``(n,)`` float64 (on the CPU) over one-hot batches ``(b, L, V)``."""
        means, stds = [], []
        with torch.no_grad():
            for x in batches:
                m, sd = self.forward_soft(x)
                means.append(m.cpu().numpy())
                if sd is not None:
                    stds.append(sd.cpu().numpy())
        mean = np.concatenate(means).astype(np.float64) if means else np.zeros(0)
        std = np.concatenate(stds).astype(np.float64) if stds else None
        return Prediction(mean, std)
