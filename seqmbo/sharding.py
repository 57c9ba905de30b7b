"""A large molecular library evaluated in shards, on local worker processes or a Ray cluster.

The library is read shard by shard (``shard_size`` SMILES); each shard's RDKit pass, its nearest
reference similarities (SNN) and its oracle scores run in a worker
(:func:`~seqmbo.metrics.molecules.library_part`), and the driver merges the parts in library
order (:func:`~seqmbo.metrics.molecules.combine_parts`), so the metrics equal those of the
one-process path up to the order of floating-point sums. The driver keeps, per molecule, only
what the exact metrics need (a 64-bit digest of the canonical SMILES, the 128-byte fingerprint,
four properties) and writes ``scores.csv`` shard by shard.

The reference is read in chunks, summarised in the workers
(:meth:`~seqmbo.metrics.molecules.ReferenceStats.from_features`) and kept in the cache
(``$SEQMBO_CACHE_DIR/reference-stats/``) under the sha256 of its content, so a second
evaluation against the same reference (ZINC250k: ~520 CPU-seconds to summarise) loads a
20 MB file instead. Workers receive it once (local: at process start; Ray: ``ray.put``).
"""

from __future__ import annotations

import collections
import concurrent.futures
import hashlib
import itertools
import logging
import multiprocessing
import os
import resource
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqmbo.errors import InvalidInputError

log = logging.getLogger(__name__)

REPORT_ROWS = 20_000  # rows of scores.csv the report draws (plus each oracle's best)


@dataclass(frozen=True)
class ShardOptions:
    """How a library is cut and where the shards run.

    Attributes:
        executor: ``local`` (worker processes of this machine) or ``ray``.
        workers: workers at once (local processes, 1: this process; Ray CPUs of a local cluster).
        shard_size: SMILES a shard.
        address: the Ray cluster to join (``None``: start a local Ray).
        cache: keep the reference summary in the cache.
    """

    executor: str = "local"
    workers: int = 2
    shard_size: int = 20_000
    address: str | None = None
    cache: bool = True


# --------------------------------------------------------------------------- executors

_WORKER_SHARED: list[Any] = []  # what a local worker process was started with (one entry)


def _start_worker(shared: Any) -> None:
    _WORKER_SHARED[:] = [shared]


def _call_local(fn: Callable[[Any, Any], Any], task: Any) -> Any:
    return fn(_WORKER_SHARED[0], task)


def _call_ray(fn: Callable[[Any, Any], Any], shared: Any, task: Any) -> Any:
    return fn(shared, task)


def init_ray(address: str | None, num_cpus: int | None) -> Any:
    """Join the Ray cluster at ``address``, or start a local one with ``num_cpus``; returns ``ray``."""
    try:
        import ray
    except ImportError:
        raise InvalidInputError("--executor ray needs Ray: pip install 'seqmbo[ray]'") from None
    if not ray.is_initialized():
        local = {} if address else {"num_cpus": num_cpus, "include_dashboard": False}  # no dashboard processes
        ray.init(address=address, log_to_driver=False, **local)
    return ray


