"""seqmbo: offline model-based optimization of discrete designs (DNA, proteins, molecules).

The top-level functions are imported lazily so that ``import seqmbo`` stays light::

    import seqmbo
    run = seqmbo.design("tfbind8", generator="evolution", seed=0)
    run.candidates.head(); run.metrics["score_norm_p100"]
"""

from __future__ import annotations

from typing import Any

from seqmbo.errors import DataMissingError, InvalidInputError, OracleSealedError, SeqmboError, UnknownNameError

__version__ = "0.1.0"

__all__ = [
    "DataMissingError", "InvalidInputError", "OracleSealedError", "SeqmboError", "UnknownNameError",
    "design", "evaluate", "load_task", "propose",
]


def design(*args: Any, **kwargs: Any):
    """One offline design run on a benchmark task; see :func:`seqmbo.run.design`.

    With ``rounds=`` (and ``batch=``, optionally ``budget=``, ``start=``) an online run: see
    :func:`seqmbo.online.online`.
    """
    if "rounds" in kwargs:
        from seqmbo.online import online as _online  # the module seqmbo.online also has resume()

        return _online(*args, **kwargs)
    from seqmbo.run import design as _design

    return _design(*args, **kwargs)


def load_task(task: Any):
    """A benchmark task by name, spec path or spec dict; see :func:`seqmbo.tasks.load_task`."""
    from seqmbo.tasks import load_task as _load

    return _load(task)


def propose(*args: Any, **kwargs: Any):
    """New designs from your own scored data, best first; see :func:`seqmbo.proposal.propose`."""
    from seqmbo.proposal import propose as _propose

    return _propose(*args, **kwargs)


def evaluate(*args: Any, **kwargs: Any) -> dict:
    """Metrics of a generated library; see :func:`seqmbo.evaluation.evaluate`."""
    from seqmbo.evaluation import evaluate as _evaluate

    return _evaluate(*args, **kwargs)
