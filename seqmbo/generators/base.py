"""What a generator is: one method, ``propose``.

A generator sees the offline :class:`~seqmbo.data.Dataset` and a reward function built from
the proxy; it never sees the oracle. Budgets, gating and selection are the run's business.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from seqmbo.data.dataset import Dataset

Reward = Callable[[Sequence[str]], np.ndarray]
"""Maps designs to rewards ``(n,)`` (higher is better; ``nan`` or ``-inf`` for invalid designs)."""


@runtime_checkable
class Generator(Protocol):
    """Proposes candidate designs under reward guidance.

    Attributes:
        uses_reward: the run ranks the proposals by the reward (``False``: kept in the order given).
        baseline: a reference point judged as it comes (no support or novelty gate, no proxy
            calibration): ``random`` and ``dataset-top``.
    """

    uses_reward: bool
    baseline: bool

    def propose(self, reward: Reward, n: int, dataset: Dataset, rng: np.random.Generator) -> list[str]:
        """Return at least ``n`` distinct candidate designs (more is allowed; the run selects).

        Args:
            reward: the proxy-based reward; the only guidance a generator gets.
            n: how many candidates the run will keep.
            dataset: the offline designs and scores (its ``space`` says what is valid).
            rng: the only source of randomness (seeded by the run).
        """
        ...


class GeneratorBase:
    """Defaults of the :class:`Generator` capabilities: a reward-guided, gated generator.

    Subclass it (or declare ``uses_reward`` and ``baseline`` yourself) and write ``propose``.

    ``warm_start``: when ``True`` a generator that has state worth keeping (evolution's
    population, the GFlowNet's policy and replay buffer) carries it from one ``propose`` to the
    next instead of starting afresh; online rounds (:mod:`seqmbo.online`) turn it on. Generators
    without such state ignore it.
    """

    uses_reward: bool = True
    baseline: bool = False
    warm_start: bool = False

    def propose(self, reward: Reward, n: int, dataset: Dataset, rng: np.random.Generator) -> list[str]:
        raise NotImplementedError
