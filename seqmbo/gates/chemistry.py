"""Medicinal-chemistry gates for molecules (SMILES designs).

:class:`MedChemFilters` keeps the molecules that pass the MOSES filters
(:func:`seqmbo.metrics.mol_chem.passes_moses_filters`): no ring of eight or more atoms, no
formal charge, only C, N, S, O, F, Cl, Br and H, no PAINS alert (RDKit's WEHI PAINS list),
optionally no match to further SMARTS (e.g. MOSES's MCF list), and a SMILES that round-trips.
The metric ``filters`` reports the fraction of a library that passes the same test.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class MedChemFilters:
    """Gate: molecules that pass the MOSES medicinal-chemistry filters (PAINS, charges, rings, atoms).

    Args:
        space: the molecule space whose cached molecules are used (:meth:`MoleculeSpace.mol`);
            without one, SMILES are parsed with :func:`seqmbo.spaces.molecule.parse_smiles`.
        extra_smarts: further SMARTS alerts that fail a molecule (matched with explicit hydrogens).

    Calling it on SMILES ``(n,)`` gives a bool mask ``(n,)``; invalid SMILES fail.
    """

    name = "filters"

    def __init__(self, space=None, extra_smarts: Sequence[str] = ()) -> None:
        from seqmbo.spaces.molecule import parser_of

        self.space, self.extra_smarts = space, tuple(extra_smarts)
        self._parse = parser_of(space)

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        from seqmbo.metrics.mol_chem import moses_mol, passes_moses_filters
        from seqmbo.spaces.molecule import memo_of, memo_store

        # the verdict depends on the design alone: a molecule space remembers it across calls and rounds
        memo = memo_of(self.space, f"filters{self.extra_smarts}")
        out = np.zeros(len(designs), dtype=bool)
        for i, d in enumerate(designs):
            ok = memo.get(d) if isinstance(d, str) else None
            if ok is None:
                ok = passes_moses_filters(moses_mol(d, self._parse), self.extra_smarts, self._parse)
                if isinstance(d, str):
                    memo_store(memo, d, ok)
            out[i] = ok
        return out
