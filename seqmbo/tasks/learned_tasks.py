"""Builder of learned-oracle tasks (``kind = "learned"``): UTR, GFP and any scored sequence table.

The full dataset is read, the oracle (:mod:`seqmbo.oracles.learned`) is trained on it once
(cached) and the offline set is Design-Bench's percentile split of the measured scores. The
normalization uses the min and max of the measured scores, as Design-Bench does. The task
carries ``oracle_kind = "learned"`` and its spec the oracle's held-out Spearman
(``oracle_spearman``), so every output can say it was scored by a model.
"""

from __future__ import annotations

import logging

import numpy as np

from seqmbo.data.dataset import Dataset
from seqmbo.errors import InvalidInputError
from seqmbo.oracles.base import SealedOracle
from seqmbo.spaces.sequence import DNA_ALPHABET, PROTEIN_ALPHABET, SequenceSpace
from seqmbo.tasks.base import Task, check_keys, percentile_split

log = logging.getLogger(__name__)

LEARNED_KEYS = {"dataset", "format", "x_files", "y_files", "table", "wild_type", "alphabet", "length", "max_percentile",
                "oracle", "oracle_spearman", "oracle_fit_s"}  # the last two: written by the builder, read back


def _path(spec: dict, name: str):
    from seqmbo.data.fetch import locate
    from seqmbo.tasks.base import spec_path

    return locate(spec["dataset"], name) if spec.get("dataset") else spec_path(spec, name)


def _read_npy_shards(spec: dict, where: str) -> tuple[list[str], np.ndarray]:
    xs, ys = spec.get("x_files"), spec.get("y_files")
    if not xs or not ys or len(xs) != len(ys):
        raise InvalidInputError(f"{where}: format 'designbench-npy' needs x_files and y_files of equal length")
    x = np.concatenate([np.load(_path(spec, f)) for f in xs])
    y = np.concatenate([np.load(_path(spec, f)).reshape(-1) for f in ys]).astype(np.float64)
    alphabet = spec.get("alphabet", DNA_ALPHABET)
    if x.ndim != 2 or len(x) != len(y) or x.min() < 0 or x.max() >= len(alphabet):
        raise InvalidInputError(f"{where}: x must be (n, L) tokens in 0..{len(alphabet) - 1} with one y a row")
    letters = np.array(list(alphabet))
    return ["".join(r) for r in letters[x]], y


def _read_mutants(spec: dict, where: str) -> tuple[list[str], np.ndarray]:
    """A variant table (``variant``: comma-separated 0-based mutations like ``A108D``; ``score``)
    applied to the wild type; variants with a stop codon (``*``) are left out."""
    import pandas as pd

    wt = _path(spec, spec["wild_type"]).read_text().strip()
    table = pd.read_csv(_path(spec, spec["table"]), sep="\t")
    designs, y, stops = [], [], 0
    for row, (variant, score) in enumerate(zip(table["variant"], table["score"]), start=2):
        if "*" in variant:
            stops += 1
            continue
        seq = list(wt)
        for m in variant.split(","):
            pos = int(m[1:-1])
            if not 0 <= pos < len(wt) or wt[pos] != m[0]:
                raise InvalidInputError(f"{where}: row {row}: mutation {m} does not match the wild type")
            seq[pos] = m[-1]
        designs.append("".join(seq))
        y.append(float(score))
    log.info("%s: %d variants with a stop codon left out", where, stops)
    return designs, np.asarray(y)


def build_learned(spec: dict) -> Task:
    """A task scored by a network trained on the full dataset (see the module docstring)."""
    from seqmbo.oracles.learned import OracleConfig, learned_oracle

    where = spec.get("_path", spec["name"])
    check_keys(spec, LEARNED_KEYS, where)
    fmt = spec.get("format")
    if fmt == "designbench-npy":
        designs, y = _read_npy_shards(spec, where)
    elif fmt == "mutants":
        designs, y = _read_mutants(spec, where)
    else:
        raise InvalidInputError(f"{where}: unknown learned-task format {fmt!r}; use designbench-npy or mutants")
    alphabet = spec.get("alphabet", DNA_ALPHABET)
    space = SequenceSpace.fixed(alphabet, len(designs[0]), {DNA_ALPHABET: "dna", PROTEIN_ALPHABET: "protein"}
                                .get(alphabet, "sequence"))
    if "length" in spec and int(spec["length"]) != space.max_length:
        raise InvalidInputError(f"{where}: the spec says length {spec['length']} but the designs have length {space.max_length}")
    try:
        cfg = OracleConfig(**spec.get("oracle", {}))
    except TypeError as e:
        raise InvalidInputError(f"{where}: [oracle] {e}") from None
    oracle = learned_oracle(designs, y, space, cfg)
    spec = {**spec, "oracle_spearman": round(oracle.spearman, 4), "oracle_fit_s": round(oracle.fit_s, 1)}
    mask = percentile_split(y, float(spec.get("max_percentile", 50)))
    offline = Dataset(designs, y, space, spec["name"]).subset(
        mask, name=f"{spec['name']} offline (score <= {spec.get('max_percentile', 50)}th percentile)")
    return Task(name=spec["name"], kind="learned", space=space, dataset=offline, oracle=SealedOracle(oracle),
                y_min=float(y.min()), y_max=float(y.max()), n_candidates=int(spec.get("n_candidates", 128)),
                oracle_kind="learned", spec=spec)
