"""Forward policies ``P_F(a | prefix)`` with a state-flow head ``log F(prefix)``.

Every policy offers two views of the same function:

* ``forward(tokens, n_pos, beta=None)`` — logits ``(n, P, A)`` and log-flows ``(n, P)`` at
  *every* prefix length ``0..P-1`` of the designs ``tokens (n, L)`` in one batched call
  (training);
* ``start(n, beta=None)`` / ``step(state, tokens, t)`` — the logits ``(n, A)`` at prefix
  length ``t`` while a batch is being built (sampling), reusing work from earlier steps.

A policy built with ``beta_range=(beta_min, beta_max)`` is *beta-conditioned*: it takes each
design's inverse temperature ``beta (n,)`` and adds a learned embedding of ``log beta``
(:class:`BetaEmbedding`) to its input features — the first-layer pre-activation of the MLP,
every input embedding of the GRU and the transformer — so the logits and the flow head are
functions of ``beta``. Without ``beta_range`` there is no embedding and ``beta`` must be
``None``. A policy built with ``n_preferences=m`` is *preference-conditioned* instead
(MOGFN-PC): the conditioning it takes is a preference ``w (n, m)`` on the simplex, embedded by
:class:`PreferenceEmbedding` and added at the same places.

Policies:

* :class:`MLPPolicy` — an MLP over the flattened one-hot prefix ``(L * V)``, padding as
  zeros. Its first layer is linear in the one-hot, so sampling keeps the pre-activation
  as a running sum of the weight columns of the placed tokens, and training evaluates all
  prefixes either as one dense matmul (``L * V <= 256``) or as prefix sums of those
  columns (larger one-hots): the same function and parameters as ``Linear(L * V, H)``
  followed by the hidden layers, without the sparse matmul where it would dominate.
* :class:`GRUPolicy` — a GRU over ``[BOS, x_1, ..., x_t]``.
* :class:`TransformerPolicy` — a causal transformer (pre-norm) with learned positions and
  a key/value cache for sampling.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from seqmbo.generators.gflownet.env import TokenEnv


class BetaEmbedding(nn.Module):
    """``beta (n,)`` -> features ``(n, H)``: a small MLP on ``log beta`` rescaled to ``[-1, 1]``.

    Args:
        beta_range: ``(beta_min, beta_max)``, the range the policy is trained on.
        dim: output width ``H``.
    """

    def __init__(self, beta_range: tuple[float, float], dim: int) -> None:
        super().__init__()
        lo, hi = math.log(beta_range[0]), math.log(beta_range[1])
        self.center = (lo + hi) / 2
        self.half_width = (hi - lo) / 2 if hi > lo else 1.0
        self.net = nn.Sequential(nn.Linear(1, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, beta: torch.Tensor) -> torch.Tensor:
        u = (beta.to(torch.float32).log() - self.center) / self.half_width
        return self.net(u.unsqueeze(-1))


class PreferenceEmbedding(nn.Module):
    """Preferences ``w (n, m)`` -> features ``(n, H)``: a small MLP on ``w`` centred at equal weights.

    Args:
        n_preferences: ``m``, the number of objectives.
        dim: output width ``H``.
    """

    def __init__(self, n_preferences: int, dim: int) -> None:
        super().__init__()
        self.center = 1.0 / n_preferences
        self.net = nn.Sequential(nn.Linear(n_preferences, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return self.net(w.to(torch.float32) - self.center)


class _Conditioned(nn.Module):
    """The optional beta or preference embedding shared by every policy (created last: see ``_condition``)."""

    def _condition(self, beta_range: tuple[float, float] | None, dim: int, n_preferences: int = 0) -> None:
        # created after every other parameter, so an unconditioned policy draws the same
        # initial weights from the global RNG as before the option existed
        if beta_range is not None and n_preferences:
            raise ValueError("a policy is beta-conditioned or preference-conditioned, not both")
        self.beta_embed = None if beta_range is None else BetaEmbedding(beta_range, dim)
        if n_preferences:
            self.beta_embed = PreferenceEmbedding(n_preferences, dim)

    def _beta_features(self, beta: torch.Tensor | None) -> torch.Tensor | None:
        """``(n, H)`` features of the conditioning (``beta (n,)`` or preferences ``(n, m)``), or
        ``None`` without conditioning."""
        if self.beta_embed is None:
            if beta is not None:
                raise ValueError("this policy is not conditioned (build it with beta_range or n_preferences)")
            return None
        if beta is None:
            raise ValueError("a conditioned policy needs its beta or preferences")
        return self.beta_embed(beta)


class MLPPolicy(_Conditioned):
    """MLP over the flattened one-hot prefix, for short (fixed-length) designs.

    Args:
        env: the environment (sets ``L``, ``V`` and the number of actions ``A``).
        hidden_dim: width ``H`` of the hidden layers.
        n_layers: hidden layers (``2`` gives ``LV -> H -> H -> A + 1``).
        beta_range: ``(beta_min, beta_max)`` for a beta-conditioned policy (its embedding is
            added to the first-layer pre-activation), ``None`` for none.
        n_preferences: ``m`` for a policy conditioned on preferences over ``m`` objectives, 0 for none.
    """

    def __init__(
        self, env: TokenEnv, hidden_dim: int = 256, n_layers: int = 2, beta_range: tuple[float, float] | None = None,
        n_preferences: int = 0,
    ) -> None:
        super().__init__()
        self.env = env
        self.n_actions = env.n_actions
        self.first = nn.Linear(env.max_length * env.vocab_size, hidden_dim)
        layers: list[nn.Module] = [nn.ReLU()]
        for _ in range(n_layers - 1):
            layers += [nn.Linear(hidden_dim, hidden_dim), nn.ReLU(inplace=True)]
        layers.append(nn.Linear(hidden_dim, env.n_actions + 1))
        self.trunk = nn.Sequential(*layers)
        self.register_buffer("offsets", torch.arange(env.max_length) * env.vocab_size, persistent=False)
        # prefix_mask[p, l] = 1 if position l is inside the prefix of length p
        positions = torch.arange(env.max_length + 1)
        mask = (positions[None, : env.max_length] < positions[:, None]).float()
        self.register_buffer("prefix_mask", mask, persistent=False)
        self.dense_max = 256  # largest L * V evaluated with the dense one-hot matmul
        self._condition(beta_range, hidden_dim, n_preferences)

    def _columns(self, tokens: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        """First-layer columns of the placed tokens ``(..., H)``; zero at padding."""
        cols = F.embedding(offsets + tokens.clamp(min=0), self.first.weight.t())
        return torch.where((tokens >= 0).unsqueeze(-1), cols, 0.0)

    def forward(
        self, tokens: torch.Tensor, n_pos: int, beta: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        v, length = self.env.vocab_size, self.env.max_length
        cond = self._beta_features(beta)
        if length * v <= self.dense_max:
            # small one-hot: the plain MLP on the one-hot prefixes (n, P, L*V)
            onehot = F.one_hot(tokens + 1, v + 1)[..., 1:].to(self.first.weight.dtype)  # padding -> 0
            prefix = onehot.unsqueeze(1) * self.prefix_mask[:n_pos, :, None]
            pre = self.first(prefix.reshape(-1, length * v))
        else:
            # large one-hot: prefix sums of the placed tokens' columns, as one small matmul
            cols = self._columns(tokens[:, : n_pos - 1], self.offsets[: n_pos - 1])
            pre = torch.matmul(self.prefix_mask[:n_pos, : n_pos - 1], cols) + self.first.bias
        if cond is not None:
            pre = pre.view(tokens.shape[0], n_pos, -1) + cond[:, None, :]
        out = self.trunk(pre.reshape(-1, pre.shape[-1])).view(tokens.shape[0], n_pos, -1)
        return out[..., : self.n_actions], out[..., self.n_actions]

    def start(self, n: int, beta: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        # sampling state: the first layer's pre-activation and its weight columns (L*V, H);
        # rows that have stopped get garbage added, which is harmless (their logits are unused)
        pre = self.first.bias.expand(n, -1)
        cond = self._beta_features(beta)
        return pre if cond is None else pre + cond, self.first.weight.t().contiguous()

    def step(self, state: tuple[torch.Tensor, torch.Tensor], tokens: torch.Tensor, t: int) -> tuple[torch.Tensor, Any]:
        pre, columns = state
        if t > 0:
            pre = pre + columns[tokens[:, t - 1].clamp(min=0) + (t - 1) * self.env.vocab_size]
        return self.trunk(pre)[:, : self.n_actions], (pre, columns)


class _TokenInputs(_Conditioned):
    """Shared input handling of the autoregressive policies: ``[BOS, x_1..x_{P-1}]``.

    Their sampling state is ``(recurrent state or caches, beta features or None)``.
    """

    def __init__(self, env: TokenEnv) -> None:
        super().__init__()
        self.env = env
        self.n_actions = env.n_actions
        self.bos = env.vocab_size
        self.pad = env.vocab_size + 1

    def _inputs(self, tokens: torch.Tensor, n_pos: int) -> torch.Tensor:
        body = tokens[:, : n_pos - 1]
        body = torch.where(body >= 0, body, self.pad)
        return torch.cat([body.new_full((tokens.shape[0], 1), self.bos), body], dim=1)

    def _embed(self, embed: nn.Embedding, inputs: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        """Input embeddings ``(n, p, H)`` of ``inputs (n, p)``, plus the beta features."""
        x = embed(inputs)
        return x if cond is None else x + cond[:, None, :]

    def start(self, n: int, beta: torch.Tensor | None = None) -> tuple[Any, torch.Tensor | None]:
        return None, self._beta_features(beta)

    def _input_at(self, tokens: torch.Tensor, t: int) -> torch.Tensor:
        if t == 0:
            return tokens.new_full((tokens.shape[0],), self.bos)
        prev = tokens[:, t - 1]
        return torch.where(prev >= 0, prev, self.pad)


class GRUPolicy(_TokenInputs):
    """GRU over the prefix, for long or variable-length designs.

    Args:
        env: the environment.
        hidden_dim: embedding and hidden size.
        n_layers: stacked GRU layers.
        beta_range: ``(beta_min, beta_max)`` for a beta-conditioned policy (its embedding is
            added to every input embedding), ``None`` for none.
        n_preferences: ``m`` for a policy conditioned on preferences over ``m`` objectives, 0 for none.
    """

    def __init__(
        self, env: TokenEnv, hidden_dim: int = 256, n_layers: int = 2, beta_range: tuple[float, float] | None = None,
        n_preferences: int = 0,
    ) -> None:
        super().__init__(env)
        self.embed = nn.Embedding(env.vocab_size + 2, hidden_dim)
        self.gru = nn.GRU(hidden_dim, hidden_dim, num_layers=n_layers, batch_first=True)
        self.head = nn.Linear(hidden_dim, env.n_actions + 1)
        self._condition(beta_range, hidden_dim, n_preferences)

    def forward(
        self, tokens: torch.Tensor, n_pos: int, beta: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        out, _ = self.gru(self._embed(self.embed, self._inputs(tokens, n_pos), self._beta_features(beta)))
        out = self.head(out)
        return out[..., : self.n_actions], out[..., self.n_actions]

    def step(self, state: Any, tokens: torch.Tensor, t: int) -> tuple[torch.Tensor, Any]:
        hidden, cond = state
        out, hidden = self.gru(self._embed(self.embed, self._input_at(tokens, t)[:, None], cond), hidden)
        return self.head(out[:, 0])[:, : self.n_actions], (hidden, cond)


class _Block(nn.Module):
    """Pre-norm causal self-attention + feed-forward block that can extend a key/value cache."""

    def __init__(self, dim: int, n_heads: int) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(
        self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """``x (n, p, d)``: the whole prefix (``cache=None``, causal) or new positions after ``cache``."""
        n, p, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(n, p, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        if cache is not None:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        attn = F.scaled_dot_product_attention(q, k, v, is_causal=cache is None and p > 1)
        x = x + self.out(attn.transpose(1, 2).reshape(n, p, d))
        return x + self.ff(self.norm2(x)), (k, v)


class TransformerPolicy(_TokenInputs):
    """Causal (decoder-only, pre-norm) transformer over the prefix, with a key/value cache.

    Args:
        env: the environment.
        hidden_dim: model dimension (feed-forward is twice that).
        n_layers: attention blocks.
        n_heads: attention heads (reduced until it divides ``hidden_dim``).
        beta_range: ``(beta_min, beta_max)`` for a beta-conditioned policy (its embedding is
            added to every input embedding), ``None`` for none.
        n_preferences: ``m`` for a policy conditioned on preferences over ``m`` objectives, 0 for none.
    """

    def __init__(
        self,
        env: TokenEnv,
        hidden_dim: int = 128,
        n_layers: int = 2,
        n_heads: int = 4,
        beta_range: tuple[float, float] | None = None,
        n_preferences: int = 0,
    ) -> None:
        super().__init__(env)
        while hidden_dim % n_heads:
            n_heads -= 1
        self.embed = nn.Embedding(env.vocab_size + 2, hidden_dim)
        self.position = nn.Parameter(torch.randn(env.max_length + 1, hidden_dim) * 0.02)
        self.blocks = nn.ModuleList(_Block(hidden_dim, n_heads) for _ in range(n_layers))
        self.norm = nn.LayerNorm(hidden_dim)
        self.head = nn.Linear(hidden_dim, env.n_actions + 1)
        self._condition(beta_range, hidden_dim, n_preferences)

    def _run(
        self, inputs: torch.Tensor, first: int, caches: list | None, cond: torch.Tensor | None
    ) -> tuple[torch.Tensor, list]:
        x = self._embed(self.embed, inputs, cond) + self.position[first : first + inputs.shape[1]]
        new = []
        for i, block in enumerate(self.blocks):
            x, kv = block(x, None if caches is None else caches[i])
            new.append(kv)
        return self.head(self.norm(x)), new

    def forward(
        self, tokens: torch.Tensor, n_pos: int, beta: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        out, _ = self._run(self._inputs(tokens, n_pos), 0, None, self._beta_features(beta))
        return out[..., : self.n_actions], out[..., self.n_actions]

    def step(self, state: Any, tokens: torch.Tensor, t: int) -> tuple[torch.Tensor, Any]:
        caches, cond = state
        out, caches = self._run(self._input_at(tokens, t).unsqueeze(1), t, caches, cond)
        return out[:, 0, : self.n_actions], (caches, cond)


def policy_kind(env: TokenEnv, policy: str = "auto", mlp_max_length: int = 32) -> str:
    """Resolve ``"auto"``: the MLP for fixed-length designs up to ``mlp_max_length``, else GRU."""
    if policy != "auto":
        return policy
    return "mlp" if env.is_fixed_length and env.max_length <= mlp_max_length else "gru"


SIZES = {"mlp": (256, 2), "gru": (128, 1), "transformer": (128, 2)}
"""Default ``(hidden_dim, n_layers)`` of each policy."""


def make_policy(
    env: TokenEnv,
    policy: str = "auto",
    hidden_dim: int | None = None,
    n_layers: int | None = None,
    mlp_max_length: int = 32,
    beta_range: tuple[float, float] | None = None,
    n_preferences: int = 0,
) -> nn.Module:
    """Build the policy named ``policy`` (``"auto"``, ``"mlp"``, ``"gru"``, ``"transformer"``).

    ``hidden_dim`` / ``n_layers`` left ``None`` take the policy's defaults (:data:`SIZES`);
    ``beta_range=(beta_min, beta_max)`` makes it beta-conditioned, ``n_preferences=m``
    preference-conditioned on ``m`` objectives.
    """
    kind = policy_kind(env, policy, mlp_max_length)
    if kind not in SIZES:
        raise ValueError(f"unknown policy {policy!r}")
    hidden_dim = hidden_dim or SIZES[kind][0]
    n_layers = n_layers or SIZES[kind][1]
    if kind == "mlp":
        return MLPPolicy(env, hidden_dim, n_layers, beta_range, n_preferences)
    if kind == "gru":
        return GRUPolicy(env, hidden_dim, n_layers, beta_range, n_preferences)
    return TransformerPolicy(env, hidden_dim, n_layers, beta_range=beta_range, n_preferences=n_preferences)
