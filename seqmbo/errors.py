"""User-facing errors.

Every error a user can cause (bad input file, unknown name, missing dataset) is raised as a
:class:`SeqmboError` subclass whose message names *what* is wrong and *where* (file, row,
position). The command line turns these into one line on stderr and a non-zero exit; library
callers can catch them like any exception.
"""

from __future__ import annotations


class SeqmboError(Exception):
    """Base class of the errors a user can fix (never a bug in seqmbo)."""


class InvalidInputError(SeqmboError, ValueError):
    """A design, table, file or argument that cannot be used as given."""


class UnknownNameError(SeqmboError, KeyError):
    """A task, generator, proxy, oracle or dataset name that does not exist."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it plain
        return str(self.args[0]) if self.args else ""


class DataMissingError(SeqmboError, FileNotFoundError):
    """A dataset file that is neither in the mirror, the cache nor downloadable."""


class OracleSealedError(SeqmboError, RuntimeError):
    """The oracle of a benchmark task was called during the design phase."""
