"""Gates: validity, uniqueness, novelty and diversity masks over candidates; composable."""

from seqmbo.gates.sequence_gates import AllOf, Gate, MinDistance, Novel, Unique, Valid, select_diverse
from seqmbo.gates.support import BigramSupport

__all__ = ["AllOf", "BigramSupport", "Gate", "MinDistance", "Novel", "Unique", "Valid", "select_diverse"]
