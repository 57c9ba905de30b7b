"""Builders of sequence tasks: exact-lookup landscapes and Ehrlich closed-form functions."""

from __future__ import annotations

import logging

import numpy as np

from seqmbo.data.dataset import Dataset
from seqmbo.data.readers import check_unique, read_scored_table
from seqmbo.errors import InvalidInputError
from seqmbo.oracles.base import LookupOracle, SealedOracle
from seqmbo.spaces.sequence import DNA_ALPHABET, PROTEIN_ALPHABET, SequenceSpace
from seqmbo.tasks.base import Task, check_keys, percentile_split, spec_path

log = logging.getLogger(__name__)

LANDSCAPE_KEYS = {
    "table", "dataset", "format", "x_file", "y_file", "sequence_column", "score_column",
    "alphabet", "max_percentile", "offline_below", "length", "reverse_complement",
}
EHRLICH_KEYS = {"num_states", "dim", "num_motifs", "motif_length", "quantization", "seed", "offline_size"}


def _space_name(alphabet: str) -> str:
    return {DNA_ALPHABET: "dna", PROTEIN_ALPHABET: "protein"}.get(alphabet, "sequence")


def _read_landscape(spec: dict, where: str) -> tuple[list[str], np.ndarray, str]:
    """Designs (one per row, duplicates allowed only for npy pairs), scores, and the alphabet."""
    fmt = spec.get("format", "csv")
    dataset_id = spec.get("dataset")

    def path_of(key: str):
        if key not in spec:
            raise InvalidInputError(f"{where}: format {fmt!r} needs the key {key!r}")
        if dataset_id:
            from seqmbo.data.fetch import locate

            return locate(dataset_id, spec[key])
        return spec_path(spec, spec[key])

    if fmt == "designbench-npy":
        alphabet = spec.get("alphabet", DNA_ALPHABET)
        xp, yp = path_of("x_file"), path_of("y_file")
        try:
            x, y = np.load(xp), np.load(yp)
        except (OSError, ValueError) as e:
            raise InvalidInputError(f"{where}: cannot read {xp} / {yp} as .npy ({e})") from None
        y = np.asarray(y, dtype=np.float64).reshape(-1)
        if x.ndim != 2 or x.shape[0] != y.shape[0]:
            raise InvalidInputError(f"{where}: x has shape {x.shape} but y has {y.shape[0]} rows")
        if x.min() < 0 or x.max() >= len(alphabet):
            raise InvalidInputError(f"{where}: tokens in {xp} lie outside 0..{len(alphabet) - 1}")
        letters = np.array(list(alphabet))
        designs = ["".join(r) for r in letters[x]]
        return designs, y, alphabet
    if fmt == "barrera":
        from seqmbo.data.barrera import barrera_table

        designs, y = barrera_table(path_of("table"))
        return list(designs), np.asarray(y, dtype=np.float64), DNA_ALPHABET
    if fmt != "csv":
        raise InvalidInputError(f"{where}: unknown landscape format {fmt!r}; use csv, barrera or designbench-npy")
    if "alphabet" not in spec:
        raise InvalidInputError(f"{where}: a csv landscape needs 'alphabet' (e.g. \"ACGT\")")
    table = read_scored_table(path_of("table"), spec.get("sequence_column"), spec.get("score_column"))
    alphabet = spec["alphabet"]
    check_unique(table.designs, table.lines, table.path)
    length = len(table.designs[0])
    space = SequenceSpace.fixed(alphabet, length, _space_name(alphabet))
    for d, line in zip(table.designs, table.lines):
        why = space.problem(d)
        if why is not None:
            raise InvalidInputError(f"{table.path}, line {line}: design {d!r} {why}")
    return table.designs, table.y, alphabet


