"""Benchmark tasks with several objectives: the Regex protein task and molecule libraries
labelled by several RDKit oracles (or GuacaMol MPO terms).

Both hold the Off-MOO-Bench-style offline split: rank the full dataset by non-dominated sorting
and keep the rows whose front index is at or above the ``max_front_percentile``-th percentile of
the front indices (default 50: the better half of the fronts is held out). Each objective is
normalized with the min and max of the full dataset (:mod:`seqmbo.metrics.pareto`).

A ``regex`` spec::

    name = "regex"
    kind = "regex"
    patterns = ["AV", "VC", "CA"]   # one objective each: overlapping occurrences in the sequence
    min_length = 32
    max_length = 36
    offline_size = 10000            # sequences drawn before the split (seeded by `seed`)
    enriched = "AVC"                # letters drawn with probability `enrichment` each ...
    enrichment = 0.1                # ... the others share the rest equally
    seed = 0

A ``molecules-mo`` spec takes the keys of a ``molecules`` spec (library, subsample, ...) with
``objectives`` instead of ``oracle``: molecule oracle names, ``NAME:min`` to minimize, or
``NAME#K`` for term ``K`` (from 0) of a GuacaMol MPO objective (``osimertinib_mpo#2``: its TPSA
term).
"""

from __future__ import annotations

import logging
import re

import numpy as np

from seqmbo.data.dataset import Dataset
from seqmbo.errors import InvalidInputError, UnknownNameError
from seqmbo.objectives import Objective, parse_objective, scalarize
from seqmbo.oracles.base import SealedOracle
from seqmbo.pareto import nondominated_ranks
from seqmbo.tasks.base import Task, check_keys

log = logging.getLogger(__name__)

REGEX_KEYS = {"patterns", "min_length", "max_length", "offline_size", "enriched", "enrichment", "seed",
              "max_front_percentile"}


class ScalarizedOracle:
    """The scalar score of a vector oracle: :func:`~seqmbo.objectives.scalarize` with fixed bounds
    (the offline set's, the same the run's reward uses)."""

    def __init__(self, vector: SealedOracle, lo: np.ndarray, hi: np.ndarray) -> None:
        self.vector, self.lo, self.hi = vector, lo, hi

    def __call__(self, designs) -> np.ndarray:
        return scalarize(self.vector(designs), self.lo, self.hi)


class RegexOracle:
    """Overlapping occurrences of each pattern ``(n, m)``; invalid designs give NaN rows."""

    def __init__(self, patterns: list[str], space) -> None:
        self.patterns = [re.compile(f"(?=({re.escape(p)}))") for p in patterns]
        self.space = space

    def __call__(self, designs) -> np.ndarray:
        designs = list(designs)
        out = np.array([[len(p.findall(d)) for p in self.patterns] for d in designs], dtype=np.float64)
        out = out.reshape(len(designs), len(self.patterns))
        out[~self.space.is_valid(designs)] = np.nan
        return out


class VectorOracle:
    """Several molecule oracles side by side ``(n, m)``, each maximized (``sign`` per column)."""

    def __init__(self, oracles: list, signs: np.ndarray) -> None:
        self.oracles, self.signs = oracles, signs

    def __call__(self, designs) -> np.ndarray:
        designs = list(designs)
        cols = [np.asarray(o(designs), dtype=np.float64) for o in self.oracles]
        return np.stack(cols, axis=1).reshape(len(designs), len(cols)) * self.signs


def front_split(Y: np.ndarray, pct: float) -> np.ndarray:
    """Mask of the rows whose non-dominated front index is at or above its ``pct``-th percentile."""
    if not 0 < pct <= 100:
        raise InvalidInputError(f"max_front_percentile must lie in (0, 100], got {pct}")
    ranks = nondominated_ranks(Y)
    return ranks >= np.percentile(ranks, 100 - pct)


def multi_task(spec: dict, space, designs: list[str], Y: np.ndarray, objectives: list[Objective], inner,
               oracle_kind: str) -> Task:
    """The task from the full labelled data ``Y`` ``(N, m)`` (maximized): split, bounds, oracles."""
    where = spec.get("_path", spec["name"])
    pct = float(spec.get("max_front_percentile", 50))
    mask = front_split(Y, pct)
    if mask.all() or not mask.any():
        raise InvalidInputError(f"{where}: the front split keeps {int(mask.sum())} of {len(mask)} rows")
    off = Y[mask]
    lo, hi = off.min(0), off.max(0)
    vector = SealedOracle(inner)
    scalar = scalarize(Y, lo, hi)
    names = tuple(o.name for o in objectives)
    rule = f"front index >= {100 - pct:g}th percentile"
    dataset = Dataset([d for d, k in zip(designs, mask) if k], scalar[mask], space,
                      f"{spec['name']} offline ({rule})", {"n_full": len(designs)}, off, names)
    return Task(
        name=spec["name"], kind=spec["kind"], space=space, dataset=dataset,
        oracle=SealedOracle(ScalarizedOracle(vector, lo, hi)), y_min=float(scalar.min()), y_max=float(scalar.max()),
        n_candidates=int(spec.get("n_candidates", 128)), oracle_kind=oracle_kind, spec=spec,
        objectives=list(objectives), objective_oracle=vector, objective_bounds=np.stack([Y.min(0), Y.max(0)]),
    )


