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

A share ``block`` of the children are block moves (:mod:`seqmbo.generators.blocks`) instead:
a window of a parent moved to another offset of it, or a window of a donor (one of the
``donors`` best labelled designs) copied over the parent at the same or at another offset.
They relocate a feature made of several spaced letters in one step, which letter changes
cannot do without losing it on the way (an Ehrlich motif that must make room for another).

Before those, a share ``scan`` of the children scans the best design's single-letter changes
without repetition (up to ``group`` of them in one child where the letters are known not to be
load-bearing) and ``combine`` children write every gain the labels show into it
(:mod:`seqmbo.generators.scan`): on a product of per-feature terms, gains on different features
compose, so the gains found one by one join in one design a round later.

Once that scan has run out, up to ``relocate`` children copy a group of the best design's
load-bearing letters (one feature, grouped by how much their change lowered the score) to
another offset, with guesses of the element the feature still lacks beside them
(:mod:`seqmbo.generators.relocate`): the element may sit where another feature's letter is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqmbo._config import with_overrides
from seqmbo.data.dataset import Dataset
from seqmbo.generators.base import GeneratorBase, Reward
from seqmbo.generators.blocks import copy_block, move_block
from seqmbo.generators.change_memory import ChangeMemory, allowed_changes, change_memory
from seqmbo.generators.relocate import drop_ratios, feature_groups, measure_children, relocation_children
from seqmbo.generators.scan import combine_gains, grouped_letters, near_letters, probe_children, scan_children


@dataclass
class LocalConfig:
    """Settings of :class:`LocalSearchGenerator`.

    ``block``, ``window``, ``memory``, ``scan``, ``combine``, ``probe`` and ``group`` were chosen on development
    instances 11-22 of the Ehrlich family of ``ehrlich-32-32-4-4`` (``scripts/ehrlich_dev.py
    local``; ``group`` also on instances 11-18 of ``ehrlich-32-128-4-4``'s), never on a reported instance.

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
        block: the share of children that are block moves (a third each: a window moved
            within the parent, a donor's window copied at its own offset, at another offset).
        window: the longest window, as a share of the design's length (at least 2 letters).
        donors: the donors of copied windows: this many of the best labelled designs.
        memory: mutants draw their letter changes from those the labels leave worth trying
            (:mod:`seqmbo.generators.change_memory`): no change already tried on a related
            design without gain, no letter whose change lowered the score.
        drift: the parents are the latest designs tied at the best (plateau moves then go on
            from the newest tie, a neutral drift), else the first ones labelled.
        scan: the share of children that are single-letter changes of the best design drawn
            without repetition, repaired onto the support (:mod:`seqmbo.generators.scan`).
        combine: children that write the labels' gains into the best design (all of them,
            then random halves).
        probe: at most this many children a round each write one letter pair never seen in a
            feasible labelled design into the best design (once per pair in a run), *off the
            reward's support on purpose*: the label tells whether the pair is feasible. A probe
            labelled at the data's minimum counts as infeasible and is left out of the data the
            generator learns from; one above it puts its pair on the support of later rounds.
            The run's support gate lets them through (``off_support``). Only in online rounds
            (data marked ``info["online"]``): an offline run never returns a design off its support.
        probe_late: probe only in rounds where the scan of the best design has run out (fewer
            changes left than its share ``scan``), and only with the batch the scan and the
            combinations leave; else probe every round before them.
        group: the scan tests up to this many changes in one child at positions known not to
            be load-bearing (a single change there was labelled and did not lower the score),
            at least 4 apart; a child scoring no higher rules them all out at once.
        relocate: in rounds where the scan has run out, at most this many children copy a
            group of the best design's load-bearing letters elsewhere with ``guesses`` guesses
            of the element the group lacks beside them (:mod:`seqmbo.generators.relocate`),
            after changes that measure how much each load-bearing letter's change lowers the
            score, alone and two at a time (what groups them). Only in online
            rounds, like ``probe``: their labels are what they are for.
        guesses: the most guesses of a missing element a relocation child holds.
        relocate_late: relocate only in rounds where the scan of the best design has run out
            (a local optimum of single changes), else every round.
        evict: relocations also copy a group that holds a place within reach of a stuck group
            elsewhere and put the guesses where its letters were.
        reach: a feature spans fewer positions than this share of the design's length: the
            longest group sought (letters measured two at a time within it). Guesses go no
            farther from a group than the widest group found spans, and one letter more.
    """

    incumbents: int = 8
    max_mutations: int = 2
    single: float = 0.7
    crossover: float = 0.25
    pool: float = 1.0
    max_tries: int = 50
    block: float = 0.5
    window: float = 0.25
    donors: int = 32
    memory: bool = True
    drift: bool = False
    scan: float = 0.5
    combine: int = 8
    probe: int = 128
    probe_late: bool = True
    group: int = 16
    relocate: int = 64
    guesses: int = 8
    relocate_late: bool = True
    evict: bool = True
    reach: float = 0.5


