"""The training loop: on-policy batches mixed with offline designs and a replay buffer."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from seqmbo.generators.gflownet.anchor import CloneAnchor
from seqmbo.generators.gflownet.config import GFlowNetConfig
from seqmbo.generators.gflownet.constraints import TransitionMask
from seqmbo.generators.gflownet.env import TokenEnv, row_keys
from seqmbo.generators.gflownet.losses import subtrajectory_balance, trajectory_balance, trajectory_log_probs
from seqmbo.generators.gflownet.policies import make_policy
from seqmbo.generators.gflownet.preference import PreferenceLogZ, preference_log_reward
from seqmbo.generators.gflownet.sampler import sample_trajectories
from seqmbo.preferences import draw_preferences
from seqmbo.progress import bar

log = logging.getLogger(__name__)

LogReward = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""Maps designs ``tokens (n, L)``, ``lengths (n,)`` to log-rewards ``(n,)`` float32.

For a beta-conditioned trainer these are the log-rewards at ``beta = 1``; a trajectory's
target is its ``beta`` times that. For a preference-conditioned trainer they are the normalized
objective scores ``(n, m)`` instead; a trajectory's target is the shaped scalarization of its
scores under its preference (:func:`~seqmbo.generators.gflownet.preference.preference_log_reward`).
"""


class LogZHead(nn.Module):
    """``log Z(beta)`` of a beta-conditioned GFlowNet: piecewise linear in ``beta``.

    One learned value a knot, knots evenly spaced over ``[beta_min, beta_max]``, linear in
    between. Each value is a plain scalar like the unconditioned ``log Z``, so it trains
    well at the same high learning rate; ``log Z(beta)`` is convex and smooth, so linear
    interpolation between close knots loses little.

    Args:
        beta_min, beta_max: the trained range.
        n_knots: knots (one when the range is a single point).
    """

    def __init__(self, beta_min: float, beta_max: float, n_knots: int = 32) -> None:
        super().__init__()
        n = 1 if beta_max <= beta_min else max(2, n_knots)
        self.beta_min, self.beta_max = float(beta_min), float(beta_max)
        self.values = nn.Parameter(torch.zeros(n))

    def forward(self, beta: torch.Tensor) -> torch.Tensor:
        """``log Z`` at each of ``beta (n,)`` (clamped to the range)."""
        n = self.values.shape[0]
        if n == 1:
            return self.values[0].expand(beta.shape)
        pos = (beta.to(self.values.dtype) - self.beta_min) / (self.beta_max - self.beta_min) * (n - 1)
        pos = pos.clamp(0, n - 1)
        i = pos.floor().long().clamp(max=n - 2)
        w = pos - i
        return (1 - w) * self.values[i] + w * self.values[i + 1]


