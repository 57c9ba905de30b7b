"""Design on a user's own data: no oracle, candidates carry the proxy's mean and std.

``seqmbo propose`` and :func:`seqmbo.propose` build a task from the user's table
(:func:`seqmbo.tasks.user_data.user_task`) and run the same loop as a benchmark run
(:func:`seqmbo.run.execute`): the run directory has the same shape (candidates, metrics without
oracle keys, ``config.toml`` that repeats it, report) and every run setting works in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seqmbo.config import RunConfig


def propose(data: Any, scores: Sequence[float] | None = None, *, kind: str | None = None, n: int = 100,
            generator: Any = "evolution", proxy: Any = "ensemble", seed: int = 0, x: str | None = None,
            y: str | Sequence[str] | None = None, out: str | Path | None = None, force: bool = False,
            config: RunConfig | None = None, **settings: Any):
    """Propose ``n`` new designs from scored data.

    Args:
        data: a file (CSV/TSV/FASTA with scores, SDF with a score property), a pandas DataFrame,
            or a list of designs (then give ``scores``).
        scores: the scores of ``data`` when it is a list.
        kind: ``molecule``, ``dna`` or ``protein`` (guessed when omitted).
        n: how many candidates.
        generator, proxy: names or objects (as for :func:`seqmbo.design`).
        seed: seed of every random choice (same seed, same candidates).
        x, y: the design and score columns (or SDF score property). ``y`` may list several
            objectives (``["pIC50", "logS:min"]``: each ``COLUMN``, ``COLUMN:max`` or ``COLUMN:min``).
        out: a folder to write the run directory into (``candidates.csv``, ``metrics.json``,
            ``config.toml``, ``report.png``; ``candidates.sdf`` for molecules).
        force: replace the files of an earlier run in ``out`` (without it, such a folder is refused).
        config: a full :class:`~seqmbo.config.RunConfig` (its ``data`` is replaced by ``data``
            when ``data`` is given); the other arguments are then ignored.
        **settings: any other run setting (``direction="min"`` for lower-is-better scores such as
            IC50, ``constraints=["sa<=4", "logS>=-5"]`` (a computed molecular property is a gate,
            a column of the table a predicted feasibility), ``reward="lcb"``, ``kappa=1``, ``min_distance=0.3``,
            ``calibration=False``, ``generator_options={...}``, ``proxy_options={...}``).

    Returns:
        A DataFrame, best first: ``smiles`` or ``sequence``, ``proxy_mean``, ``proxy_std``,
        ``nearest_offline`` and ``nearest_distance`` (the nearest input design and the distance
        to it: Tanimoto distance for molecules, edit distance for sequences) and, for molecules,
        ``passes_filters`` (MOSES PAINS/charge/ring filters). The run's metrics (held-out quality
        of the proxy among them) are in ``table.attrs["metrics"]``. With several objectives, also
        ``<name>_mean``/``<name>_std`` per objective (in the user's units), ``pareto_rank`` (0: on the
        front of the predicted means) and, with constraints on measured columns, ``feasible_prob``;
        the candidates are in NSGA-II order of the predictions.
    """
    from seqmbo.run import execute
    from seqmbo.tasks.user_data import user_task

    if config is None:
        config = RunConfig(data=str(data) if isinstance(data, (str, Path)) else "<in-memory>", x=x, y=y,
                           kind=kind, generator=generator, proxy=proxy, n=n, seed=seed)
        for key, value in settings.items():
            config.set(key, value)
    task = user_task(data, scores, x=config.x, y=config.y, kind=config.kind, direction=config.direction,
                     constraints=config.constraints)
    config.kind = task.spec["design_kind"]
    result = execute(config, out, task=task, force=force)
    table = result.candidates
    table.attrs["metrics"] = result.metrics
    return table
