"""Constraints on computed molecular properties as a gate (``sa<=4``, ``qed>=0.5``, ``mw<500``).

A computed property is exact, so its constraint is a hard gate: a molecule that breaks it (or
that cannot be parsed) is removed, and the reward of such a design is ``-inf`` (the run joins
this gate to the support gate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from seqmbo.errors import InvalidInputError


def _descriptors() -> dict[str, Callable]:
    from rdkit.Chem import Crippen, Descriptors, QED, rdMolDescriptors

    return {
        "mw": Descriptors.MolWt, "logp": Crippen.MolLogP, "qed": QED.qed, "tpsa": rdMolDescriptors.CalcTPSA,
        "hbd": rdMolDescriptors.CalcNumHBD, "hba": rdMolDescriptors.CalcNumHBA,
        "rotb": rdMolDescriptors.CalcNumRotatableBonds, "rings": rdMolDescriptors.CalcNumRings,
        "aromatic_rings": rdMolDescriptors.CalcNumAromaticRings, "heavy_atoms": lambda m: m.GetNumHeavyAtoms(),
    }


COMPUTED = ("mw", "logp", "qed", "tpsa", "hbd", "hba", "rotb", "rings", "aromatic_rings", "heavy_atoms", "sa")
"""Names a constraint may use without a measured column (any molecule oracle name works too)."""


def property_function(name: str) -> Callable[[Sequence[str], Callable], np.ndarray]:
    """``f(smiles, parse) -> (n,)`` values of a computed property (an RDKit descriptor or a
    molecule oracle); NaN where a molecule cannot be parsed.

    Raises:
        InvalidInputError: ``name`` is neither a descriptor of :data:`COMPUTED` nor an oracle.
    """
    table = _descriptors()
    if name in table:
        fn = table[name]

        def compute(smiles, parse):
            mols = [parse(s) for s in smiles]
            return np.array([np.nan if m is None else float(fn(m)) for m in mols], dtype=np.float64)

        return compute
    from seqmbo.errors import UnknownNameError
    from seqmbo.oracles.molecules import MOLECULE_ORACLES, get_molecule_oracle

    try:
        oracle = get_molecule_oracle(name)
    except UnknownNameError:
        raise InvalidInputError(
            f"constraint on {name!r}: not a measured column nor a computed property ({', '.join(COMPUTED)}, "
            f"or a molecule oracle: {', '.join(MOLECULE_ORACLES[:5])}, ...)"
        ) from None

    def score(smiles, parse):
        oracle.parse = parse
        return np.asarray(oracle(list(smiles)), dtype=np.float64)

    return score


class ConstraintGate:
    """Gate: molecules that meet every constraint on a computed property.

    Args:
        constraints: :class:`~seqmbo.objectives.Constraint` objects naming computed properties.
        space: the molecule space (its cached parser is used); sequences have no computed
            properties, so a sequence space is refused.
    """

    name = "constraints"

    def __init__(self, constraints, space) -> None:
        if getattr(space, "kind", "molecule") != "molecule":
            names = ", ".join(str(c) for c in constraints)
            raise InvalidInputError(f"constraint(s) {names}: computed properties exist for molecules only; "
                                    f"these designs are {space.kind} sequences (a constraint may name a measured column)")
        from seqmbo.spaces.molecule import parser_of

        self.constraints = list(constraints)
        self._parse = parser_of(space)
        self._fns = [property_function(c.name) for c in self.constraints]

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        designs = list(designs)
        mask = np.ones(len(designs), dtype=bool)
        for c, fn in zip(self.constraints, self._fns):
            idx = np.flatnonzero(mask)
            if idx.size:
                mask[idx] = c.holds(fn([designs[i] for i in idx], self._parse))
        return mask
