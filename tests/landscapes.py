"""A known landscape shared by proxy and generator tests: additive over DNA 8-mers."""

import numpy as np

from seqmbo.spaces import dna

SPACE = dna(8)
WEIGHTS = np.random.default_rng(7).normal(size=(8, 4))


def additive(designs):
    """The sum of one fixed random weight per position and letter ``(n,)``."""
    return WEIGHTS[np.arange(8), SPACE.encode(designs)].sum(1)


def distinct(n: int, seed: int) -> list[str]:
    """Up to ``n`` distinct uniform designs of :data:`SPACE` (first occurrences of ``n`` draws)."""
    return list(dict.fromkeys(SPACE.sample(n, np.random.default_rng(seed))))