def map_ordered(fn: Callable[[Any, Any], Any], tasks: Iterable[Any], shared: Any, options: ShardOptions) -> Iterator[Any]:
    """``fn(shared, task)`` for each task, in worker processes or Ray tasks, results in task order.

    At most ``2 * workers`` tasks are in flight, so a lazily read input is never all in memory.
    ``shared`` reaches each worker once (local) or through the object store (Ray). One local
    worker is this process.
    """
    if options.executor not in ("local", "ray"):
        raise InvalidInputError(f"unknown executor {options.executor!r}; use local or ray")
    workers = max(1, options.workers)
    pending: collections.deque = collections.deque()
    if options.executor == "ray":
        ray = init_ray(options.address, workers)
        shared_ref = ray.put(shared)
        remote = ray.remote(num_cpus=1)(_call_ray)
        for task in tasks:
            pending.append(remote.remote(fn, shared_ref, task))
            if len(pending) >= 2 * workers:
                yield ray.get(pending.popleft())
        while pending:
            yield ray.get(pending.popleft())
        return
    if workers == 1:  # one local worker: this process
        yield from (fn(shared, task) for task in tasks)
        return
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx, initializer=_start_worker,
                                                initargs=(shared,)) as pool:
        for task in tasks:
            pending.append(pool.submit(_call_local, fn, task))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def peak_rss_mb() -> float:
    """This process's peak resident memory, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- reading


def iter_designs(source: str | Path | Sequence[str], size: int, kind: str | None = "molecule") -> Iterator[list[str]]:
    """The designs of a library in lists of ``size``; a text/.smi file is read line by line."""
    from seqmbo.data.libraries import iter_text_designs, read_library, uses_text_reader

    if isinstance(source, (str, Path)):
        items: Iterable[str] = (iter_text_designs(Path(source)) if uses_text_reader(Path(source))
                                else read_library(source, kind=kind).designs)
    else:
        items = (str(s) for s in source)
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _content_key(source: str | Path | Sequence[str]) -> str:
    h = hashlib.sha256()
    if isinstance(source, (str, Path)):
        with open(source, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    else:
        for s in source:
            h.update(str(s).encode() + b"\n")
    return h.hexdigest()


def _reference_shard(shared: Any, smiles: list[str]) -> Any:
    from seqmbo.metrics.mol_chem import FeatureRequest, featurize_chunk

    return featurize_chunk((smiles, None, FeatureRequest(filters=False), None))


def reference_stats(reference: str | Path | Sequence[str], options: ShardOptions) -> Any:
    """The reference summary: from the cache, or built chunk by chunk in the workers (and cached)."""
    from seqmbo.data.fetch import cache_dir
    from seqmbo.metrics.mol_chem import Features
    from seqmbo.metrics.molecules import ReferenceStats

    path = cache_dir() / "reference-stats" / f"{_content_key(reference)[:24]}.npz" if options.cache else None
    if path is not None and path.is_file():
        try:
            stats = ReferenceStats.load(path)
            log.info("reference summary from %s", path)
            return stats
        except (OSError, ValueError) as e:
            log.warning("ignoring the cached reference summary %s (%s)", path, e)
    chunks = iter_designs(reference, options.shard_size)
    feats = Features.concatenate(map_ordered(_reference_shard, chunks, None, options))
    stats = ReferenceStats.from_features(feats, len(feats.canonical))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        stats.save(path)
    return stats


# --------------------------------------------------------------------------- library


@dataclass(frozen=True)
class _Context:
    """What every library shard needs: the reference summary and the oracle names."""

    reference: Any  # ReferenceStats | None
    oracles: tuple[str, ...]


def _library_shard(ctx: _Context, smiles: list[str]) -> tuple[list[str], Any, dict[str, np.ndarray], float]:
    from rdkit import rdBase

    from seqmbo.evaluation import oracle_column
    from seqmbo.metrics.molecules import library_part

    with rdBase.BlockLogs():
        train = ctx.reference.canonical if ctx.reference is not None else None
        part = library_part(smiles, ctx.reference, train)
        scores = {name: oracle_column(_oracle(name), part.canonical) for name in ctx.oracles}
    return smiles, part, scores, peak_rss_mb()


_ORACLES: dict[str, Any] = {}  # one instance of each oracle a worker process


def _oracle(name: str) -> Any:
    from seqmbo.oracles.molecules import get_molecule_oracle

    if name not in _ORACLES:
        _ORACLES[name] = get_molecule_oracle(name)
    return _ORACLES[name]


class _ReportSample:
    """The rows the report draws: the first ``REPORT_ROWS`` and each oracle's best 100."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.head: list[Any] = []
        self.rows = 0
        self.best: dict[str, Any] = {}

    def add(self, table: Any) -> None:
        import pandas as pd

        if self.rows < REPORT_ROWS:
            self.head.append(table.iloc[: REPORT_ROWS - self.rows])
            self.rows += len(self.head[-1])
        for name in self.names:
            both = pd.concat([b for b in (self.best.get(name), table) if b is not None])
            self.best[name] = both.nlargest(100, name)

    def table(self) -> Any:
        import pandas as pd

        frames = self.head + list(self.best.values())
        return pd.concat(frames).drop_duplicates("row").sort_values("row").reset_index(drop=True)


def evaluate_molecules_sharded(library: str | Path | Sequence[str], reference: str | Path | Sequence[str] | None,
                               names: Sequence[str], options: ShardOptions,
                               scores_path: Path | None = None) -> tuple[dict[str, Any], Any]:
    """Metrics of a molecular library evaluated shard by shard.

    Args:
        library: SMILES, or a library file.
        reference: SMILES or a file (novelty, SNN, Frag, Scaf, W1), or None.
        names: oracle names.
        options: executor, workers and shard size.
        scores_path: where ``scores.csv`` is written shard by shard (None: not written).

    Returns:
        The metrics (with ``worker_peak_rss_mb``, the largest worker's peak memory) and the rows
        the report draws (a DataFrame like ``scores.csv`` with a ``row`` column).
    """
    import pandas as pd

    from seqmbo.evaluation import oracle_summary
    from seqmbo.metrics.molecules import combine_parts

    for name in names:
        _oracle(name)  # an unknown name fails before any work
    ref = reference_stats(reference, options) if reference is not None else None
    ctx = _Context(ref, tuple(names))
    parts, scores, sample, row, worker_rss = [], {n: [] for n in names}, _ReportSample(names), 0, 0.0
    shards = map_ordered(_library_shard, iter_designs(library, options.shard_size), ctx, options)
    with open(scores_path or os.devnull, "w", newline="") as fh:
        for designs, part, shard_scores, rss in shards:
            table = pd.DataFrame({"design": designs, "valid": [c is not None for c in part.canonical],
                                  "canonical": part.canonical, **shard_scores})
            table.to_csv(fh, index=False, header=row == 0)
            sample.add(table.assign(row=np.arange(row, row + len(table))))
            row += len(table)
            for name in names:
                scores[name].append(shard_scores[name])
            part.canonical = []  # per-molecule strings are written, not kept
            if parts:  # one running count of fragments and scaffolds
                parts[0].fragments.update(part.fragments)
                parts[0].scaffolds.update(part.scaffolds)
                part.fragments, part.scaffolds = collections.Counter(), collections.Counter()
            parts.append(part)
            worker_rss = max(worker_rss, rss)
            log.info("evaluated %d molecules", row)
    if not parts:
        raise InvalidInputError("the library is empty")
    metrics = combine_parts(parts, ref, with_train=ref is not None)
    for name in names:
        oracle_summary(metrics, name, np.concatenate(scores[name]))
    metrics["worker_peak_rss_mb"] = round(worker_rss, 1)
    return metrics, sample.table()