class LocalSearchGenerator(GeneratorBase):
    """Proposes mutants and recombinations of the best designs of the dataset (see module)."""

    name = "local"

    def __init__(self, config: LocalConfig | None = None, **overrides) -> None:
        self.config = with_overrides(config or LocalConfig(), overrides, "generator 'local'")
        self.last_run: dict[str, int] = {}
        self.probed: dict[tuple[int, int], str] = {}
        self.off_support: list[str] = []
        self.ruled_out: dict[tuple, set] = {}  # a letter group -> its guesses ruled out
        self.pending: dict[bytes, tuple] = {}  # a relocation child -> (group, guesses, its parent's score)

    def propose(self, reward: Reward, n: int, dataset: Dataset, rng: np.random.Generator) -> list[str]:
        """``ceil(pool * n)`` distinct children on the reward's support, best reward first (the
        ``probe`` children, off it, come before them).

        Args:
            reward: the run's reward (``-inf``/``nan`` off the support).
            n: how many candidates the run keeps.
            dataset: the labelled designs; its best ones are the parents.
            rng: the only source of randomness.
        """
        cfg, space = self.config, dataset.space
        seen, online = set(dataset.designs), bool(dataset.info.get("online"))  # probes: online rounds only
        dataset = self._without_failed_probes(dataset)
        parents = space.encode(self.parents(dataset))
        donors = space.encode(self.donors(dataset)) if cfg.block > 0 else parents
        tokens = space.encode(dataset.designs)
        memory = allowed = None
        if cfg.memory or cfg.scan > 0 or cfg.combine > 0:
            memory = change_memory(tokens, np.asarray(dataset.y, float), space.vocab_size)
        if cfg.memory:
            allowed = [allowed_changes(memory, p) for p in parents]
        systematic = memory is not None and (cfg.scan > 0 or cfg.combine > 0)
        probing = memory is not None and cfg.probe > 0 and online
        if systematic or probing:  # the letter pairs of the labels and the best design's load-bearing letters
            pairs, protected = _pairs_and_protected(parents[0], memory, dataset)
        want = int(np.ceil(cfg.pool * n))
        kept: dict[str, float] = {}
        draws = 0
        spent = False
        if systematic:
            combos, singles = self._systematic(parents[0], tokens, memory, pairs, protected, want, rng)
            spent = len(singles) < int(round(cfg.scan * want))
            draws += self._keep(space.decode(np.concatenate([combos, singles])), reward, seen, kept)
        if (spent or not cfg.relocate_late) and cfg.relocate > 0 and online:  # measures and guesses are for their labels
            moved = self._relocations(parents[0], tokens, np.asarray(dataset.y, float), pairs, protected,
                                      min(cfg.relocate, want - len(kept)), rng)
            draws += self._keep(space.decode(moved), reward, seen, kept)
        probes = []
        if probing and (spent or not cfg.probe_late):
            probes = self._probes(parents[0], pairs, protected, space, seen, min(cfg.probe, want - len(kept)), rng)
        seen.update(probes)
        self.off_support = probes  # the run's support gate lets them through
        want -= len(probes)
        while len(kept) < want and draws < cfg.max_tries * want:
            batch = space.decode(self._children(parents, donors, allowed, 2 * (want - len(kept)), space.vocab_size, rng))
            draws += self._keep(batch, reward, seen, kept)
        self.last_run = {"parents": len(parents), "children": len(kept), "draws": draws, "probes": len(probes)}
        ranked = sorted(kept.items(), key=lambda kv: -kv[1])
        return probes + [d for d, _ in ranked[:want]]

    @staticmethod
    def _keep(batch: list[str], reward: Reward, seen: set[str], kept: dict[str, float]) -> int:
        """Adds the new designs of ``batch`` on the reward's support to ``kept``; those off it join ``seen``.
        Returns ``len(batch)``."""
        fresh = [d for d in dict.fromkeys(batch) if d not in seen and d not in kept]
        if fresh:
            values = np.asarray(reward(fresh), dtype=np.float64)
            ok = np.isfinite(values)
            seen.update(d for d, good in zip(fresh, ok) if not good)
            kept.update((d, v) for d, v, good in zip(fresh, values, ok) if good)
        return len(batch)

    def _systematic(self, best: np.ndarray, tokens: np.ndarray, memory: ChangeMemory, pairs: np.ndarray,
                    protected: np.ndarray, want: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The combinations of gains and the scanned single changes of ``best (L,)``, each ``(m, L)``
        (``pairs``, ``protected``: see :func:`_pairs_and_protected`)."""
        cfg, vocab = self.config, memory.hurt.shape[1]
        combos = combine_gains(best, memory.hurt, cfg.combine, rng) if cfg.combine > 0 else best[None, :0]
        near = near_letters(best, tokens, vocab)
        live = np.flatnonzero(best >= 0)
        free = np.zeros(best.shape[0], bool)  # a single change there was labelled and did not lower the score
        free[live] = memory.tried[live, best[live]].any(-1) & ~protected[live]
        if cfg.group > 1:
            near |= grouped_letters(best, tokens, free, vocab)
        todo = allowed_changes(memory, best) & ~near
        k = int(round(cfg.scan * want))
        singles = scan_children(best, todo, pairs, protected, k, rng, free, cfg.group) if k > 0 else best[None, :0]
        return combos.reshape(-1, best.shape[0]), singles.reshape(-1, best.shape[0])

    def _relocations(self, best: np.ndarray, tokens: np.ndarray, y: np.ndarray, pairs: np.ndarray,
                     protected: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
        """Up to ``k`` children ``(m, L)``: changes of the best design's load-bearing letters that
        measure which of them belong together, then relocations of the groups they form."""
        best_y, width = float(np.nanmax(y)), best.shape[0]
        window = max(2, int(round(self.config.reach * width)))
        self._rule_out(tokens, y)
        single = drop_ratios(best, best_y, tokens, y)
        groups, wanted = feature_groups(single, drop_ratios(best, best_y, tokens, y, 2), window)
        todo = [(int(p),) for p in np.flatnonzero(protected) if (int(p),) not in single] + wanted
        out = measure_children(best, todo, pairs, rng)[:k]
        largest = max((len(g) for g in groups), default=0)
        stuck = [g for g in groups if len(g) < largest] or groups  # a group of the largest size may be complete
        if groups:  # guesses go as far as the widest group found reaches, and a letter more
            window = min(window, max(int(g[-1] - g[0]) for g in groups) + 2)
        moves = [(g, None) for g in stuck]
        if self.config.evict:  # and groups holding a place within reach of a stuck one
            moves += [(g, h) for g in stuck for h in groups if h is not g
                      and any(max(g[-1], p) - min(g[0], p) < window for p in h)]
        for i, (g, mover) in enumerate(moves):
            key = (tuple(best[g].tolist()), tuple((g - g[0]).tolist()))
            share = (k - len(out)) // (len(moves) - i)
            for child, held in relocation_children(best, g, self.ruled_out.setdefault(key, set()), pairs, protected,
                                                   window, share, self.config.guesses, rng, mover):
                self.pending[child.tobytes()] = (key, held, best_y)
                out.append(child)
        return np.asarray(out, dtype=best.dtype).reshape(-1, width)

    def _rule_out(self, tokens: np.ndarray, y: np.ndarray) -> None:
        """Rules out the guesses of the labelled relocation children that scored as their parent did
        (one that scored lower lost a load-bearing letter not known as such: its guesses stay open)."""
        if not self.pending:
            return
        for row, value in zip(tokens, y):
            entry = self.pending.pop(row.tobytes(), None)
            if entry is not None and np.isclose(value, entry[2], rtol=1e-9, atol=1e-12):
                self.ruled_out.setdefault(entry[0], set()).update(entry[1])

    def _probes(self, best: np.ndarray, pairs: np.ndarray, protected: np.ndarray, space, seen: set[str], k: int,
                rng: np.random.Generator) -> list[str]:
        """Up to ``k`` new designs, each ``best (L,)`` with one unseen, unprobed letter pair written in
        (``pairs``, ``protected``: see :func:`_pairs_and_protected`)."""
        todo = [(int(a), int(b)) for a, b in zip(*np.nonzero(~pairs)) if (int(a), int(b)) not in self.probed]
        order = [todo[i] for i in rng.permutation(len(todo))]
        children, held = probe_children(best, order[: 4 * k], pairs, protected, rng)
        out: list[str] = []
        for design, pair in zip(space.decode(children), held):
            if design not in seen and design not in out and len(out) < k:
                out.append(design)
                self.probed[pair] = design
        return out

    def _without_failed_probes(self, dataset: Dataset) -> Dataset:
        """``dataset`` less this generator's probes labelled at its minimum score (taken as infeasible)."""
        if not self.probed:
            return dataset
        probes, floor = set(self.probed.values()), float(np.min(dataset.y))
        keep = [i for i, (d, v) in enumerate(zip(dataset.designs, dataset.y)) if not (d in probes and v <= floor)]
        if len(keep) == len(dataset.designs):
            return dataset
        return Dataset([dataset.designs[i] for i in keep], np.asarray(dataset.y)[keep], dataset.space, dataset.name,
                       dict(dataset.info))

    def parents(self, dataset: Dataset) -> list[str]:
        """The designs tied at the best finite score, at most ``incumbents`` (see ``drift``)."""
        y = np.asarray(dataset.y, dtype=np.float64)
        finite = np.flatnonzero(np.isfinite(y))
        if finite.size == 0:
            return list(dataset.designs[:1])
        best = y[finite].max()
        tied = finite[np.isclose(y[finite], best, rtol=1e-9, atol=1e-12)]
        tied = tied[::-1] if self.config.drift else tied
        return [dataset.designs[i] for i in tied[: self.config.incumbents]]

    def donors(self, dataset: Dataset) -> list[str]:
        """The ``donors`` best designs with a finite score (the best first; ties in label order)."""
        y = np.asarray(dataset.y, dtype=np.float64)
        finite = np.flatnonzero(np.isfinite(y))
        order = finite[np.argsort(-y[finite], kind="stable")]
        return [dataset.designs[i] for i in order[: self.config.donors]] or list(dataset.designs[:1])

    def _children(self, parents: np.ndarray, donors: np.ndarray, allowed: list[np.ndarray] | None, k: int,
                  vocab: int, rng: np.random.Generator) -> np.ndarray:
        """``k`` children ``(k, L)`` token ids of ``parents (m, L)`` and ``donors (d, L)`` (padding ``< 0`` kept);
        ``allowed[j]`` ``(L, V)``, when given, holds the letter changes mutants of parent ``j`` draw from."""
        cfg = self.config
        m, width = parents.shape
        who = rng.integers(m, size=k)
        child = parents[who].copy()
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
            if allowed is None or not _draw_changes(child[i], allowed[who[i]], changes[i], rng):
                where = rng.choice(lengths[i], size=changes[i], replace=False)
                child[i, where] = (child[i, where] + rng.integers(1, vocab, size=changes[i])) % vocab
        if cfg.block > 0:
            self._block_moves(child, parents, donors, rng)
        return child

    def _block_moves(self, child: np.ndarray, parents: np.ndarray, donors: np.ndarray,
                     rng: np.random.Generator) -> None:
        """Replaces a share ``block`` of ``child (k, L)``, in place, by block moves of a parent."""
        width = parents.shape[1]
        max_window = max(2, int(round(self.config.window * width)))
        for i in np.flatnonzero(rng.random(len(child)) < self.config.block):
            parent = parents[rng.integers(len(parents))]
            kind = rng.integers(3)
            if kind == 0:
                child[i] = move_block(parent, max_window, rng)
            else:
                donor = donors[rng.integers(len(donors))]
                child[i] = copy_block(parent, donor, max_window, kind == 1, rng)


def _pairs_and_protected(best: np.ndarray, memory: ChangeMemory, dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """The letter pairs of the labelled designs ``(V, V)`` and the load-bearing positions of ``best`` ``(L,)``."""
    from seqmbo.gates import BigramSupport

    finite = [d for d, v in zip(dataset.designs, dataset.y) if np.isfinite(v)]
    live = best >= 0
    protected = np.zeros(best.shape[0], bool)
    protected[live] = memory.hurt[np.flatnonzero(live), best[live]]
    return BigramSupport(finite, dataset.space).seen, protected


def _draw_changes(row: np.ndarray, allowed: np.ndarray, count: int, rng: np.random.Generator) -> bool:
    """Applies ``count`` changes drawn uniformly from ``allowed (L, V)`` at distinct positions, in place
    (False, ``row`` untouched, when fewer than ``count`` positions have one)."""
    flat = np.flatnonzero(allowed)
    positions = np.unique(flat // allowed.shape[1])
    if positions.size < count:
        return False
    for _ in range(count):
        pick = flat[rng.integers(flat.size)]
        p, a = divmod(int(pick), allowed.shape[1])
        row[p] = a
        flat = flat[flat // allowed.shape[1] != p]
    return True