def build_landscape(spec: dict) -> Task:
    """An exact-lookup task over a complete measured table, with Design-Bench's offline split.

    Double-stranded scoring (``reverse_complement``) is on by default for ``format = "barrera"``:
    a PBM 8-mer table lists each 8-mer with its reverse complement and one score for both, so
    the format itself says the score belongs to the double-stranded site. An explicit
    ``reverse_complement = false`` in the spec still turns it off (single-strand proxies and
    distances, e.g. to compare against a strand-blind baseline). Other formats default to off.
    Either way, ``reverse_complement = true`` is checked against the table's scores.
    """
    where = spec.get("_path", spec["name"])
    check_keys(spec, LANDSCAPE_KEYS, where)
    designs, y, alphabet = _read_landscape(spec, where)
    lengths = {len(d) for d in designs}
    if len(lengths) != 1:
        raise InvalidInputError(f"{where}: landscape designs must share one length, found {sorted(lengths)[:5]}")
    strands = spec.get("reverse_complement", spec.get("format", "csv") == "barrera")
    if not isinstance(strands, bool):
        raise InvalidInputError(f"{where}: reverse_complement must be true or false, got {strands!r}")
    space = SequenceSpace.fixed(alphabet, lengths.pop(), _space_name(alphabet), strands)
    if space.reverse_complement:
        _check_strand_symmetry(designs, y, space, where)
    if "length" in spec and int(spec["length"]) != space.max_length:
        raise InvalidInputError(f"{where}: the spec says length {spec['length']} but the designs have length {space.max_length}")
    oracle = LookupOracle(designs, y, space)
    complete = space.vocab_size ** space.max_length
    if oracle.size < complete:
        log.warning("%s: the table covers %d of %d designs; others score nan (invalid)", where, oracle.size, complete)
    if "offline_below" in spec:
        mask = y < float(spec["offline_below"])
        rule = f"score < {spec['offline_below']}"
    else:
        pct = float(spec.get("max_percentile", 50))
        mask = percentile_split(y, pct)
        rule = f"score <= {pct}th percentile"
    if not mask.any():
        raise InvalidInputError(f"{where}: the offline split ({rule}) is empty")
    full_full = Dataset(designs, y, space, spec["name"])
    offline = full_full.subset(mask, name=f"{spec['name']} offline ({rule})")
    return Task(
        name=spec["name"], kind="landscape", space=space, dataset=offline, oracle=SealedOracle(oracle),
        y_min=float(y.min()), y_max=float(y.max()), n_candidates=int(spec.get("n_candidates", 128)),
        oracle_kind="exact", spec=spec,
    )


def _check_strand_symmetry(designs: list[str], y: np.ndarray, space: SequenceSpace, where: str) -> None:
    """Refuse ``reverse_complement = true`` when the table scores a design and its reverse
    complement differently (beyond float32 rounding of the score range)."""
    score = dict(zip(designs, y.tolist()))
    tol = 1e-6 * max(float(np.ptp(y)), 1e-12)
    for d, v in score.items():
        r = score.get(space.reverse_complement_of(d))
        if r is not None and abs(r - v) > tol:
            raise InvalidInputError(
                f"{where}: reverse_complement = true, but {d} scores {v:g} and its reverse complement "
                f"{space.reverse_complement_of(d)} scores {r:g}"
            )


def build_ehrlich(spec: dict) -> Task:
    """An Ehrlich closed-form task (holo-bench definition) with feasible offline samples.

    The offline set holds ``offline_size`` distinct designs sampled from the instance's feasible
    Markov chain (seeded by ``seed``), labelled by the function. Infeasible designs are invalid:
    the oracle gives ``nan`` and metrics count them as invalid, with normalized score 0.
    """
    from seqmbo.oracles.ehrlich import EhrlichFunction, EhrlichOracle

    where = spec.get("_path", spec["name"])
    check_keys(spec, EHRLICH_KEYS, where)
    missing = [k for k in ("num_states", "dim", "num_motifs", "motif_length") if k not in spec]
    if missing:
        raise InvalidInputError(f"{where}: an ehrlich task needs {missing}")
    seed = int(spec.get("seed", 0))
    fn = EhrlichFunction.from_seed(
        int(spec["num_states"]), int(spec["dim"]), int(spec["num_motifs"]), int(spec["motif_length"]),
        int(spec.get("quantization", spec["motif_length"])), seed,
    )
    oracle = EhrlichOracle(fn)
    space = SequenceSpace.fixed(oracle.alphabet, fn.dim, "ehrlich")
    size = int(spec.get("offline_size", 2000))
    if size < 1:
        raise InvalidInputError(f"{where}: offline_size must be >= 1")
    rng = np.random.default_rng([seed, 1])
    tokens = np.unique(fn.sample_feasible(size, rng), axis=0)
    designs = oracle.decode(tokens)
    y = oracle(designs)
    return Task(
        name=spec["name"], kind="ehrlich", space=space,
        dataset=Dataset(designs, y, space, f"{spec['name']} offline (feasible samples)"),
        oracle=SealedOracle(oracle), y_min=0.0, y_max=1.0,
        n_candidates=int(spec.get("n_candidates", 128)), oracle_kind="closed-form", spec=spec,
    )
