"""Generators: propose candidate designs under reward guidance."""

from seqmbo.generators.base import Generator, Reward
from seqmbo.generators.resolve import GENERATORS, make_generator

__all__ = ["GENERATORS", "Generator", "Reward", "make_generator"]
