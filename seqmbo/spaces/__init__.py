"""Design spaces: what a valid design is, and how it becomes tensors."""

from seqmbo.spaces.sequence import DNA_ALPHABET, PAD, PROTEIN_ALPHABET, SequenceSpace, dna, protein

__all__ = ["DNA_ALPHABET", "PAD", "PROTEIN_ALPHABET", "SequenceSpace", "dna", "protein"]
