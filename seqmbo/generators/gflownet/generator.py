"""``GFlowNetGenerator``: train a GFlowNet on the proxy reward, then sample candidates."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import torch

from seqmbo._config import with_overrides
from seqmbo.data.dataset import Dataset
from seqmbo.devices import DeviceLike, resolve_device, seeded, seeded_generator
from seqmbo.errors import InvalidInputError
from seqmbo.generators.base import GeneratorBase, Reward
from seqmbo.generators.gflownet.config import GFlowNetConfig
from seqmbo.generators.gflownet.constraints import TransitionMask
from seqmbo.generators.gflownet.env import TokenEnv
from seqmbo.generators.gflownet.preference import TokenVectors, VectorShaper
from seqmbo.generators.gflownet.rewards import RewardShaper, TokenRewards
from seqmbo.generators.gflownet.trainer import GFlowNetTrainer
from seqmbo.pareto import nsga_order
from seqmbo.preferences import reward_objectives

log = logging.getLogger(__name__)

_SAMPLE_CHUNK = 4096


class GFlowNetGenerator(GeneratorBase):
    """Proposes designs by sampling a GFlowNet trained to sample ``x`` with ``P(x) ∝ R(x)``.

    ``R`` is the run's reward, normalized on the offline designs and sharpened (see
    :mod:`seqmbo.generators.gflownet.rewards`). Training batches mix on-policy designs
    (``epsilon``-uniform, tempered), the best offline designs and a replay buffer of the
    best designs seen. With ``beta_conditioning`` one sampler is trained for a range of
    ``beta`` and the proposal samples at ``beta`` (or at each of ``sample_betas``). With a
    reward over several objectives (``preference``, default ``"auto"``) one sampler is trained for
    every preference between them and the proposal draws a fresh preference for every sample
    (MOGFN-PC: :mod:`seqmbo.generators.gflownet.preference`). With ``pretrain_steps`` (default: on
    for molecules with several objectives) the policy first clones the offline designs the reward
    accepts and designs it rejects get a penalty below the floor, so that training starts, and
    stays, inside the data's chemistry. Works on
    any space with the token interface (``vocab_size``, ``min_length``, ``max_length``,
    ``encode``, ``decode``).

    Args:
        config: the settings (defaults: :class:`GFlowNetConfig`).
        device: where the policy trains and samples (``"auto"``, ``"cpu"``, ``"cuda"``).
        **overrides: individual settings replacing those of ``config``
            (``GFlowNetGenerator(loss="subtb", steps=500)``).

    With ``warm_start`` (online rounds) the trained policy, ``log Z``, optimizer and replay
    buffer (its designs rescored by the new reward) carry over to the next :meth:`propose`,
    which trains ``warm_steps`` (default ``steps``) more steps from there.

    Attributes:
        last_run: diagnostics of the latest :meth:`propose` (``log_z``, ``final_loss``,
            ``reward_calls``, ``designs_scored``, ``designs_invalid`` (reward ``nan``/``-inf``),
            ``reward_lo``, ``reward_hi``, ``policy``, ``support_mask``, ``device``).
    """

    name = "gflownet"

    def __init__(self, config: GFlowNetConfig | None = None, *, device: DeviceLike = "cpu", **overrides: Any) -> None:
        self.config = with_overrides(config or GFlowNetConfig(), overrides, "generator 'gflownet'")
        self.device = resolve_device(device)
        self.last_run: dict[str, Any] = {}
        self._trainer: GFlowNetTrainer | None = None  # kept between proposes with ``warm_start``

    def __repr__(self) -> str:
        return f"GFlowNetGenerator({self.config!r}, device={str(self.device)!r})"

    def propose(self, reward: Reward, n: int, dataset: Dataset, rng: np.random.Generator) -> list[str]:
        """Train on ``reward``, sample ``max(sample_factor * n, min_samples)`` designs.

        Designs stay token tensors on the generator's device while training; with a reward
        that has ``on_tokens`` (the run's :class:`~seqmbo.proxies.reward.ProxyReward`) they
        are scored as tokens, and strings are made for the final samples only.

        Args:
            reward: maps designs to rewards ``(n,)`` (any units and sign; ``nan``/``-inf``
                for invalid designs); called once per batch, only on designs not seen before.
                Its ``support_bigrams()``, if any, gives the support mask.
            n: how many candidates the run keeps.
            dataset: the offline designs (its ``space`` defines the tokens).
            rng: the only source of randomness; the same seed gives the same designs (CPU).

        Returns:
            Distinct designs, best reward first (invalid ones last); usually far more than
            ``n``; designs of the offline dataset are left out unless
            ``exclude_dataset=False``.
        """
        cfg = self.config
        space = dataset.space
        env = TokenEnv.from_space(space)
        seed = int(rng.integers(0, 2**63 - 1))
        np_rng = np.random.default_rng(seed)
        trainer = self._trainer if self.warm_start else None
        warm = trainer is not None  # the last propose's policy goes on
        m = cfg.preferences_for(reward_objectives(reward))
        if not warm:
            with seeded(seed, "cpu"):  # initial weights: drawn on the CPU, the same on every device
                trainer = GFlowNetTrainer(env, cfg, seeded_generator(seed, self.device), self.device,
                                          n_preferences=m, preference_rng=np.random.default_rng(seed + 1))
        else:  # warm start: the policy, log Z, optimizer and replay buffer of the last propose go on
            trainer.generator = seeded_generator(seed, self.device)
        steps = cfg.warm_steps if warm and cfg.warm_steps is not None else cfg.steps

        cloning = cfg.cloning_steps(getattr(space, "kind", ""), m) if self._trainer is None else 0
        if cfg.anchor > 0 and cloning <= 0 and trainer.anchor is None:
            raise InvalidInputError(f"generator 'gflownet': anchor={cfg.anchor} needs behaviour cloning to anchor to "
                                    "(set pretrain_steps > 0; it is on by default only for molecules with several "
                                    "objectives)")
        trainer.penalty = cfg.invalid_log_penalty(env, cloning=cloning > 0 or trainer.cloned is not None)
        if cfg.support_mask:
            bigrams = getattr(reward, "support_bigrams", None)
            trainer.set_constraint(TransitionMask.from_bigrams(env, bigrams() if callable(bigrams) else None))
        if m:
            scores = TokenVectors(reward, space, env.vocab_size)
            fit = lambda raw: VectorShaper.fit(raw, cfg)  # noqa: E731
        else:
            scores = TokenRewards(reward, space, env.vocab_size)
            beta = 1.0 if cfg.beta_conditioning else cfg.beta  # conditioned: the trainer scales by each beta
            fit = lambda raw: RewardShaper.fit(raw, cfg.reward_transform, beta, cfg.reward_min, cfg.low_quantile,  # noqa: E731
                                               trainer.penalty)
        pool_tokens, pool_lengths, shaper, seen, accepted = self._calibrate(dataset, env, scores, fit, np_rng)
        if cfg.offline_fraction > 0:
            trainer.set_offline(pool_tokens, pool_lengths)

        def log_reward(tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
            return torch.as_tensor(shaper(scores(tokens, lengths)), dtype=torch.float32, device=tokens.device)

        cloned = self._clone(trainer, accepted, log_reward, cloning)

        if trainer.replay is not None:
            trainer.replay.rescore(lambda t, l: trainer._replay_key(log_reward(t, l)))  # a warm buffer holds rewards of the last propose's proxy
        losses = trainer.train(log_reward, steps)
        self._trainer = trainer if self.warm_start else None

        candidates, order = self._final(trainer, scores, space, seen, n, m)
        self.last_run = self._diagnostics(trainer, scores, shaper, accepted if cloned else None, cloned, losses, m)
        self.last_run["n_candidates"] = len(candidates)
        log.info("gflownet: %s", self.last_run)
        return [candidates[i] for i in order]

    # ------------------------------------------------------------------ helpers
    def _final(self, trainer: GFlowNetTrainer, scores, space, seen: set[str], n: int, m: int):
        """The final samples (and the replay buffer's designs) as distinct strings, offline ones left
        out (``exclude_dataset``), with the order to return them in: best reward first, or the
        NSGA-II order of the reward vectors with ``m`` objectives. Returns ``(candidates, order)``."""
        cfg = self.config
        tokens, lengths = self._sample(trainer, max(cfg.sample_factor * n, cfg.min_samples))
        if trainer.replay is not None and len(trainer.replay):
            tokens = torch.cat([tokens, trainer.replay.tokens])
            lengths = torch.cat([lengths, trainer.replay.lengths])
        first: dict[str, int] = {}  # the final candidates: the only strings made
        for i, d in enumerate(space.decode(tokens.cpu().numpy())):
            if d not in first and not (cfg.exclude_dataset and d in seen):
                first[d] = i
        candidates = list(first)
        rows = torch.as_tensor(list(first.values()), dtype=torch.long, device=tokens.device)
        raw = scores(tokens[rows], lengths[rows]) if candidates else np.zeros(0)
        if m:  # several objectives: NSGA-II order of the vectors
            return candidates, nsga_order(np.nan_to_num(raw.reshape(-1, m), nan=-1e300, neginf=-1e300), limit=n)
        return candidates, np.argsort(-np.where(np.isfinite(raw), raw, -np.inf), kind="stable")

    def _diagnostics(self, trainer: GFlowNetTrainer, scores, shaper, cloned_from, cloned: list[float],
                     losses: list[float], m: int) -> dict[str, Any]:
        """``last_run`` of a propose (``cloned_from``: the designs behaviour cloning learned, if any)."""
        scored = scores.scored
        return {
            "policy": type(trainer.policy).__name__,
            "pretrain_designs": int(cloned_from[0].shape[0]) if cloned_from is not None else 0,
            "pretrain_nll": [round(cloned[0], 3), round(float(np.mean(cloned[-20:])), 3)] if cloned else None,
            "anchor": trainer.anchor.weight if trainer.anchor is not None else 0.0,
            "log_z": float(trainer.log_z_at().detach()),
            "final_loss": float(np.mean(losses[-50:])) if losses else math.nan,
            "reward_calls": scores.reward_calls,
            "designs_scored": len(scored),
            "designs_invalid": int(sum(not np.isfinite(v).all() for v in scored)),
            **({"reward_ranges": shaper.ranges, "preferences": m} if m else {"reward_lo": shaper.lo,
                                                                               "reward_hi": shaper.hi}),
            "support_mask": trainer.constraint is not None,
            "device": str(self.device),
        }

    def _calibrate(
        self, dataset: Dataset, env: TokenEnv, scores, fit, np_rng: np.random.Generator
    ) -> tuple[torch.Tensor, torch.Tensor, Any, set[str], tuple[torch.Tensor, torch.Tensor]]:
        """Score the best offline designs and a random sample of the rest (one reward call).

        Returns the best designs' tokens and lengths (the offline pool, on the generator's
        device), the shaper ``fit(raw scores)`` (a :class:`RewardShaper`, or a
        :class:`VectorShaper` for several objectives), the set of offline designs (as given
        and as decoded), and the tokens and lengths of the scored designs the reward accepts
        (finite: valid and on its support), which :meth:`_clone` pre-trains on.
        """
        cfg = self.config
        y = np.asarray(dataset.y, dtype=np.float64)
        order = np.argsort(-y, kind="stable")
        budget = max(cfg.calibration_size, 2)
        n_top = min(max(1, math.ceil(cfg.offline_top_fraction * len(y))), max(1, budget // 2), len(y))
        rest = order[n_top:]
        n_rand = min(len(rest), budget - n_top)
        rand = np_rng.choice(rest, size=n_rand, replace=False) if n_rand else rest[:0]
        index = np.concatenate([order[:n_top], rand])
        designs = [dataset.designs[i] for i in index]
        tokens = torch.as_tensor(np.asarray(dataset.space.encode(designs)), dtype=torch.long)
        ok, lengths = env.valid_rows(tokens)
        decoded = dataset.space.decode(tokens[ok].numpy())
        tokens, lengths, ok = tokens.to(self.device), lengths.to(self.device), ok.to(self.device)
        raw = scores(tokens[ok], lengths[ok])
        shaper = fit(raw)
        top = ok.clone()
        top[n_top:] = False
        seen = set(dataset.designs) | set(decoded)
        finite = np.isfinite(raw.reshape(raw.shape[0], -1)).all(axis=1)
        accepted = torch.as_tensor(finite, device=self.device)
        return tokens[top], lengths[top], shaper, seen, (tokens[ok][accepted], lengths[ok][accepted])

    @staticmethod
    def _clone(trainer: GFlowNetTrainer, accepted: tuple[torch.Tensor, torch.Tensor], log_reward,
               steps: int) -> list[float]:
        """Behaviour cloning before the balance loss (``steps`` of ``pretrain_steps``): the policy
        learns the accepted offline designs by maximum likelihood, then ``log Z`` is fitted on them.
        Returns the cloning losses (none when off or nothing was accepted)."""
        if steps <= 0 or not accepted[0].shape[0]:
            return []
        losses = trainer.behaviour_clone(*accepted, steps)
        trainer.fit_log_z(*accepted, log_reward)
        return losses

    @staticmethod
    def _sample(trainer: GFlowNetTrainer, total: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``total`` designs ``tokens (total, L)``, ``lengths (total,)``, split evenly between
        the proposal betas (one unless conditioned); preference-conditioned: each at its own
        preference drawn from the Dirichlet."""
        tokens, lengths, made = [], [], 0
        cfg = trainer.config
        betas = cfg.proposal_betas if cfg.beta_conditioning else (None,)
        for i, beta in enumerate(betas):
            goal = total * (i + 1) // len(betas)
            while made < goal:
                chunk = min(_SAMPLE_CHUNK, goal - made)
                prefs = trainer.draw_preferences(chunk) if trainer.preferences else None  # one a sample
                t, l = trainer.sample(chunk, temperature=cfg.sample_temperature, beta=beta, prefs=prefs)
                tokens.append(t)
                lengths.append(l)
                made += chunk
        width = trainer.env.max_length
        if not tokens:
            return (torch.empty(0, width, dtype=torch.long, device=trainer.device),
                    torch.empty(0, dtype=torch.long, device=trainer.device))
        return torch.cat(tokens), torch.cat(lengths)
