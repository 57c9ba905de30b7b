"""Benchmark tasks, built from declarative specs (``tasks/*.toml``)."""

from seqmbo.tasks.base import Task, percentile_split
from seqmbo.tasks.spec import builtin_names, load_spec, load_task

__all__ = ["Task", "builtin_names", "load_spec", "load_task", "percentile_split"]
