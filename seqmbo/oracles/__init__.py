"""Oracles: true scores of designs, used for evaluation only."""

from seqmbo.oracles.base import LookupOracle, Oracle, SealedOracle

__all__ = ["LookupOracle", "Oracle", "SealedOracle"]
