"""Evolution: mutation and crossover from the best offline designs, selected by the reward.

Works on token ids through the space's ``encode``/``decode``, so the same code evolves DNA,
proteins and (through SELFIES tokens) molecules. Variable-length spaces also insert and delete.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqmbo.data.dataset import Dataset
from seqmbo._config import with_overrides
from seqmbo.errors import InvalidInputError
from seqmbo.generators import graph_edits
from seqmbo.generators.base import GeneratorBase, Reward
from seqmbo.progress import bar
from seqmbo.spaces.sequence import PAD


@dataclass
class EvolutionConfig:
    """Settings of :class:`EvolutionGenerator`.

    Attributes:
        population: designs kept between generations ((mu + lambda) selection).
        offspring: children made each generation.
        generations: number of generations.
        mutation_rate: per-position mutation probability (default ``1/L``; every child gets >= 1).
        crossover: probability a child is a uniform crossover of two parents.
        seed_top: the initial population is the best ``seed_top`` offline designs (by score).
        operators: ``"tokens"``: mutation and crossover of token ids (any space); ``"graph"``:
            molecules are changed as graphs (atoms, bonds, rings; crossover of fragments at an
            acyclic bond; :mod:`seqmbo.generators.graph_edits`), children the space cannot write in
            ``max_length`` SELFIES tokens left out (:meth:`~seqmbo.spaces.molecule.MoleculeSpace.writable`);
            other spaces keep the tokens.
        elements: where graph edits draw new atoms from: ``"space"``, every element the molecule
            space's vocabulary writes (:meth:`~seqmbo.spaces.molecule.MoleculeSpace.elements`) and
            those of the seeds; ``"seeds"``, only the elements of the population's seeds (an element
            none of them holds, such as the phosphorus of a formula to match, is then never made).
    """

    population: int = 256
    offspring: int = 512
    generations: int = 30
    mutation_rate: float | None = None
    crossover: float = 0.5
    seed_top: int = 256
    operators: str = "tokens"
    elements: str = "space"

    def __post_init__(self) -> None:
        if self.operators not in ("tokens", "graph"):
            raise InvalidInputError(f"generator 'evolution': operators must be 'tokens' or 'graph', "
                                    f"got {self.operators!r}")
        if self.elements not in ("space", "seeds"):
            raise InvalidInputError(f"generator 'evolution': elements must be 'space' or 'seeds', "
                                    f"got {self.elements!r}")


class EvolutionGenerator(GeneratorBase):
    """A (mu + lambda) genetic algorithm guided by the reward.

    With ``warm_start`` the final population of one :meth:`propose` joins the seeds of the next
    (rescored by the new reward), so online rounds continue the search rather than restart it.
    """

    def __init__(self, config: EvolutionConfig | None = None, **overrides) -> None:
        self.config = with_overrides(config or EvolutionConfig(), overrides, "generator 'evolution'")
        self.population: list[str] = []

    def propose(self, reward: Reward, n: int, dataset: Dataset, rng: np.random.Generator) -> list[str]:
        cfg, space = self.config, dataset.space
        seeds, _ = dataset.top(max(cfg.seed_top, 2))
        if self.warm_start:
            seeds = list(dict.fromkeys(seeds + self.population))
        pool: dict[str, float] = {}

        def score(designs: list[str]) -> None:
            new = [d for d in dict.fromkeys(designs) if d not in pool]
            if new:
                pool.update(zip(new, reward(new).tolist()))

        score(seeds)
        offline = set(dataset.designs)
        population = self._best(pool, cfg.population)
        graph = cfg.operators == "graph" and getattr(space, "kind", "") == "molecule"
        elements = self._elements(seeds, space) if graph else None
        for _ in bar(range(cfg.generations), "evolution: generations"):
            if graph:
                children = graph_edits.offspring(population, cfg.offspring, rng, cfg.crossover, elements,
                                                 self._rank_weights(len(population)), parse=space.mol)
                children = [c for c, ok in zip(children, space.writable(children)) if ok]
            else:
                children = space.decode(self._offspring(space.encode(population), pool, population, space, rng))
            score(children)
            population = self._best(pool, cfg.population)
        self.population = population if self.warm_start else []
        ranked = sorted(pool.items(), key=lambda kv: -kv[1])
        novel = [d for d, r in ranked if d not in offline and np.isfinite(r)]
        return novel if len(novel) >= n else novel + [d for d, _ in ranked if d in offline][: n - len(novel)]

    def _elements(self, seeds: list[str], space) -> list[str]:
        """The elements graph edits may add (``config.elements``), in :data:`graph_edits.VALENCE` order."""
        found = graph_edits.elements_of(seeds, space.mol)
        if self.config.elements == "space":
            allowed = set(found) | set(space.elements())
            found = [e for e in graph_edits.VALENCE if e in allowed]
        return found

    @staticmethod
    def _best(pool: dict[str, float], k: int) -> list[str]:
        items = [(d, r) for d, r in pool.items() if np.isfinite(r)]
        items.sort(key=lambda kv: -kv[1])
        return [d for d, _ in items[:k]] or list(pool)[:k]

    @staticmethod
    def _rank_weights(m: int) -> np.ndarray:
        """Rank-based parent choice: better designs (earlier in the population) are chosen more often."""
        w = 1.0 / (np.arange(m) + 10.0)
        return w / w.sum()

    def _offspring(self, parents: np.ndarray, pool, population, space, rng: np.random.Generator) -> np.ndarray:
        cfg = self.config
        m, L = parents.shape
        k = cfg.offspring
        w = self._rank_weights(m)
        a = parents[rng.choice(m, size=k, p=w)]
        b = parents[rng.choice(m, size=k, p=w)]
        cross = rng.random(k) < cfg.crossover
        lengths_a = (a >= 0).sum(1)
        lengths_b = (b >= 0).sum(1)
        same = lengths_a == lengths_b
        take_b = (rng.random((k, L)) < 0.5) & (cross & same)[:, None]
        child = np.where(take_b, b, a)
        length = (child >= 0).sum(1)
        rate = cfg.mutation_rate if cfg.mutation_rate is not None else 1.0 / max(1, int(length.mean()))
        V = space.vocab_size
        mut = (rng.random((k, L)) < rate) & (child >= 0)
        force = rng.integers(0, np.maximum(length, 1))
        mut[np.arange(k), force] = True
        mut &= child >= 0
        shift = rng.integers(1, V, size=(k, L)) if V > 1 else np.zeros((k, L), dtype=np.int64)
        child = np.where(mut, (child + shift) % V, child)
        if not space.is_fixed_length:
            child = self._indels(child, length, space, rng)
        return child

    @staticmethod
    def _indels(child: np.ndarray, length: np.ndarray, space, rng: np.random.Generator) -> np.ndarray:
        """Insert or delete one token in a third of the children each (within the length range)."""
        out = np.full_like(child, PAD)
        for i, row in enumerate(child):
            seq = row[: length[i]].tolist()
            u = rng.random()
            if u < 1 / 3 and len(seq) < space.max_length:
                seq.insert(int(rng.integers(0, len(seq) + 1)), int(rng.integers(0, space.vocab_size)))
            elif u < 2 / 3 and len(seq) > space.min_length:
                del seq[int(rng.integers(0, len(seq)))]
            out[i, : len(seq)] = seq
        return out
