"""Local search: single and double mutants, and recombinations, of the best labelled designs.

Meant for online rounds on landscapes whose labels are flat (most designs share a few values,
as on Ehrlich functions, where every design lacking a motif element scores 0): a proxy fit on
such labels ranks far-away designs no better than chance, while a design one or two letters away
from the best labelled one keeps most of what made it good. Each proposal is a (1 + lambda) step
of an evolutionary algorithm with plateau moves: the parents are the designs tied at the best
score (the incumbents), the children differ from a parent in ``1..max_mutations`` positions or
recombine two parents letter by letter. Children off the reward's support (reward ``-inf``:
e.g. an adjacent letter pair never seen in a feasible design) and designs already labelled are
dropped. The run's reward orders the children and keeps ``n``: with ``pool = 1`` the children are
the batch (the proxy only orders them); a larger ``pool`` lets the proxy choose among more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqmbo._config import with_overrides
from seqmbo.data.dataset import Dataset
from seqmbo.generators.base import GeneratorBase, Reward


@dataclass
class LocalConfig:
    """Settings of :class:`LocalSearchGenerator`.

    Attributes:
        incumbents: at most this many parents: the designs tied at the best score (the best
            one alone when there is no tie).
        max_mutations: a mutant differs from its parent in ``1..max_mutations`` positions
            (one position with probability ``single``, else uniformly more).
        single: the share of mutants with one change.
        crossover: the share of children that recombine two parents (uniform crossover;
            only with two parents or more).
        pool: children drawn per candidate the run keeps (``>= 1``).
        max_tries: draws per child before giving up (children off the support are redrawn).
    """

    incumbents: int = 8
    max_mutations: int = 2
    single: float = 0.7
    crossover: float = 0.25
    pool: float = 1.0
    max_tries: int = 50


class LocalSearchGenerator(GeneratorBase):
    """Proposes mutants and recombinations of the best designs of the dataset (see module)."""

    name = "local"

    def __init__(self, config: LocalConfig | None = None, **overrides) -> None:
        self.config = with_overrides(config or LocalConfig(), overrides, "generator 'local'")
        self.last_run: dict[str, int] = {}

    def propose(self, reward: Reward, n: int, dataset: Dataset, rng: np.random.Generator) -> list[str]:
        """``ceil(pool * n)`` distinct children on the reward's support, best reward first.

        Args:
            reward: the run's reward (``-inf``/``nan`` off the support).
            n: how many candidates the run keeps.
            dataset: the labelled designs; its best ones are the parents.
            rng: the only source of randomness.
        """
        cfg, space = self.config, dataset.space
        parents = space.encode(self.parents(dataset))
        want = int(np.ceil(cfg.pool * n))
        seen = set(dataset.designs)
        kept: dict[str, float] = {}
        draws = 0
        while len(kept) < want and draws < cfg.max_tries * want:
            batch = space.decode(self._children(parents, 2 * (want - len(kept)), space.vocab_size, rng))
            draws += len(batch)
            fresh = [d for d in dict.fromkeys(batch) if d not in seen and d not in kept]
            if not fresh:
                continue
            values = np.asarray(reward(fresh), dtype=np.float64)
            ok = np.isfinite(values)
            seen.update(d for d, good in zip(fresh, ok) if not good)
            kept.update((d, v) for d, v, good in zip(fresh, values, ok) if good)
        self.last_run = {"parents": len(parents), "children": len(kept), "draws": draws}
        ranked = sorted(kept.items(), key=lambda kv: -kv[1])
        return [d for d, _ in ranked[:want]]

    def parents(self, dataset: Dataset) -> list[str]:
        """The designs tied at the best finite score, at most ``incumbents`` (the best first)."""
        y = np.asarray(dataset.y, dtype=np.float64)
        finite = np.flatnonzero(np.isfinite(y))
        if finite.size == 0:
            return list(dataset.designs[:1])
        best = y[finite].max()
        tied = finite[np.isclose(y[finite], best, rtol=1e-9, atol=1e-12)]
        return [dataset.designs[i] for i in tied[: self.config.incumbents]]

    def _children(self, parents: np.ndarray, k: int, vocab: int, rng: np.random.Generator) -> np.ndarray:
        """``k`` children ``(k, L)`` token ids of ``parents (m, L)`` (padding ``< 0`` kept)."""
        cfg = self.config
        m, width = parents.shape
        child = parents[rng.integers(m, size=k)].copy()
        cross = (rng.random(k) < cfg.crossover) if m > 1 else np.zeros(k, dtype=bool)
        if cross.any():
            other = parents[rng.integers(m, size=int(cross.sum()))]
            same = (other >= 0).sum(1) == (child[cross] >= 0).sum(1)  # equal lengths only
            take = (rng.random(other.shape) < 0.5) & same[:, None]
            child[cross] = np.where(take, other, child[cross])
        lengths = (child >= 0).sum(1)
        extra = rng.integers(2, max(cfg.max_mutations, 2) + 1, size=k)
        changes = np.where(rng.random(k) < cfg.single, 1, np.minimum(extra, cfg.max_mutations))
        changes = np.where(cross, 0, np.minimum(changes, lengths))
        for i in np.flatnonzero(changes):
            where = rng.choice(lengths[i], size=changes[i], replace=False)
            child[i, where] = (child[i, where] + rng.integers(1, vocab, size=changes[i])) % vocab
        return child
