"""Baseline generators: uniform random designs and the best offline designs."""

from __future__ import annotations

import numpy as np

from seqmbo.data.dataset import Dataset
from seqmbo.generators.base import GeneratorBase, Reward


class RandomGenerator(GeneratorBase):
    """Designs drawn uniformly from the space (no reward guidance): the floor every method must beat.

    Returns exactly ``n`` distinct designs where the space allows, in the order drawn; the run
    keeps them as they are (no reward ranking, no novelty or support gate), so this is the pure
    random baseline of Design-Bench (128 uniform 8-mers on TFBind8 give 0.940 +- 0.036).
    """

    uses_reward = False
    baseline = True

    def propose(self, reward: Reward, n: int, dataset: Dataset, rng: np.random.Generator) -> list[str]:
        out: dict[str, None] = {}
        for _ in range(100):
            for d in dataset.space.sample(2 * (n - len(out)) + 8, rng):
                out.setdefault(d, None)
                if len(out) >= n:
                    return list(out)
        return list(out)


class DatasetTopGenerator(GeneratorBase):
    """The ``n`` best offline designs: reproduces Design-Bench's D(best) row."""

    uses_reward = False
    baseline = True

    def propose(self, reward: Reward, n: int, dataset: Dataset, rng: np.random.Generator) -> list[str]:
        designs, _ = dataset.top(len(dataset))
        return list(dict.fromkeys(designs))[:n]
