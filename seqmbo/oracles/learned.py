"""Learned oracles: a network trained once on a task's full dataset, standing in for the lab.

Design-Bench's protocol for tasks without a complete measured landscape (UTR, GFP): the oracle
is a model fit on the whole dataset (less a held-out split, on which its Spearman correlation is
reported), and designs are scored by it after the design phase. Its weights are cached under
``$SEQMBO_CACHE_DIR/oracles/`` keyed by a hash of the data, the configuration and
:data:`ORACLE_VERSION`, so the oracle is trained once and every run scores with the same one.
Training is deterministic on CPU (its own seeds; the global torch RNG state is restored).

The network is position-aware (two convolutions, then a dense layer over the flattened
positions), unlike the proxies' max-pooled CNNs: a 5' UTR's effect depends on where an upstream
start codon sits, and a protein's on which residue a mutation hits.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

ORACLE_VERSION = 1


@dataclass(frozen=True)
class OracleConfig:
    """How a learned oracle is trained.

    Attributes:
        channels: convolution channels.
        kernel: convolution width.
        hidden: width of the dense layer.
        epochs: passes over the training rows.
        batch_size: rows a step.
        lr: Adam learning rate (halved for each of the last epochs).
        holdout: fraction of rows held out for the reported Spearman.
        seed: seed of the split, the initialization and the shuffles.
    """

    channels: int = 64
    kernel: int = 5
    hidden: int = 64
    epochs: int = 6
    batch_size: int = 256
    lr: float = 2e-3
    holdout: float = 0.1
    seed: int = 0


def _net(length: int, vocab: int, cfg: OracleConfig):
    """The network, initialized from ``cfg.seed`` (the global torch RNG state is left as it was)."""
    import torch
    from torch import nn

    k = min(cfg.kernel, length)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        return nn.Sequential(
            nn.Conv1d(vocab, cfg.channels, k, padding=k // 2), nn.ReLU(),
            nn.Conv1d(cfg.channels, cfg.channels, k, padding=k // 2), nn.ReLU(),
            nn.Flatten(), nn.Linear(cfg.channels * length, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, 1),
        )


@dataclass
class LearnedOracle:
    """A trained network scoring designs of a sequence space, in the dataset's units.

    Attributes:
        net: the network (input ``(n, V, L)`` one-hot, output ``(n, 1)`` standardized score).
        space: the design space (invalid designs score NaN).
        y_mean, y_std: the standardization of the training scores.
        spearman: Spearman correlation on the held-out rows.
        fit_s: seconds the training took (when it was trained, not loaded).
        n_train, n_holdout: rows used for training and for the Spearman.
        key: the cache key (data, configuration, version).
        fit_cpu_s: CPU seconds of this process during the training (None when not recorded).
    """

    net: object
    space: object
    y_mean: float
    y_std: float
    spearman: float
    fit_s: float
    n_train: int
    n_holdout: int
    key: str
    fit_cpu_s: float | None = None

    def __call__(self, designs: Sequence[str]) -> np.ndarray:
        """``(n,)`` float64 predicted scores; NaN for designs outside the space."""
        out = np.full(len(designs), np.nan)
        valid = self.space.is_valid(designs)
        if valid.any():
            ids = self.space.encode([d for d, v in zip(designs, valid) if v])
            out[valid] = _predict(self.net, ids, self.space.vocab_size) * self.y_std + self.y_mean
        return out


def _one_hot(ids, vocab: int):
    import torch

    return torch.nn.functional.one_hot(torch.as_tensor(ids), vocab).float().transpose(1, 2)


def _predict(net, ids: np.ndarray, vocab: int, batch: int = 4096) -> np.ndarray:
    import torch

    net.eval()
    with torch.no_grad():
        parts = [net(_one_hot(ids[i:i + batch], vocab)).squeeze(1).numpy() for i in range(0, len(ids), batch)]
    return np.concatenate(parts).astype(np.float64)


def oracle_key(designs: Sequence[str], y: np.ndarray, cfg: OracleConfig) -> str:
    """Hash of the data (designs and scores), the configuration and :data:`ORACLE_VERSION`."""
    h = hashlib.sha256(json.dumps({"version": ORACLE_VERSION, **asdict(cfg)}, sort_keys=True).encode())
    h.update("\n".join(designs).encode())
    h.update(np.ascontiguousarray(y, dtype=np.float64).tobytes())
    return h.hexdigest()[:24]


def learned_oracle(designs: Sequence[str], y: np.ndarray, space, cfg: OracleConfig | None = None,
                   cache: bool = True) -> LearnedOracle:
    """The oracle of a dataset: loaded from the cache, or trained (and cached).

    Args:
        designs: every design of the full dataset (valid in ``space``, one length).
        y: ``(n,)`` their scores.
        space: the sequence space.
        cfg: the training configuration.
        cache: read and write ``$SEQMBO_CACHE_DIR/oracles/<key>.pt``.

    Returns:
        The oracle, with its held-out Spearman.
    """
    import torch

    from seqmbo.data.fetch import cache_dir

    cfg = cfg or OracleConfig()
    key = oracle_key(designs, y, cfg)
    path = cache_dir() / "oracles" / f"{key}.pt"
    net = _net(space.max_length, space.vocab_size, cfg)
    if cache and path.is_file():
        saved = torch.load(path, map_location="cpu", weights_only=True)
        net.load_state_dict(saved["state"])
        meta = json.loads(saved["meta"])
        log.info("learned oracle %s from the cache (held-out Spearman %.3f)", key, meta["spearman"])
        return LearnedOracle(net, space, key=key, **meta)
    oracle = _train(net, space, designs, np.asarray(y, dtype=np.float64), cfg, key)
    if cache:
        _save(path, oracle)
    return oracle


def _train(net, space, designs: Sequence[str], y: np.ndarray, cfg: OracleConfig, key: str) -> LearnedOracle:
    import torch
    from scipy.stats import spearmanr

    t0, cpu0 = time.perf_counter(), time.process_time()
    rng = np.random.default_rng(cfg.seed)
    order = rng.permutation(len(designs))
    n_hold = max(1, int(round(cfg.holdout * len(designs))))
    hold, train = order[:n_hold], order[n_hold:]
    ids = space.encode(designs)
    y_mean, y_std = float(y[train].mean()), float(y[train].std() or 1.0)
    target = torch.as_tensor((y - y_mean) / y_std, dtype=torch.float32)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    for epoch in range(cfg.epochs):
        for g in opt.param_groups:  # the last third of the epochs at half the rate, then a quarter
            g["lr"] = cfg.lr * 0.5 ** max(0, epoch - (2 * cfg.epochs) // 3 + 1)
        net.train()
        perm = train[rng.permutation(len(train))]
        for i in range(0, len(perm), cfg.batch_size):
            b = perm[i:i + cfg.batch_size]
            loss = torch.nn.functional.mse_loss(net(_one_hot(ids[b], space.vocab_size)).squeeze(1), target[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
        log.info("oracle epoch %d/%d: last batch loss %.4f", epoch + 1, cfg.epochs, loss.item())
    rho = float(spearmanr(_predict(net, ids[hold], space.vocab_size), y[hold]).statistic)
    fit_s, cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
    log.info("learned oracle trained in %.0f s (%.0f CPU-s); held-out Spearman %.3f (%d rows)", fit_s, cpu_s, rho, n_hold)
    return LearnedOracle(net, space, y_mean, y_std, rho, fit_s, len(train), n_hold, key, cpu_s)


def _save(path: Path, oracle: LearnedOracle) -> None:
    import torch

    meta = {k: getattr(oracle, k) for k in ("y_mean", "y_std", "spearman", "fit_s", "n_train", "n_holdout", "fit_cpu_s")}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    torch.save({"state": oracle.net.state_dict(), "meta": json.dumps(meta)}, tmp)
    os.replace(tmp, path)
