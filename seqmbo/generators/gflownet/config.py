"""Configuration of the GFlowNet generator: one dataclass, sensible defaults."""

from __future__ import annotations

import math
from dataclasses import dataclass

from seqmbo.errors import InvalidInputError
from seqmbo.preferences import PREFERENCES, check_scalarization

LOSSES = ("tb", "subtb")
MOLECULE_PRETRAIN_STEPS = 300  # behaviour cloning of molecule runs with several objectives (see GFlowNetConfig)
POLICIES = ("auto", "mlp", "gru", "transformer")
REWARD_TRANSFORMS = ("power", "exponential")
BETA_SAMPLINGS = ("uniform", "log_uniform")


@dataclass(frozen=True)
class GFlowNetConfig:
    """Everything a :class:`~seqmbo.generators.gflownet.GFlowNetGenerator` can be told.

    Training:
        steps: gradient steps (one batch of trajectories each).
        warm_steps: steps of a warm-started propose (online rounds: the policy trained in the
            last round goes on from where it stopped); ``None``: ``steps``.
        batch_size: trajectories a step (on-policy + offline + replay).
        loss: ``"tb"`` (trajectory balance) or ``"subtb"`` (sub-trajectory balance,
            Madan et al. 2023, with a learned state-flow head).
        subtb_lambda: weight ``lambda ** (j - i)`` of a sub-trajectory ``i -> j`` (SubTB only).
        lr: learning rate of the policy (and flow head).
        lr_logz: learning rate of ``log Z`` (TB works best with a much higher one).
        grad_clip: max gradient norm of the policy parameters (``None`` for no clipping).

    Policy:
        policy: ``"mlp"`` (flattened one-hot prefix), ``"gru"``, ``"transformer"`` (causal),
            or ``"auto"``: the MLP for fixed-length designs up to ``mlp_max_length``
            letters, the GRU otherwise.
        mlp_max_length: the ``"auto"`` cut-off.
        hidden_dim: width of every hidden layer (model dimension of the transformer);
            ``None``: 256 for the MLP, 128 for the GRU and the transformer.
        n_layers: hidden layers of the MLP / recurrent or attention layers;
            ``None``: 2 for the MLP and the transformer, 1 for the GRU.

    Reward shaping (see :mod:`seqmbo.generators.gflownet.rewards`):
        reward_transform: ``"power"``: ``log R = beta * log(max(s, reward_min))``;
            ``"exponential"``: ``log R = beta * max(s, reward_min)``, where ``s`` is the
            reward min-max normalized on the offline designs' rewards.
        beta: inverse temperature of the shaped reward.
        reward_min: floor of the normalized reward ``s`` (also what invalid designs get).
        calibration_size: at most this many offline designs are scored to find the
            reward range (the best half by ``y`` and a random half of the rest).
        low_quantile: the quantile of the calibration rewards that maps to ``s = 0``
            (the best maps to ``s = 1``; better designs go above 1).
        invalid_penalty: subtracted from the log-reward (at ``beta``) of invalid designs (reward
            ``nan``/``-inf``: invalid, or off the reward's support) below the floor; ``None``
            (default): with behaviour cloning (``pretrain_steps``) ``max_length * log(actions)``, the
            log-count of the token strings, so that all invalid designs together weigh no more than
            one at the floor (see :mod:`seqmbo.generators.gflownet.rewards`), else 0 (the floor only).

    Beta conditioning (temperature-conditional GFlowNet, Zhang et al. 2023, Kim et al. 2023):
        beta_conditioning: train one sampler for a whole range of ``beta`` instead of one
            ``beta``. Every training trajectory (on-policy, offline or replayed) gets its own
            ``beta`` drawn from ``[beta_min, beta_max]``; its log-reward is that ``beta``
            times the shaped ``log R`` at ``beta = 1``; the policy (and the SubTB flow head)
            sees an embedding of ``log beta``; ``log Z`` becomes a learned function of
            ``beta`` (piecewise linear in ``beta``, trained at ``lr_logz``). Off by default:
            then ``beta`` is fixed and nothing of this exists.
        beta_min, beta_max: the trained range (``0 < beta_min <= beta_max``); ``beta`` and
            every ``sample_betas`` value must lie inside it.
        beta_sampling: how a trajectory's ``beta`` is drawn: ``"uniform"`` in ``beta`` or
            ``"log_uniform"`` (uniform in ``log beta``).
        sample_betas: the ``beta`` values the proposal samples at, the samples split evenly
            between them (empty: ``beta`` only). Needs ``beta_conditioning``.

    Preference conditioning (several objectives; MOGFN-PC, Jain et al. 2023):
        preference: ``"dirichlet"``: one sampler for every trade-off between the objectives of
            a reward with several (:meth:`~seqmbo.proxies.multi.MultiReward.vector`). Every
            training trajectory gets a preference ``w`` drawn from Dirichlet(``preference_alpha``);
            its reward is ``s_w ** beta`` (``"power"``) or ``exp(beta * s_w)``, ``s_w`` the
            ``scalarization`` under ``w`` of the objectives each normalized on the offline
            designs as the scalar reward is (floored at ``reward_min``); the policy and the
            SubTB flow head see an embedding of ``w``; ``log Z`` is a learned function of ``w``.
            The proposal draws a fresh ``w`` for every sample. ``"none"``: the scalar reward.
            ``"auto"`` (default): ``"dirichlet"`` when the reward has several objectives and
            ``beta_conditioning`` is off, else ``"none"`` (one objective stays exactly as it was).
        preference_alpha: the Dirichlet's concentration (1: uniform on the simplex).
        scalarization: ``"chebyshev"`` (augmented Chebyshev, the default) or ``"sum"`` (weighted sum;
            see :mod:`seqmbo.preferences`).

    Behaviour cloning (starting inside the data):
        pretrain_steps: before the balance loss, this many maximum-likelihood steps of the policy
            on the offline designs the reward accepts (those scored for the reward range that are
            valid and on its support), then ``log Z`` is set to the mean of ``log R - log P_F``
            over them (:meth:`~seqmbo.generators.gflownet.trainer.GFlowNetTrainer.behaviour_clone`).
            For designs whose support is sparse among all token strings (molecules under the
            chemistry gates), so that training starts where the reward is not the floor.
            0: off. ``None`` (default): :data:`MOLECULE_PRETRAIN_STEPS` for molecules with several
            objectives (chosen on the development instances ``zinc-fexofenadine-terms-dev`` and
            ``zinc-qed-sa-dev``), else 0 (sequences and one objective stay exactly as they were).
        anchor: ``lambda >= 0``: after behaviour cloning, a frozen copy of the cloned policy is kept
            and every balance target gets ``lambda * log p_clone(x)`` added (a reward tempered by the
            cloned density of the data, ``R(x) * p_clone(x) ** lambda``; see
            :mod:`seqmbo.generators.gflownet.anchor`). 0 (default): off, nothing of it exists. Needs
            behaviour cloning (``pretrain_steps > 0``, or its molecule default).

    Exploration:
        epsilon: probability of a uniformly random (valid) action at each step.
        temperature: softmax temperature of the training-time behaviour policy.
        offline_fraction: share of each batch drawn from the best offline designs.
        offline_top_fraction: which offline designs count as "best" (by ``y``).
        replay_fraction: share of each batch drawn from the replay buffer.
        replay_size: how many of the best distinct designs seen the buffer keeps.
        support_mask: when the reward gives allowed letter pairs (``reward.support_bigrams()``,
            ``(V, V)`` bool, as the run's :class:`~seqmbo.proxies.reward.ProxyReward` does), forbid
            the actions that would leave it (and dead ends) while building designs: those
            designs get the reward floor anyway. No effect when every pair is allowed.

    Proposal:
        sample_factor: after training, sample ``sample_factor * n`` designs.
        min_samples: ... but at least this many.
        sample_temperature: softmax temperature of the final sampling.
        exclude_dataset: drop designs that are already in the offline dataset.
    """

    steps: int = 2000
    warm_steps: int | None = None
    batch_size: int = 128
    loss: str = "tb"
    subtb_lambda: float = 0.9
    lr: float = 1e-3
    lr_logz: float = 0.1
    grad_clip: float | None = 10.0

    policy: str = "auto"
    mlp_max_length: int = 32
    hidden_dim: int | None = None
    n_layers: int | None = None

    reward_transform: str = "power"
    beta: float = 10.0
    reward_min: float = 1e-3
    calibration_size: int = 4096
    low_quantile: float = 0.05
    invalid_penalty: float | None = None

    beta_conditioning: bool = False
    beta_min: float = 1.0
    beta_max: float = 20.0
    beta_sampling: str = "uniform"
    sample_betas: tuple[float, ...] = ()

    preference: str = "auto"
    preference_alpha: float = 1.0
    scalarization: str = "chebyshev"

    pretrain_steps: int | None = None
    anchor: float = 0.0

    epsilon: float = 0.05
    temperature: float = 1.0
    offline_fraction: float = 0.25
    offline_top_fraction: float = 0.1
    replay_fraction: float = 0.25
    replay_size: int = 1000
    support_mask: bool = True

    sample_factor: int = 16
    min_samples: int = 1024
    sample_temperature: float = 1.0
    exclude_dataset: bool = True

    def __post_init__(self) -> None:
        def need(ok: bool, what: str) -> None:
            if not ok:
                raise InvalidInputError(f"GFlowNetConfig: {what}")

        need(self.loss in LOSSES, f"loss must be one of {LOSSES}, got {self.loss!r}")
        need(self.policy in POLICIES, f"policy must be one of {POLICIES}, got {self.policy!r}")
        need(
            self.reward_transform in REWARD_TRANSFORMS,
            f"reward_transform must be one of {REWARD_TRANSFORMS}, got {self.reward_transform!r}",
        )
        need(self.steps >= 0, f"steps must be >= 0, got {self.steps}")
        need(self.warm_steps is None or self.warm_steps >= 0, f"warm_steps must be >= 0, got {self.warm_steps}")
        need(self.pretrain_steps is None or self.pretrain_steps >= 0,
             f"pretrain_steps must be >= 0, got {self.pretrain_steps}")
        need(isinstance(self.anchor, (int, float)) and not isinstance(self.anchor, bool)
             and math.isfinite(self.anchor) and self.anchor >= 0,
             f"anchor must be a finite number >= 0 (0: off), got {self.anchor!r}")
        need(self.invalid_penalty is None or self.invalid_penalty >= 0,
             f"invalid_penalty must be >= 0, got {self.invalid_penalty}")
        need(self.batch_size >= 1, f"batch_size must be >= 1, got {self.batch_size}")
        need(0.0 < self.subtb_lambda, f"subtb_lambda must be > 0, got {self.subtb_lambda}")
        need(self.lr > 0 and self.lr_logz > 0, "learning rates must be > 0")
        need(self.hidden_dim is None or self.hidden_dim >= 1, f"hidden_dim must be >= 1, got {self.hidden_dim}")
        need(self.n_layers is None or self.n_layers >= 1, f"n_layers must be >= 1, got {self.n_layers}")
        need(self.beta > 0, f"beta must be > 0, got {self.beta}")
        need(self.reward_min > 0, f"reward_min must be > 0, got {self.reward_min}")
        need(0.0 <= self.low_quantile < 1.0, f"low_quantile must be in [0, 1), got {self.low_quantile}")
        need(0.0 <= self.epsilon <= 1.0, f"epsilon must be in [0, 1], got {self.epsilon}")
        need(self.temperature > 0 and self.sample_temperature > 0, "temperatures must be > 0")
        for name in ("offline_fraction", "replay_fraction", "offline_top_fraction"):
            value = getattr(self, name)
            need(0.0 <= value <= 1.0, f"{name} must be in [0, 1], got {value}")
        need(
            self.offline_fraction + self.replay_fraction <= 1.0,
            "offline_fraction + replay_fraction must be <= 1",
        )
        self._check_beta_conditioning(need)
        need(self.preference in PREFERENCES, f"preference must be one of {PREFERENCES}, got {self.preference!r}")
        need(self.preference_alpha > 0, f"preference_alpha must be > 0, got {self.preference_alpha}")
        check_scalarization(self.scalarization, "GFlowNetConfig")
        need(not (self.preference == "dirichlet" and self.beta_conditioning),
             "preference='dirichlet' and beta_conditioning cannot be combined (condition on one of them)")
        need(self.sample_factor >= 1 and self.min_samples >= 0, "sample_factor must be >= 1")

    def _check_beta_conditioning(self, need) -> None:
        betas = self.sample_betas
        if isinstance(betas, (int, float)):
            betas = (betas,)
        try:
            betas = tuple(float(b) for b in betas)
        except (TypeError, ValueError):
            need(False, f"sample_betas must be a list of numbers, got {self.sample_betas!r}")
        object.__setattr__(self, "sample_betas", betas)  # lists (TOML, --set) become a tuple
        if not self.beta_conditioning:
            need(not betas, "sample_betas needs beta_conditioning=true (set beta to sample at one beta)")
            return
        need(
            self.beta_sampling in BETA_SAMPLINGS,
            f"beta_sampling must be one of {BETA_SAMPLINGS}, got {self.beta_sampling!r}",
        )
        need(
            0 < self.beta_min <= self.beta_max,
            f"beta range must satisfy 0 < beta_min <= beta_max, got [{self.beta_min}, {self.beta_max}]",
        )
        for b in (self.beta, *betas):
            need(
                self.beta_min <= b <= self.beta_max,
                f"beta {b} is outside the trained range [beta_min, beta_max] = [{self.beta_min}, {self.beta_max}]",
            )

    def cloning_steps(self, kind: str, n_objectives: int) -> int:
        """``pretrain_steps`` for designs of ``kind`` (``"molecule"``, ...) under a sampler conditioned
        on ``n_objectives`` preferences (0: none); ``None`` resolves as documented."""
        if self.pretrain_steps is not None:
            return int(self.pretrain_steps)
        return MOLECULE_PRETRAIN_STEPS if kind == "molecule" and n_objectives >= 2 else 0

    def invalid_log_penalty(self, env, cloning: bool = True) -> float:
        """``invalid_penalty`` for the environment ``env`` (``None``: ``max_length * log(n_actions)``
        when ``cloning``, else 0)."""
        if self.invalid_penalty is not None:
            return float(self.invalid_penalty)
        return env.max_length * math.log(env.n_actions) if cloning else 0.0

    @property
    def proposal_betas(self) -> tuple[float, ...]:
        """The ``beta`` values the proposal samples at: ``sample_betas``, else ``(beta,)``."""
        return self.sample_betas or (self.beta,)

    def preferences_for(self, n_objectives: int) -> int:
        """How many objectives the sampler is conditioned on for a reward with ``n_objectives``
        (0: not preference-conditioned)."""
        if self.preference == "none" or n_objectives < 2:
            if self.preference == "dirichlet":
                raise InvalidInputError("GFlowNetConfig: preference='dirichlet' needs a reward with several objectives")
            return 0
        if self.preference == "auto" and self.beta_conditioning:
            return 0
        return n_objectives
