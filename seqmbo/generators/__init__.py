"""Generators: propose candidate designs under reward guidance."""

from seqmbo.generators.base import Generator, GeneratorBase, Reward
from seqmbo.generators.resolve import GENERATORS, make_generator

__all__ = ["GENERATORS", "Generator", "GeneratorBase", "Reward", "make_generator"]
