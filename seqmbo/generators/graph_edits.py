"""Edits of molecular graphs for evolution: mutations of atoms, bonds and rings, and the crossover
of two molecules at an acyclic single bond (the operators of graph-based genetic algorithms, Jensen
2019, written here on RDKit's editable molecules).

Every edit works on a kekulized copy (aromatic rings as alternating single and double bonds; bond
orders and ring openings leave the bonds of aromatic rings alone), gives
new atoms their element's usual valence with no charge, and is kept only when RDKit sanitizes the
result; :func:`offspring` turns parents (SMILES) into children (canonical SMILES), dropping the edits
that fail. Randomness comes from the numpy generator passed in, so the same seed gives the same
children.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

VALENCE = {"C": 4, "N": 3, "O": 2, "S": 2, "P": 3, "F": 1, "Cl": 1, "Br": 1, "I": 1, "B": 3}
CHAIN = ("C", "N", "O", "S")  # elements that may sit inside a chain (valence >= 2)
MUTATIONS = ("append", "insert", "delete", "element", "bond", "ring_close", "ring_open")


def _editable(smiles_or_mol):
    """A kekulized, editable copy (``None`` when RDKit cannot read it)."""
    from rdkit import Chem

    from seqmbo.spaces.molecule import parse_smiles

    mol = parse_smiles(smiles_or_mol) if isinstance(smiles_or_mol, str) else smiles_or_mol
    if mol is None:
        return None
    rw = Chem.RWMol(mol)
    try:
        Chem.Kekulize(rw, clearAromaticFlags=False)  # flags kept: edits leave aromatic bonds alone
    except Exception:  # noqa: BLE001 - RDKit raises its own kekulization errors
        return None
    return rw


def _finish(rw) -> str | None:
    """Canonical SMILES of an edited molecule, or ``None`` when it does not sanitize or falls apart."""
    from rdkit import Chem

    for i in range(rw.GetNumAtoms()):  # aromaticity is perceived afresh by the sanitization
        rw.GetAtomWithIdx(i).SetIsAromatic(False)
    for i in range(rw.GetNumBonds()):
        rw.GetBondWithIdx(i).SetIsAromatic(False)
    try:
        mol = rw.GetMol()
        mol.UpdatePropertyCache(strict=False)
        Chem.SanitizeMol(mol)
    except Exception:  # noqa: BLE001 - any sanitization failure rejects the edit
        return None
    if mol.GetNumAtoms() == 0 or len(Chem.GetMolFrags(mol)) != 1:
        return None
    return Chem.MolToSmiles(mol)


def _spare(atom) -> int:
    """Bonds ``atom`` can still take: its hydrogens (uncharged atoms only)."""
    return atom.GetTotalNumHs() if atom.GetFormalCharge() == 0 else 0


def _new_atom(rw, element: str) -> int:
    from rdkit import Chem

    return rw.AddAtom(Chem.Atom(element))


def _pick(rng: np.random.Generator, items: Sequence):
    return items[int(rng.integers(len(items)))] if len(items) else None


def mutate(smiles, rng: np.random.Generator, elements: Sequence[str] = CHAIN) -> str | None:
    """One random edit of ``smiles`` (a SMILES or an RDKit molecule; see :data:`MUTATIONS`) with new atoms drawn from ``elements``;
    ``None`` when the drawn edit does not apply or gives no valid molecule."""
    rw = _editable(smiles)
    if rw is None:
        return None
    kind = MUTATIONS[int(rng.integers(len(MUTATIONS)))]
    if not globals()[f"_{kind}"](rw, rng, list(elements)):
        return None
    for atom in rw.GetAtoms():
        if atom.GetFormalCharge() == 0:  # hydrogens follow the new bonds (charged atoms keep theirs)
            atom.SetNoImplicit(False)
            atom.SetNumExplicitHs(0)
    return _finish(rw)


def _append(rw, rng, elements) -> bool:
    from rdkit import Chem

    atom = _pick(rng, [a.GetIdx() for a in rw.GetAtoms() if _spare(a) >= 1])
    if atom is None:
        return False
    element = _pick(rng, elements)
    double = _spare(rw.GetAtomWithIdx(atom)) >= 2 and VALENCE[element] >= 2 and rng.random() < 0.2
    new = _new_atom(rw, element)
    rw.AddBond(atom, new, Chem.BondType.DOUBLE if double else Chem.BondType.SINGLE)
    return True


def _insert(rw, rng, elements) -> bool:
    from rdkit import Chem

    bond = _pick(rng, [b for b in rw.GetBonds() if b.GetBondType() == Chem.BondType.SINGLE])
    chain = [e for e in elements if VALENCE.get(e, 0) >= 2]
    if bond is None or not chain:
        return False
    a, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
    rw.RemoveBond(a, b)
    new = _new_atom(rw, _pick(rng, chain))
    rw.AddBond(a, new, Chem.BondType.SINGLE)
    rw.AddBond(new, b, Chem.BondType.SINGLE)
    return True


def _delete(rw, rng, elements) -> bool:
    from rdkit import Chem

    if rw.GetNumAtoms() < 3:
        return False
    ends = [a.GetIdx() for a in rw.GetAtoms() if a.GetDegree() == 1]
    links = [a.GetIdx() for a in rw.GetAtoms() if a.GetDegree() == 2 and not a.IsInRing()
             and all(b.GetBondType() == Chem.BondType.SINGLE for b in a.GetBonds())]
    atom = _pick(rng, ends + links)
    if atom is None:
        return False
    neighbours = [n.GetIdx() for n in rw.GetAtomWithIdx(atom).GetNeighbors()]
    if len(neighbours) == 2:
        rw.AddBond(neighbours[0], neighbours[1], Chem.BondType.SINGLE)
    rw.RemoveAtom(atom)
    return True


def _element(rw, rng, elements) -> bool:
    atom = rw.GetAtomWithIdx(int(rng.integers(rw.GetNumAtoms())))
    used = int(round(sum(b.GetBondTypeAsDouble() for b in atom.GetBonds())))
    choices = [e for e in elements if e != atom.GetSymbol() and VALENCE.get(e, 0) >= used]
    element = _pick(rng, choices)
    if element is None or atom.GetFormalCharge() != 0:
        return False
    from rdkit import Chem

    atom.SetAtomicNum(Chem.GetPeriodicTable().GetAtomicNumber(element))
    return True


def _bond(rw, rng, elements) -> bool:
    from rdkit import Chem

    bond = _pick(rng, [b for b in rw.GetBonds() if not b.GetIsAromatic()])
    if bond is None:
        return False
    order = {Chem.BondType.SINGLE: 1, Chem.BondType.DOUBLE: 2, Chem.BondType.TRIPLE: 3}.get(bond.GetBondType())
    if order is None:
        return False
    up = min(_spare(bond.GetBeginAtom()), _spare(bond.GetEndAtom())) >= 1 and order < 3
    new = order + 1 if up and (order == 1 or rng.random() < 0.5) else order - 1
    if new < 1:
        return False
    bond.SetBondType((Chem.BondType.SINGLE, Chem.BondType.DOUBLE, Chem.BondType.TRIPLE)[new - 1])
    return True


def _ring_close(rw, rng, elements) -> bool:
    from rdkit import Chem

    dist = Chem.GetDistanceMatrix(rw)
    free = [a.GetIdx() for a in rw.GetAtoms() if _spare(a) >= 1]
    pairs = [(i, j) for n, i in enumerate(free) for j in free[n + 1:] if 4 <= dist[i, j] <= 5]
    pair = _pick(rng, pairs)
    if pair is None:
        return False
    rw.AddBond(int(pair[0]), int(pair[1]), Chem.BondType.SINGLE)
    return True


def _ring_open(rw, rng, elements) -> bool:
    from rdkit import Chem

    bond = _pick(rng, [b for b in rw.GetBonds() if b.IsInRing() and not b.GetIsAromatic()
                          and b.GetBondType() == Chem.BondType.SINGLE])
    if bond is None:
        return False
    rw.RemoveBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx())
    return True


def _side(rw, rng):
    """A random acyclic single bond of ``rw`` cut: one side as an editable molecule and the index of
    its atom at the cut (``None`` when the molecule has no such bond)."""
    from rdkit import Chem

    bond = _pick(rng, [b for b in rw.GetBonds() if not b.IsInRing() and b.GetBondType() == Chem.BondType.SINGLE])
    if bond is None:
        return None
    a, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
    keep_atom = a if rng.random() < 0.5 else b
    rw.RemoveBond(a, b)
    groups = Chem.GetMolFrags(rw)
    keep = next(g for g in groups if keep_atom in g)
    for idx in sorted(set(range(rw.GetNumAtoms())) - set(keep), reverse=True):
        rw.RemoveAtom(idx)
    return rw, keep_atom - sum(1 for i in range(keep_atom) if i not in keep)


def crossover(a, b, rng: np.random.Generator) -> str | None:
    """A child of ``a`` and ``b`` (SMILES or RDKit molecules): one side of each, cut at a random acyclic single bond, joined by a
    single bond at the cut atoms (``None`` when either has no such bond or the child is invalid)."""
    from rdkit import Chem

    parts = [_editable(s) for s in (a, b)]
    if any(p is None for p in parts):
        return None
    sides = [_side(p, rng) for p in parts]
    if any(s is None for s in sides):
        return None
    (fa, ia), (fb, ib) = sides
    rw = Chem.RWMol(Chem.CombineMols(fa.GetMol(), fb.GetMol()))
    rw.AddBond(ia, fa.GetNumAtoms() + ib, Chem.BondType.SINGLE)
    for idx in (ia, fa.GetNumAtoms() + ib):
        rw.GetAtomWithIdx(idx).SetNoImplicit(False)
        rw.GetAtomWithIdx(idx).SetNumExplicitHs(0)
    return _finish(rw)


def elements_of(smiles: Sequence[str], parse=None) -> list[str]:
    """The elements of :data:`VALENCE` that occur in ``smiles`` (carbon always): new atoms come from these.
    ``parse``: SMILES -> RDKit molecule (default :func:`~seqmbo.spaces.molecule.parse_smiles`; a
    space's cached ``mol``)."""
    from seqmbo.spaces.molecule import parse_smiles

    parse, found = parse or parse_smiles, {"C"}
    for s in smiles:
        mol = parse(s)
        if mol is not None:
            found.update(a.GetSymbol() for a in mol.GetAtoms())
    return [e for e in VALENCE if e in found]


def offspring(parents: Sequence[str], k: int, rng: np.random.Generator, crossover_rate: float = 0.5,
              elements: Sequence[str] = CHAIN, weights: np.ndarray | None = None, tries: int = 3,
              parse=None) -> list[str]:
    """``k`` children (fewer when edits keep failing) of ``parents`` drawn with ``weights``: a
    crossover of two parents with probability ``crossover_rate``, else a mutation of one; a child of a
    crossover is mutated too half of the time. Each child gets up to ``tries`` attempts. ``parse``:
    as in :func:`elements_of` (the parents are read, never changed)."""
    from seqmbo.spaces.molecule import parse_smiles

    m, mols, parse = len(parents), {}, parse or parse_smiles

    def parsed(i: int):
        if i not in mols:
            mols[i] = parse(parents[i])
        return mols[i]

    children = []
    for _ in range(k):
        for _ in range(tries):
            a, b = (parsed(int(i)) for i in rng.choice(m, size=2, p=weights))
            if rng.random() < crossover_rate:
                child = crossover(a, b, rng)
                if child is not None and rng.random() < 0.5:
                    child = mutate(child, rng, elements) or child
            else:
                child = mutate(a, rng, elements)
            if child is not None:
                children.append(child)
                break
    return children
