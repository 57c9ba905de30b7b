"""NSGA-II (Deb et al. 2002) over the vector reward, on the evolution generator's operators.

The population is selected by non-dominated sorting and crowding distance of the reward vector
(:meth:`~seqmbo.proxies.multi.MultiReward.vector`: the proxies' normalized objective scores, or
their LCB/UCB with ``reward = "lcb"``/``"ucb"``); children come from the same mutation,
crossover and insertion/deletion operators as :class:`~seqmbo.generators.evolution.EvolutionGenerator`,
parents drawn by rank in that order. With one objective it is that evolution with the scalar reward.
"""

from __future__ import annotations

import numpy as np

from seqmbo.data.dataset import Dataset
from seqmbo.generators.base import Reward
from seqmbo.generators.evolution import EvolutionGenerator
from seqmbo.pareto import nsga_order
from seqmbo.progress import bar
from seqmbo.proxies.multi import reward_vector


class NSGA2Generator(EvolutionGenerator):
    """(mu + lambda) NSGA-II selection; settings as :class:`~seqmbo.generators.evolution.EvolutionConfig`
    (``seed_top``: the initial population is the offline designs first in NSGA-II order of their
    measured objectives)."""

    def propose(self, reward: Reward, n: int, dataset: Dataset, rng: np.random.Generator) -> list[str]:
        cfg, space = self.config, dataset.space
        measured = dataset.Y if dataset.Y is not None else dataset.y[:, None]
        first = nsga_order(measured[:, : getattr(reward, "n_objectives", measured.shape[1])],
                           limit=max(cfg.seed_top, 2))
        pool: dict[str, np.ndarray] = {}

        def score(designs: list[str]) -> None:
            new = [d for d in dict.fromkeys(designs) if d not in pool]
            if new:
                pool.update(zip(new, reward_vector(reward, new)))

        score([dataset.designs[i] for i in first[: max(cfg.seed_top, 2)]])
        population = self._select(list(pool), pool, cfg.population)
        for _ in bar(range(cfg.generations), "nsga2: generations"):
            children = space.decode(self._offspring(space.encode(population), pool, population, space, rng))
            score(children)
            population = self._select(list(dict.fromkeys(population + children)), pool, cfg.population)
        offline = set(dataset.designs)
        novel = [d for d in pool if d not in offline and np.isfinite(pool[d]).all()]
        return novel if len(novel) >= n else novel + [d for d in pool if d in offline][: n - len(novel)]

    @staticmethod
    def _select(designs: list[str], pool: dict[str, np.ndarray], k: int) -> list[str]:
        """The best ``k`` of ``designs`` in NSGA-II order (finite rewards first)."""
        ok = [d for d in designs if np.isfinite(pool[d]).all()] or designs
        Y = np.array([pool[d] for d in ok])
        return [ok[i] for i in nsga_order(np.nan_to_num(Y, neginf=-1e300), limit=k)[:k]]
