"""Rewards from predictions: the one path by which every generator is guided by a proxy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from seqmbo.errors import InvalidInputError
from seqmbo.proxies.base import Prediction

if TYPE_CHECKING:
    import torch

REWARD_KINDS = ("mean", "lcb", "ucb")


def combine(pred: Prediction, kind: str = "mean", kappa: float = 1.0) -> np.ndarray:
    """``mean``, ``mean - kappa*std`` (lcb) or ``mean + kappa*std`` (ucb); ``std`` None counts as 0."""
    if kind not in REWARD_KINDS:
        raise InvalidInputError(f"unknown reward {kind!r}; use one of {', '.join(REWARD_KINDS)}")
    if kind == "mean" or pred.std is None:
        return pred.mean
    return pred.mean - kappa * pred.std if kind == "lcb" else pred.mean + kappa * pred.std


class ProxyReward:
    """Callable reward over designs: invalid designs get ``-inf``; results are cached per design.

    Args:
        proxy: a fitted proxy.
        space: the design space (its ``is_valid`` decides validity).
        kind: ``mean``, ``lcb`` or ``ucb``.
        kappa: the confidence-bound weight.
        support: an optional gate (e.g. :class:`~seqmbo.gates.BigramSupport`); designs it rejects
            are treated as invalid (reward ``-inf``).
    """

    def __init__(self, proxy, space, kind: str = "mean", kappa: float = 1.0, support=None) -> None:
        combine(Prediction(np.zeros(0)), kind, kappa)  # validates kind
        self.proxy, self.space, self.kind, self.kappa = proxy, space, kind, kappa
        self.support = support
        self._cache: dict[str, float] = {}
        self._token_cache: dict[bytes, float] = {}  # for on_tokens: canonical token row -> reward
        self.calls = 0

    def __call__(self, designs: Sequence[str]) -> np.ndarray:
        designs = list(designs)
        todo = [d for d in dict.fromkeys(designs) if d not in self._cache]
        todo = self._from_token_cache(todo)
        if todo:
            valid = self.space.is_valid(todo)
            if self.support is not None and valid.any():
                idx = np.flatnonzero(valid)
                valid[idx[~self.support([todo[i] for i in idx])]] = False
            good = [d for d, v in zip(todo, valid) if v]
            for d, v in zip(todo, valid):
                if not v:
                    self._cache[d] = -np.inf
            if good:
                r = combine(self.proxy.predict(good), self.kind, self.kappa)
                self._cache.update(zip(good, r.tolist()))
            self.calls += len(todo)
        return np.array([self._cache[d] for d in designs], dtype=np.float64)

    @property
    def differentiable(self) -> bool:
        """Whether :meth:`soft` works (the proxy has ``forward_soft``)."""
        return callable(getattr(self.proxy, "forward_soft", None))

    def soft(self, x):
        """The same reward, differentiable, on soft one-hot designs ``x`` ``(n, L, V)`` -> tensor ``(n,)``.

        ``mean``, ``mean - kappa*std`` or ``mean + kappa*std`` of ``proxy.forward_soft(x)``.
        Validity and support are not applied (they are not differentiable); score the final
        hard designs with ``__call__``.

        Raises:
            InvalidInputError: the proxy has no ``forward_soft`` (e.g. a molecule proxy).
        """
        if not self.differentiable:
            raise InvalidInputError(
                f"the reward is not differentiable: proxy {type(self.proxy).__name__} has no forward_soft "
                "(relaxed gradient methods need a sequence proxy: ensemble, mlp, mc-dropout, com)"
            )
        mean, std = self.proxy.forward_soft(x)
        if self.kind == "mean" or std is None:
            return mean
        return mean - self.kappa * std if self.kind == "lcb" else mean + self.kappa * std

    def support_bigrams(self) -> np.ndarray | None:
        """Allowed adjacent token pairs of the support gate, ``(V, V)`` bool, or ``None``.

        ``[a, b]`` is true when token ``b`` may follow token ``a``. ``None`` when there is no
        support gate or it is not a bigram table (e.g. a custom gate).
        """
        seen = getattr(self.support, "seen", None)
        return None if seen is None else np.asarray(seen, dtype=bool)

    def on_tokens(self, tokens: torch.Tensor | np.ndarray, lengths: torch.Tensor | np.ndarray | None = None
                  ) -> torch.Tensor:
        """The reward of designs given as token ids, equal to ``self(space.decode(tokens))``.

        On a sequence space with a proxy that has ``predict_one_hot`` (the network proxies),
        no string is made: validity and a bigram support are checked on the ids, and the proxy
        reads their one-hot. Otherwise the designs not seen before are decoded and scored as
        strings. Results are cached per design (keyed by its token bytes and length).

        Args:
            tokens: ``(n, L)`` int token ids (tensor on any device, or array), padded with
                negative ids after each design.
            lengths: ``(n,)`` design lengths, or ``None``: each design ends at its first
                negative id. With ``lengths``, a negative id inside a design makes it invalid.

        Returns:
            Rewards ``(n,)`` float64 tensor on the device of ``tokens`` (``-inf`` for designs
            that are invalid or off the support).
        """
        import torch

        def host(x: Any) -> np.ndarray:  # the one move out of the caller's device
            return np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x, dtype=np.int64)

        device = tokens.device if isinstance(tokens, torch.Tensor) else torch.device("cpu")
        ids = host(tokens)
        n, width = ids.shape
        if lengths is None:
            neg = ids < 0
            lengths = np.where(neg.any(axis=1), neg.argmax(axis=1), width)
        else:
            lengths = host(lengths)
        inside = np.arange(width)[None, :] < lengths[:, None]
        ids = np.where(inside, ids, -1)  # one form a design: padding -1 after it
        keys = [row.tobytes() for row in np.concatenate([ids, lengths[:, None]], axis=1)]
        cache = self._token_cache
        first: dict[bytes, int] = {}  # designs not seen before -> their first row
        for i, k in enumerate(keys):
            if k not in cache and k not in first:
                first[k] = i
        todo = list(first.values())
        if todo:
            values = self._score_tokens(ids[todo], lengths[todo])
            cache.update(zip((keys[i] for i in todo), values.tolist()))
            self.calls += len(todo)
        out = np.fromiter((cache[k] for k in keys), dtype=np.float64, count=n)
        return torch.as_tensor(out, device=device)

    def _from_token_cache(self, todo: list[str]) -> list[str]:
        """Copy the rewards :meth:`on_tokens` already has of ``todo`` into the string cache;
        returns the designs still to score (so a design gets one value whichever way it came)."""
        from seqmbo.spaces.sequence import SequenceSpace

        if not todo or not self._token_cache or not isinstance(self.space, SequenceSpace):
            return todo
        valid = [d for d, ok in zip(todo, self.space.is_valid(todo)) if ok]
        if not valid:
            return todo
        ids = self.space.encode(valid)
        lengths = np.array([len(d) for d in valid], dtype=np.int64)
        rows = np.concatenate([ids, lengths[:, None]], axis=1)
        for d, row in zip(valid, rows):
            value = self._token_cache.get(row.tobytes())
            if value is not None:
                self._cache[d] = value
        return [d for d in todo if d not in self._cache]

    def _score_tokens(self, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Rewards ``(m,)`` of distinct canonical token rows ``ids (m, L)`` (padding ``-1``)."""
        from seqmbo.spaces.sequence import SequenceSpace, one_hot_ids

        if not isinstance(self.space, SequenceSpace):  # e.g. SELFIES tokens: validity lives in the strings
            return np.asarray(self(self.space.decode(ids)), dtype=np.float64)
        space, v = self.space, self.space.vocab_size
        inside = np.arange(ids.shape[1])[None, :] < lengths[:, None]
        valid = (lengths >= space.min_length) & (lengths <= space.max_length)
        valid &= np.where(inside, (ids >= 0) & (ids < v), True).all(axis=1)
        if self.support is not None and valid.any():
            idx = np.flatnonzero(valid)
            valid[idx[~self._on_support(ids[idx])]] = False
        out = np.full(ids.shape[0], -np.inf)
        good = np.flatnonzero(valid)
        if good.size:
            if callable(getattr(self.proxy, "predict_one_hot", None)):
                pred = self.proxy.predict_one_hot(one_hot_ids(ids[good], v))
            else:
                pred = self.proxy.predict(space.decode(ids[good]))
            out[good] = combine(pred, self.kind, self.kappa)
        return out

    def _on_support(self, ids: np.ndarray) -> np.ndarray:
        """Whether valid canonical rows ``ids (m, L)`` pass the support gate ``(m,)`` bool."""
        seen = self.support_bigrams()
        if seen is None:
            return np.asarray(self.support(self.space.decode(ids)), dtype=bool)
        a, b = ids[:, :-1], ids[:, 1:]
        both = (a >= 0) & (b >= 0)
        return np.where(both, seen[np.maximum(a, 0), np.maximum(b, 0)], True).all(axis=1)
