"""Gates: validity, uniqueness, data support, novelty, diversity and chemistry masks over
candidates; composable with :class:`AllOf`, which counts what each gate removed."""

from seqmbo.gates.chemistry import MedChemFilters
from seqmbo.gates.core import AllOf, Gate, MinDistance, Novel, Unique, Valid, gate_name, select_diverse
from seqmbo.gates.support import BigramSupport

__all__ = [
    "AllOf", "BigramSupport", "Gate", "MedChemFilters", "MinDistance", "Novel", "Unique", "Valid", "gate_name",
    "select_diverse",
]
