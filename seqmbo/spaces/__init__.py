"""Design spaces: what a valid design is, and how it becomes tensors.

:class:`~seqmbo.spaces.molecule.MoleculeSpace` (SMILES outside, SELFIES tokens inside) is
imported lazily, so importing this package does not import RDKit or selfies.
"""

import importlib

from seqmbo.spaces.sequence import DNA_ALPHABET, PAD, PROTEIN_ALPHABET, SequenceSpace, dna, protein

__all__ = ["DNA_ALPHABET", "PAD", "PROTEIN_ALPHABET", "MoleculeSpace", "SequenceSpace", "dna", "protein"]


def __getattr__(name: str):
    if name == "MoleculeSpace":
        return importlib.import_module("seqmbo.spaces.molecule").MoleculeSpace
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
