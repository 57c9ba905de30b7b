"""Molecular graphs for torch-geometric: RDKit molecule -> :class:`torch_geometric.data.Data`.

Atoms are nodes and bonds are pairs of directed edges. Node features ``(n_atoms, ATOM_DIM)``:
element one-hot over :data:`ELEMENTS` plus "other", degree (0..5+), formal charge (-2..+2,
clipped), aromatic, hybridization (sp, sp2, sp3, sp3d, sp3d2, other), total hydrogens (0..4+),
in ring. Edge features ``(2 * n_bonds, BOND_DIM)``: bond type (single, double, triple, aromatic),
conjugated, in ring.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from seqmbo.errors import InvalidInputError
from seqmbo.spaces.molecule import parse_smiles

ELEMENTS = ("C", "N", "O", "F", "P", "S", "Cl", "Br", "I", "B", "Si", "Se")
_ELEMENT_INDEX = {e: i for i, e in enumerate(ELEMENTS)}
_N_ELEM = len(ELEMENTS) + 1
_DEGREES = 6
_CHARGES = 5  # -2..+2
_HYBRID = 6
_HS = 5
ATOM_DIM = _N_ELEM + _DEGREES + _CHARGES + 1 + _HYBRID + _HS + 1
BOND_DIM = 6


def _hybrid_index() -> dict:
    from rdkit.Chem import HybridizationType as H

    return {H.SP: 0, H.SP2: 1, H.SP3: 2, H.SP3D: 3, H.SP3D2: 4}


def _bond_index() -> dict:
    from rdkit.Chem import BondType as B

    return {B.SINGLE: 0, B.DOUBLE: 1, B.TRIPLE: 2, B.AROMATIC: 3}


def atom_features(mol) -> np.ndarray:
    """Node features ``(n_atoms, ATOM_DIM)`` float32 of an RDKit molecule."""
    hyb = _hybrid_index()
    n = mol.GetNumAtoms()
    x = np.zeros((n, ATOM_DIM), dtype=np.float32)
    o_deg = _N_ELEM
    o_chg = o_deg + _DEGREES
    o_aro = o_chg + _CHARGES
    o_hyb = o_aro + 1
    o_hs = o_hyb + _HYBRID
    o_ring = o_hs + _HS
    for i, atom in enumerate(mol.GetAtoms()):
        x[i, _ELEMENT_INDEX.get(atom.GetSymbol(), _N_ELEM - 1)] = 1
        x[i, o_deg + min(atom.GetDegree(), _DEGREES - 1)] = 1
        x[i, o_chg + min(max(atom.GetFormalCharge(), -2), 2) + 2] = 1
        x[i, o_aro] = atom.GetIsAromatic()
        x[i, o_hyb + hyb.get(atom.GetHybridization(), _HYBRID - 1)] = 1
        x[i, o_hs + min(atom.GetTotalNumHs(), _HS - 1)] = 1
        x[i, o_ring] = atom.IsInRing()
    return x


def bond_features(mol) -> tuple[np.ndarray, np.ndarray]:
    """Directed edges ``(2, 2 * n_bonds)`` int64 and their features ``(2 * n_bonds, BOND_DIM)`` float32."""
    kinds = _bond_index()
    m = mol.GetNumBonds()
    index = np.zeros((2, 2 * m), dtype=np.int64)
    attr = np.zeros((2 * m, BOND_DIM), dtype=np.float32)
    for j, bond in enumerate(mol.GetBonds()):
        a, b = bond.GetBeginAtomIdx(), bond.GetEndAtomIdx()
        index[:, 2 * j] = (a, b)
        index[:, 2 * j + 1] = (b, a)
        f = np.zeros(BOND_DIM, dtype=np.float32)
        f[kinds.get(bond.GetBondType(), 0)] = 1
        f[4] = bond.GetIsConjugated()
        f[5] = bond.IsInRing()
        attr[2 * j] = attr[2 * j + 1] = f
    return index, attr


def mol_to_graph(mol):
    """A :class:`torch_geometric.data.Data` with ``x``, ``edge_index`` and ``edge_attr``."""
    from torch_geometric.data import Data

    index, attr = bond_features(mol)
    return Data(x=torch.from_numpy(atom_features(mol)), edge_index=torch.from_numpy(index),
                edge_attr=torch.from_numpy(attr))


def smiles_to_graphs(smiles: Sequence[str], parse: Callable[[object], object] = parse_smiles) -> list:
    """Graphs of SMILES strings; an unparsable SMILES raises naming it.

    Args:
        smiles: the molecules ``(n,)``.
        parse: the SMILES parser (a space's cached ``mol``: see :func:`~seqmbo.spaces.molecule.parser_of`).
    """
    out = []
    for i, s in enumerate(smiles):
        mol = parse(s)
        if mol is None or mol.GetNumAtoms() == 0:
            raise InvalidInputError(f"molecule {i + 1} ({s!r}) is not a valid SMILES with atoms")
        out.append(mol_to_graph(mol))
    return out


class GraphSet:
    """A list of graphs that indexes like a tensor: ``gs[idx]`` is a collated ``Batch``.

    Lets :func:`seqmbo.proxies.ensemble.train_members` (which takes ``x[idx]`` and ``x.shape[0]``)
    train graph networks unchanged.
    """

    def __init__(self, graphs: Sequence) -> None:
        self.graphs = list(graphs)

    @property
    def shape(self) -> tuple[int]:
        return (len(self.graphs),)

    def __len__(self) -> int:
        return len(self.graphs)

    def __getitem__(self, idx):
        from torch_geometric.data import Batch

        if isinstance(idx, slice):
            chosen = self.graphs[idx]
        else:
            chosen = [self.graphs[int(i)] for i in torch.as_tensor(idx).reshape(-1).tolist()]
        return Batch.from_data_list(chosen)


class GraphTrunk(torch.nn.Module):
    """GINE layers over a molecular graph batch (Hu et al. 2020), pooled per graph: ``(n_graphs, 2 * hidden)``.

    Atom features are embedded to ``hidden``, pass ``layers`` GINEConv layers with residuals
    (bond features on the edges), and are pooled by sum (scaled by 1/10) and mean.
    """

    def __init__(self, hidden: int, layers: int) -> None:
        super().__init__()
        from torch import nn
        from torch_geometric.nn import GINEConv

        self.embed = nn.Linear(ATOM_DIM, hidden)
        self.convs = nn.ModuleList(
            GINEConv(nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden)), edge_dim=BOND_DIM)
            for _ in range(layers)
        )

    def forward(self, batch) -> torch.Tensor:
        from torch_geometric.nn import global_add_pool, global_mean_pool

        h = self.embed(batch.x)
        for conv in self.convs:
            h = h + torch.relu(conv(h, batch.edge_index, batch.edge_attr))
        size = int(batch.num_graphs)
        return torch.cat([global_add_pool(h, batch.batch, size) / 10.0, global_mean_pool(h, batch.batch, size)], 1)