class ReplayBuffer:
    """The ``capacity`` best distinct designs seen, with their log-rewards.

    Args:
        capacity: how many designs to keep.
        max_length: ``L`` of the token tensors.
        vocab_size: ``V`` (for the row keys used to drop repeats).
        device: where the designs are kept.
    """

    def __init__(self, capacity: int, max_length: int, vocab_size: int, device: torch.device | str = "cpu") -> None:
        self.capacity = capacity
        self.vocab_size = vocab_size
        self.tokens = torch.empty(0, max_length, dtype=torch.long, device=device)
        self.lengths = torch.empty(0, dtype=torch.long, device=device)
        self.log_rewards = torch.empty(0, device=device)
        self.keys = torch.empty(0, dtype=torch.long, device=device)

    def __len__(self) -> int:
        return self.tokens.shape[0]

    def add(self, tokens: torch.Tensor, lengths: torch.Tensor, log_rewards: torch.Tensor) -> None:
        """Merge a batch in, dropping repeats, keeping the best ``capacity``."""
        if self.capacity <= 0:
            return
        log_rewards = log_rewards.detach().float()
        if len(self) >= self.capacity:  # only designs that beat the worst kept one matter
            better = log_rewards > self.log_rewards[-1]
            if not bool(better.any()):
                return
            tokens, lengths, log_rewards = tokens[better], lengths[better], log_rewards[better]
        keys = torch.cat([self.keys, row_keys(tokens, self.vocab_size)])
        all_rewards = torch.cat([self.log_rewards, log_rewards])
        uniq, inverse = torch.unique(keys, return_inverse=True)
        first = torch.full((uniq.shape[0],), keys.shape[0], dtype=torch.long, device=keys.device)
        first = first.scatter_reduce(0, inverse, torch.arange(keys.shape[0], device=keys.device), reduce="amin")
        best = first[all_rewards[first].argsort(descending=True, stable=True)[: self.capacity]]
        self.tokens = torch.cat([self.tokens, tokens])[best]
        self.lengths = torch.cat([self.lengths, lengths])[best]
        self.log_rewards, self.keys = all_rewards[best], keys[best]

    def rescore(self, log_reward: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
        """Recompute the kept designs' log-rewards with ``log_reward(tokens, lengths)`` and re-rank
        them (the reward changed, e.g. a refitted proxy in the next online round)."""
        if not len(self):
            return
        r = log_reward(self.tokens, self.lengths).detach().float()
        order = r.argsort(descending=True, stable=True)
        self.tokens, self.lengths, self.keys = self.tokens[order], self.lengths[order], self.keys[order]
        self.log_rewards = r[order]

    def sample(self, k: int, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        idx = torch.randint(len(self), (k,), generator=generator, device=self.tokens.device)
        return self.tokens[idx], self.lengths[idx], self.log_rewards[idx]


class GFlowNetTrainer:
    """A policy, ``log Z``, an optimizer, and the loop that trains them.

    With ``config.beta_conditioning`` the policy is beta-conditioned, ``log Z`` is a
    :class:`LogZHead` (``self.log_z`` is then ``None``; use :meth:`log_z_at`), every
    training trajectory gets its own ``beta`` and the log-reward callable must give the
    log-rewards at ``beta = 1``. With ``n_preferences = m`` (MOGFN-PC) the policy is conditioned
    on a preference ``w`` over ``m`` objectives instead, ``log Z`` is a
    :class:`~seqmbo.generators.gflownet.preference.PreferenceLogZ`, every training trajectory
    gets its own ``w`` and the callable gives the objective scores ``(n, m)``.

    Args:
        env: the environment.
        config: training, policy and exploration settings.
        generator: torch random generator for all sampling, on ``device`` (seed it for
            reproducibility; parameter initialization uses the global torch RNG: build the
            trainer under :func:`seqmbo.devices.seeded`).
        device: where the policy, ``log Z``, the buffers and all designs live (default: the
            generator's device, else the CPU). Parameters are initialised on the CPU and moved,
            so a seed gives the same initial weights on every device.
        n_preferences: ``m`` for a preference-conditioned trainer, 0 for none.
        preference_rng: where the preferences are drawn from (NumPy; default seeded 0).
    """

    def __init__(self, env: TokenEnv, config: GFlowNetConfig | None = None, generator: torch.Generator | None = None,
                 device: torch.device | str | None = None, n_preferences: int = 0,
                 preference_rng: np.random.Generator | None = None):
        self.env = env
        self.config = config = config or GFlowNetConfig()
        self.generator = generator
        if device is None:
            device = generator.device if generator is not None else "cpu"
        self.device = device = torch.device(device)
        self.conditioned = config.beta_conditioning
        beta_range = (config.beta_min, config.beta_max) if self.conditioned else None
        self.preferences = int(n_preferences)
        self.preference_rng = preference_rng if preference_rng is not None else np.random.default_rng(0)
        self.policy = make_policy(
            env, config.policy, config.hidden_dim, config.n_layers, config.mlp_max_length, beta_range,
            self.preferences,
        ).to(device)
        self.log_z: nn.Parameter | None = None
        self.log_z_head: LogZHead | PreferenceLogZ | None = None
        if self.preferences:
            self.log_z_head = PreferenceLogZ(self.preferences).to(device)
            log_z_params = [self.log_z_head.base]
        elif self.conditioned:
            self.log_z_head = LogZHead(config.beta_min, config.beta_max).to(device)
            log_z_params = list(self.log_z_head.parameters())
        else:
            self.log_z = nn.Parameter(torch.zeros((), device=device))
            log_z_params = [self.log_z]
        groups = [
            {"params": list(self.policy.parameters()), "lr": config.lr},
            {"params": log_z_params, "lr": config.lr_logz},
        ]
        if self.preferences:  # the shape of log Z(w) around its level: ten times the policy's rate
            groups.append({"params": list(self.log_z_head.net.parameters()), "lr": 10 * config.lr})
        try:  # the fused kernel is ~2.5x faster on CPU for small networks
            self.optimizer = torch.optim.Adam(groups, fused=True)
        except (RuntimeError, TypeError, ValueError):  # pragma: no cover - older torch
            self.optimizer = torch.optim.Adam(groups)
        self.masks = env.masks(device)
        self.replay = None
        if config.replay_fraction > 0:
            self.replay = ReplayBuffer(config.replay_size, env.max_length, env.vocab_size, device)
        self.offline: tuple[torch.Tensor, torch.Tensor] | None = None
        self.constraint: TransitionMask | None = None
        self.cloned: tuple[torch.Tensor, torch.Tensor] | None = None  # the designs of behaviour_clone
        self.anchor: CloneAnchor | None = None  # config.anchor > 0: the frozen clone, after behaviour_clone
        self.penalty = config.invalid_log_penalty(env, cloning=bool(config.pretrain_steps))  # invalid designs' targets

    def set_constraint(self, constraint: TransitionMask | None) -> None:
        """Next-token constraints for sampling and the losses (set before :meth:`set_offline`)."""
        self.constraint = None if constraint is None else constraint.to(self.device)

    def set_offline(self, tokens: torch.Tensor, lengths: torch.Tensor) -> None:
        """Designs ``(m, L)`` mixed into every batch as off-policy trajectories.

        Designs that break the constraint (if any) are left out: the policy gives them
        probability zero.
        """
        tokens, lengths = tokens.to(self.device), lengths.to(self.device)
        if self.constraint is not None and tokens.shape[0]:
            ok = self.constraint.contains(tokens, lengths)
            tokens, lengths = tokens[ok], lengths[ok]
        self.offline = (tokens, lengths) if tokens.shape[0] else None

    def _masks(self, tokens: torch.Tensor) -> torch.Tensor:
        """The valid actions of designs: ``(P, A)``, or ``(n, P, A)`` under a constraint."""
        return self.masks if self.constraint is None else self.constraint.masks(tokens)

    # ------------------------------------------------------------------ beta
    def _betas(self, n: int, beta: float | torch.Tensor | None) -> torch.Tensor | None:
        """``(n,)`` betas for a conditioned policy (default ``config.beta``); ``None`` otherwise."""
        if not self.conditioned:
            if beta is not None and not (isinstance(beta, (int, float)) and beta == self.config.beta):
                raise ValueError("this GFlowNet is not beta-conditioned: it samples at config.beta only")
            return None
        if beta is None:
            beta = self.config.beta
        if isinstance(beta, torch.Tensor):
            return beta.to(device=self.device, dtype=torch.float32).expand(n)
        return torch.full((n,), float(beta), device=self.device)

    def _condition(self, n: int, beta: float | torch.Tensor | None, prefs: torch.Tensor | None) -> torch.Tensor | None:
        """The policy's conditioning of ``n`` designs: preferences ``(n, m)``, betas ``(n,)`` or ``None``."""
        if not self.preferences:
            if prefs is not None:
                raise ValueError("this GFlowNet is not preference-conditioned")
            return self._betas(n, beta)
        if prefs is None:
            raise ValueError("a preference-conditioned GFlowNet needs the preferences (n, m)")
        return torch.as_tensor(prefs, dtype=torch.float32, device=self.device).expand(n, self.preferences)

    def draw_preferences(self, n: int) -> torch.Tensor:
        """``n`` preferences ``(n, m)`` from Dirichlet(``config.preference_alpha``)."""
        w = draw_preferences(self.preference_rng, n, self.preferences, self.config.preference_alpha)
        return torch.as_tensor(w, dtype=torch.float32, device=self.device)

    def _draw_condition(self, n: int) -> torch.Tensor | None:
        """Training conditioning of ``n`` trajectories: drawn preferences or betas, or ``None``."""
        if self.preferences:
            return self.draw_preferences(n)
        return self.draw_betas(n) if self.conditioned else None

    def draw_betas(self, n: int) -> torch.Tensor:
        """``n`` training betas from ``[beta_min, beta_max]`` by ``config.beta_sampling``."""
        cfg = self.config
        u = torch.rand(n, generator=self.generator, device=self.device)
        if cfg.beta_sampling == "log_uniform":
            lo, hi = math.log(cfg.beta_min), math.log(cfg.beta_max)
            return (lo + (hi - lo) * u).exp()
        return cfg.beta_min + (cfg.beta_max - cfg.beta_min) * u

    def log_z_at(self, beta: float | torch.Tensor | None = None) -> torch.Tensor:
        """``log Z`` at ``beta`` (default ``config.beta``; a tensor gives one a beta); preference-conditioned:
        at equal weights."""
        if self.preferences:
            return self.log_z_head(torch.full((1, self.preferences), 1.0 / self.preferences, device=self.device))[0]
        if self.log_z_head is None:
            self._betas(1, beta)  # refuses other betas
            return self.log_z
        if isinstance(beta, torch.Tensor):
            return self.log_z_head(beta.to(torch.float32))
        return self.log_z_head(self._betas(1, beta))[0]

    # ------------------------------------------------------------------ sampling
    def sample(
        self, n: int, temperature: float = 1.0, epsilon: float = 0.0, beta: float | torch.Tensor | None = None,
        prefs: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` designs ``tokens (n, L)``, ``lengths (n,)`` from the current policy (at ``beta``, or at
        preferences ``prefs (n, m)``)."""
        betas = self._condition(n, beta, prefs)
        return sample_trajectories(
            self.policy, self.env, n, self.generator, epsilon, temperature, self.masks, betas, self.constraint
        )

    @torch.no_grad()
    def log_prob(
        self, tokens: torch.Tensor, lengths: torch.Tensor, beta: float | torch.Tensor | None = None,
        prefs: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Exact ``log P_F(x)`` ``(n,)`` of designs under the policy (``P_B = 1``), at ``beta`` or ``prefs``."""
        betas = self._condition(tokens.shape[0], beta, prefs)
        log_pf, _ = trajectory_log_probs(self.policy, self.env, tokens, lengths, self._masks(tokens), betas)
        return log_pf.sum(dim=1)

    # ------------------------------------------------------------------ training
    def loss(
        self,
        tokens: torch.Tensor,
        lengths: torch.Tensor,
        log_reward: torch.Tensor,
        beta: torch.Tensor | None = None,
        prefs: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The configured balance loss of a batch of complete designs.

        Conditioned: ``beta (n,)`` is each trajectory's beta and ``log_reward`` the
        log-rewards at ``beta = 1`` (the target is ``beta * log_reward``). Preference-conditioned:
        ``prefs (n, m)`` each trajectory's preference and ``log_reward`` the targets under them.
        """
        if self.preferences:
            if prefs is None:
                raise ValueError("a preference-conditioned loss needs each trajectory's preference")
            log_z, beta = self.log_z_head(prefs), prefs
        elif self.conditioned:
            if beta is None:
                raise ValueError("a beta-conditioned loss needs each trajectory's beta")
            log_z, log_reward = self.log_z_head(beta), beta * log_reward
        else:
            log_z = self.log_z
        masks = self._masks(tokens)
        log_reward = self.anchored(tokens, lengths, log_reward, beta, masks)
        log_pf, log_flow = trajectory_log_probs(self.policy, self.env, tokens, lengths, masks, beta)
        if self.config.loss == "tb":
            return trajectory_balance(log_pf, log_z, log_reward)
        steps = self.env.n_steps(lengths)
        return subtrajectory_balance(log_pf, log_flow, log_z, log_reward, steps, self.config.subtb_lambda)

    def anchored(self, tokens: torch.Tensor, lengths: torch.Tensor, log_reward: torch.Tensor,
                 cond: torch.Tensor | None = None, masks: torch.Tensor | None = None) -> torch.Tensor:
        """The balance targets ``(n,)``: ``log_reward (n,)`` (already at each trajectory's ``beta`` or
        preference ``cond``) plus ``anchor * log p_clone(x)`` when :attr:`anchor` is set, else unchanged."""
        if self.anchor is None:
            return log_reward
        masks = self._masks(tokens) if masks is None else masks
        return log_reward + self.anchor(tokens, lengths, masks, cond)

    def step(self, log_reward: LogReward) -> float:
        """One gradient step on a batch (on-policy + offline + replay); returns the loss."""
        cfg, gen = self.config, self.generator
        n_off = round(cfg.batch_size * cfg.offline_fraction) if self.offline is not None else 0
        n_rep = round(cfg.batch_size * cfg.replay_fraction) if self.replay is not None and len(self.replay) else 0
        n_on = max(cfg.batch_size - n_off - n_rep, 1)
        cond = self._draw_condition(n_on)
        tokens, lengths = self._sample_at(n_on, cfg.temperature, cfg.epsilon, cond)
        if n_off:
            idx = torch.randint(self.offline[0].shape[0], (n_off,), generator=gen, device=self.device)
            tokens = torch.cat([tokens, self.offline[0][idx]])
            lengths = torch.cat([lengths, self.offline[1][idx]])
        log_r = log_reward(tokens, lengths)
        if self.replay is not None:
            self.replay.add(tokens[:n_on], lengths[:n_on], self._replay_key(log_r[:n_on]))
            if n_rep:
                rep_tokens, rep_lengths, rep_r = self.replay.sample(n_rep, gen)
                if self.preferences:  # the buffer keeps a ranking key: the objective scores are looked up
                    rep_r = log_reward(rep_tokens, rep_lengths)
                tokens = torch.cat([tokens, rep_tokens])
                lengths = torch.cat([lengths, rep_lengths])
                log_r = torch.cat([log_r, rep_r])
        if cond is not None:  # off-policy rows get their own betas (preferences) too
            cond = torch.cat([cond, self._draw_condition(tokens.shape[0] - n_on)])
        if self.preferences:
            loss = self.loss(tokens, lengths, preference_log_reward(log_r, cond, cfg, self.penalty), prefs=cond)
        else:
            loss = self.loss(tokens, lengths, log_r, cond)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip is not None:
            nn.utils.clip_grad_norm_(self.policy.parameters(), cfg.grad_clip)
        self.optimizer.step()
        return float(loss.detach())

    def _sample_at(self, n: int, temperature: float, epsilon: float, cond: torch.Tensor | None):
        """Sample under a conditioning from :meth:`_draw_condition`."""
        if self.preferences:
            return self.sample(n, temperature, epsilon, prefs=cond)
        return self.sample(n, temperature, epsilon, cond)

    def _replay_key(self, log_r: torch.Tensor) -> torch.Tensor:
        """What the replay buffer ranks by: the log-reward, or (preferences) the one at equal weights."""
        if not self.preferences:
            return log_r
        equal = log_r.new_full((log_r.shape[0], self.preferences), 1.0 / self.preferences)
        return preference_log_reward(log_r, equal, self.config, self.penalty)

    def behaviour_clone(self, tokens: torch.Tensor, lengths: torch.Tensor, steps: int) -> list[float]:
        """Pre-train the policy by maximum likelihood on designs ``tokens (k, L)``, ``lengths (k,)``.

        ``steps`` Adam steps (a fresh optimizer at ``config.lr``, not the balance loss's) on the mean
        negative log-likelihood ``-log P_F(x)`` of ``batch_size`` designs drawn with replacement, each
        under its own drawn conditioning (preference or beta) when the policy is conditioned, so that
        sampling starts inside the data (e.g. the chemistry of the offline molecules). Designs off
        the constraint are left out. With ``config.anchor > 0`` the cloned policy is then frozen as
        :attr:`anchor` (:class:`~seqmbo.generators.gflownet.anchor.CloneAnchor`): every later balance
        target (and :meth:`fit_log_z`) adds ``anchor * log p_clone(x)``. Returns the losses (nats a
        design).
        """
        tokens, lengths = tokens.to(self.device), lengths.to(self.device)
        if self.constraint is not None and tokens.shape[0]:
            ok = self.constraint.contains(tokens, lengths)
            tokens, lengths = tokens[ok], lengths[ok]
        if steps <= 0 or not tokens.shape[0]:
            return []
        self.cloned = (tokens, lengths)
        optimizer = torch.optim.Adam(self.policy.parameters(), lr=self.config.lr)
        losses = []
        for _ in bar(range(steps), "gflownet: behaviour cloning"):
            loss = self._clone_loss(self.config.batch_size)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.config.grad_clip is not None:
                nn.utils.clip_grad_norm_(self.policy.parameters(), self.config.grad_clip)
            optimizer.step()
            losses.append(float(loss.detach()))
        if self.config.anchor > 0:
            self.anchor = CloneAnchor(self.policy, self.env, self.config.anchor)
        return losses

    def _clone_loss(self, k: int) -> torch.Tensor:
        """Mean ``-log P_F(x)`` of ``k`` designs drawn from the cloned ones, each under a drawn conditioning."""
        tokens, lengths = self.cloned
        idx = torch.randint(tokens.shape[0], (k,), generator=self.generator, device=self.device)
        t, l = tokens[idx], lengths[idx]
        log_pf, _ = trajectory_log_probs(self.policy, self.env, t, l, self._masks(t), self._draw_condition(k))
        return -log_pf.sum(dim=1).mean()

    @torch.no_grad()
    def fit_log_z(self, tokens: torch.Tensor, lengths: torch.Tensor, log_reward: LogReward) -> float:
        """Set ``log Z`` (its level, conditioned: every knot) to the mean of ``log R(x) - log P_F(x)``
        over designs ``tokens (k, L)``, ``lengths (k,)`` (each under a drawn conditioning): the value
        the balance loss would settle on for them, so it does not start far off after
        :meth:`behaviour_clone`. Returns that value."""
        tokens, lengths = tokens.to(self.device), lengths.to(self.device)
        cond = self._draw_condition(tokens.shape[0])
        log_r = log_reward(tokens, lengths)
        if self.preferences:
            log_r = preference_log_reward(log_r, cond, self.config, self.penalty)
        elif self.conditioned:
            log_r = cond * log_r
        masks = self._masks(tokens)
        log_r = self.anchored(tokens, lengths, log_r, cond, masks)
        log_pf, _ = trajectory_log_probs(self.policy, self.env, tokens, lengths, masks, cond)
        gap = log_r - log_pf.sum(dim=1)
        value = float(gap[torch.isfinite(gap)].mean()) if bool(torch.isfinite(gap).any()) else 0.0
        if self.preferences:
            self.log_z_head.base.fill_(value)
        elif self.conditioned:
            self.log_z_head.values.fill_(value)
        else:
            self.log_z.fill_(value)
        return value

    def train(self, log_reward: LogReward, steps: int | None = None) -> list[float]:
        """Run ``steps`` (default ``config.steps``) gradient steps; returns the losses."""
        steps = self.config.steps if steps is None else steps
        losses = []
        for i in bar(range(steps), "gflownet: training steps"):
            losses.append(self.step(log_reward))
            if log.isEnabledFor(logging.DEBUG) and (i + 1) % max(1, steps // 10) == 0:
                log_z = float(self.log_z_at().detach())
                log.debug("gflownet step %d/%d loss %.4f log Z %.3f", i + 1, steps, losses[-1], log_z)
        return losses