def build_regex(spec: dict) -> Task:
    """The Regex task: proteins of length ``min_length..max_length``, one objective per pattern."""
    from seqmbo.spaces import protein

    where = spec.get("_path", spec["name"])
    check_keys(spec, REGEX_KEYS, where)
    patterns = list(spec.get("patterns", ["AV", "VC", "CA"]))
    space = protein(min_length=int(spec.get("min_length", 32)), max_length=int(spec.get("max_length", 36)))
    bad = [p for p in patterns if not isinstance(p, str) or not p or set(p) - set(space.alphabet)]
    if bad or len(patterns) < 2:
        raise InvalidInputError(f"{where}: patterns must be at least two strings of amino-acid letters, got {patterns}")
    rng = np.random.default_rng([int(spec.get("seed", 0)), 14])
    letters = np.array(list(space.alphabet))
    enriched = str(spec.get("enriched", "AVC"))
    share = float(spec.get("enrichment", 0.1))
    p = np.where(np.isin(letters, list(enriched)), share, (1 - share * len(enriched)) / (len(letters) - len(enriched)))
    if (p < 0).any():
        raise InvalidInputError(f"{where}: enrichment {share} of {len(enriched)} letters exceeds 1")
    size = int(spec.get("offline_size", 10000))
    lengths = rng.integers(space.min_length, space.max_length + 1, size=size)
    designs = list(dict.fromkeys("".join(rng.choice(letters, size=k, p=p)) for k in lengths))
    oracle = RegexOracle(patterns, space)
    objectives = [Objective(p_) for p_ in patterns]
    return multi_task(spec, space, designs, oracle(designs), objectives, oracle, "closed-form")


MOLECULE_MO_KEYS = {"library", "objectives", "max_front_percentile", "subsample", "subsample_seed", "standardize",
                    "organic_only", "max_heavy_atoms", "max_selfies_length"}


def objective_oracle(name: str):
    """A molecule oracle by name, or ``NAME#K``: term ``K`` of a GuacaMol MPO objective."""
    from seqmbo.oracles.molecules import get_molecule_oracle

    base, sep, term = name.partition("#")
    if not sep:
        return get_molecule_oracle(base)
    from seqmbo.oracles.guacamol import GuacaMolTerm

    return GuacaMolTerm(base, int(term))


def build_molecules_mo(spec: dict) -> Task:
    """A molecule library labelled by several oracles; the front split of :func:`front_split`."""
    from seqmbo.tasks.molecule_tasks import label_library, offline_space

    where = spec.get("_path", spec["name"])
    check_keys(spec, MOLECULE_MO_KEYS, where)
    items = spec.get("objectives")
    if not isinstance(items, list) or len(items) < 2:
        raise InvalidInputError(f"{where}: a molecules-mo task needs 'objectives', a list of two or more oracle names")
    objectives = [parse_objective(t) for t in items]
    try:
        oracles = [objective_oracle(o.name) for o in objectives]
    except (UnknownNameError, KeyError, ValueError, IndexError) as e:
        raise InvalidInputError(f"{where}: {e.args[0] if e.args else e}") from None
    objectives = [o if ":" in str(t) else Objective(o.name, "max" if getattr(q, "maximize", True) else "min")
                  for o, q, t in zip(objectives, oracles, items)]
    signs = np.array([o.sign for o in objectives])
    labelled = [label_library(spec, where, q) for q in oracles]
    lib = labelled[0][0]
    Y = np.stack([y for _, y in labelled], axis=1) * signs
    ok = np.isfinite(Y).all(axis=1)
    designs = [d for d, k in zip(lib["designs"], ok) if k]
    selfies = [t for t, k in zip(lib["selfies"], ok) if k]
    inner = VectorOracle(oracles, signs)
    task = multi_task(spec, None, designs, Y[ok], objectives, inner, "rdkit")
    mask = np.isin(designs, task.dataset.designs)
    space = offline_space(spec, where, [t for t, k in zip(selfies, mask) if k])
    for q in oracles:
        q.parse = space.mol
    data = task.dataset
    task.space = space
    task.dataset = Dataset(data.designs, data.y, space, data.name, data.info, data.Y, data.columns)
    return task
