"""Shared machinery of the RDKit molecule oracles: parsing, per-molecule caches, the base class.

Every molecule oracle scores a :class:`MolProfile`, a lazily filled cache of the quantities
oracles ask for (fingerprints, logP, TPSA, ring counts, element counts, SA, ...). One profile is
built per molecule, so :func:`seqmbo.oracles.molecules.score_all` computes, say, the ECFP4
fingerprint of a molecule once for the eight GuacaMol objectives that use it.

The tools the profiles compute with (fingerprint generators, the fast 2D-pharmacophore
fingerprinter and its bit memo, the SA-score module) live in a :class:`MolFeaturizer`; an oracle
owns one, and oracles scored together share one.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import math
import os
import sys
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Sequence
from functools import cached_property
from types import ModuleType
from typing import Any

import numpy as np
from rdkit import Chem, DataStructs
from rdkit.Chem import Crippen, GraphDescriptors, QED, rdFingerprintGenerator, rdMolDescriptors

from seqmbo.spaces.molecule import parse_smiles

logger = logging.getLogger(__name__)

#: Fingerprint kinds the GuacaMol objectives use (Brown et al. 2019, J. Chem. Inf. Model.
#: 59:1096, Table 3 and its "Similarity" section). All but PHCO are *count* fingerprints
#: compared with the count-Tanimoto, as GuacaMol does:
#: ECFP4/ECFP6 = unfolded Morgan counts of radius 2/3; FCFP4 = Morgan counts of radius 2 over
#: feature invariants; AP = unfolded atom-pair counts up to a topological distance of 10;
#: PHCO = Gobbi-Poppinger 2D pharmacophore bits (2- and 3-point).
FINGERPRINT_KINDS: tuple[str, ...] = ("ECFP4", "ECFP6", "FCFP4", "AP", "PHCO")

_ERRORS = (RuntimeError, ValueError)  # what RDKit raises on molecules it cannot handle


def load_sascorer() -> ModuleType:
    """Imports ``sascorer`` (Ertl & Schuffenhauer 2009) from the RDKit wheel's Contrib folder.

    The module is imported once per process (it is kept in ``sys.modules`` under ``sascorer``,
    which also reuses an import made by user code).

    Returns:
        The ``sascorer`` module.

    Raises:
        ImportError: the installed RDKit does not ship ``Contrib/SA_Score/sascorer.py``.
    """
    module = sys.modules.get("sascorer")
    if module is not None and hasattr(module, "calculateScore"):
        return module
    from rdkit.Chem import RDConfig

    path = os.path.join(RDConfig.RDContribDir, "SA_Score", "sascorer.py")
    if not os.path.isfile(path):
        raise ImportError(
            f"the synthetic-accessibility score needs RDKit's Contrib/SA_Score/sascorer.py, "
            f"which this RDKit installation lacks (looked for {path})"
        )
    spec = importlib.util.spec_from_file_location("sascorer", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["sascorer"] = module
    return module


def sa_score(mol) -> float:
    """The SA score of ``mol`` (1 easy .. 10 hard; ``nan`` when RDKit fails on it)."""
    try:
        return float(load_sascorer().calculateScore(mol))
    except (RuntimeError, ValueError, ZeroDivisionError):
        return float("nan")


class Pharm2DFingerprinter:
    """Gobbi-Poppinger 2D pharmacophore fingerprints, bit-identical to RDKit's, but fast.

    RDKit's ``Generate.Gen2DFingerprint(mol, Gobbi_Pharm2D.factory)`` enumerates every 2- and
    3-point combination of pharmacophore features in pure Python (about 5 ms a drug-sized
    molecule, the bulk of the GuacaMol suite's cost). This class computes the same bits: it
    finds the features once, takes the topological distance between two features as the
    minimum over their atoms, keeps the combinations whose pairwise distances all lie in the
    signature's bin range (features sharing an atom are at distance 0 and drop out), and
    vectorises the enumeration with numpy. Bit numbers come from the signature factory itself
    (``GetBitIdx``), memoised per (feature families, distances) key, so the bit layout is
    RDKit's by construction. A signature factory configured otherwise (another RDKit) falls back
    to RDKit's generator. Not thread-safe (RDKit's feature factory caches the last molecule's
    features); processes are fine.
    """

    def __init__(self) -> None:
        from rdkit.Chem.Pharm2D import Gobbi_Pharm2D

        self._sig = Gobbi_Pharm2D.factory  # read-only use of RDKit's shared factory
        self._feat_factory = self._sig.featFactory
        self._families = tuple(self._sig.GetFeatFamilies())  # sorted, as RDKit enumerates them
        self._family_index = {fam: i for i, fam in enumerate(self._families)}
        bins = self._sig.GetBins()
        self._min_d = int(bins[0][0])
        self._max_d = int(bins[-1][1])
        self._size = int(self._sig.GetSigSize())
        self._fast = (
            self._sig.minPointCount == 2
            and self._sig.maxPointCount == 3
            and self._sig.shortestPathsOnly
            and not self._sig.includeBondOrder
            and not self._sig.useCounts
        )
        # memo: sorted encoded (families, distances) keys and their bit numbers
        self._known_keys = np.empty(0, dtype=np.int64)
        self._known_bits = np.empty(0, dtype=np.int64)
        self._triples: dict[int, np.ndarray] = {}  # n features -> (C(n,3), 3) index triples

    def _features(self, mol: Chem.Mol) -> list[tuple[int, tuple[int, ...]]]:
        """Unique (family index, atom ids) features, sorted as RDKit orders its combinations."""
        ff = self._feat_factory
        feats = set()
        for i in range(ff.GetNumMolFeatures(mol)):
            # the first call matches all features; the rest read RDKit's cache (recompute=False)
            feat = ff.GetMolFeature(mol, i, "", i == 0)
            fam = self._family_index.get(feat.GetFamily())
            if fam is not None:
                feats.add((fam, tuple(feat.GetAtomIds())))
        return sorted(feats)

    def _triple_index(self, n: int) -> np.ndarray:
        idx = self._triples.get(n)
        if idx is None:
            idx = np.array(list(itertools.combinations(range(n), 3)), dtype=np.int64).reshape(-1, 3)
            if n <= 64:  # keep the memo small; huge molecules recompute theirs
                self._triples[n] = idx
        return idx

    def _compute_bit(self, key: int) -> int:
        """Decodes a (families, distances) key and asks the signature factory for its bit."""
        nfam, base = len(self._families), self._max_d
        if key < 0:  # 2-point keys are stored negated
            key = -1 - key
            fams, dists = [key // base // nfam, key // base % nfam], [key % base]
        else:
            d12, rest = key % base, key // base
            d02, rest = rest % base, rest // base
            d01, rest = rest % base, rest // base
            fams, dists = [rest // nfam // nfam, rest // nfam % nfam, rest % nfam], [d01, d02, d12]
        return int(self._sig.GetBitIdx(fams, dists, sortIndices=False))

    def _lookup(self, keys: np.ndarray) -> np.ndarray:
        """Bits of sorted unique ``keys``, from the memo or computed (and memoised)."""
        known, bits = self._known_keys, self._known_bits
        out = np.empty(len(keys), dtype=np.int64)
        if len(known):
            pos = np.minimum(np.searchsorted(known, keys), len(known) - 1)
            hit = known[pos] == keys
            out[hit] = bits[pos[hit]]
        else:
            hit = np.zeros(len(keys), dtype=bool)
        if not hit.all():
            new_keys = keys[~hit]
            new_bits = np.array([self._compute_bit(k) for k in new_keys.tolist()], dtype=np.int64)
            out[~hit] = new_bits
            merged = np.concatenate([known, new_keys])
            order = np.argsort(merged, kind="stable")
            self._known_keys = merged[order]
            self._known_bits = np.concatenate([bits, new_bits])[order]
        return out

    def __call__(self, mol: Chem.Mol, dmat: np.ndarray | None = None) -> DataStructs.SparseBitVect:
        """The fingerprint of ``mol``.

        Args:
            mol: the molecule.
            dmat: its topological distance matrix ``(n_atoms, n_atoms)``, if already computed.

        Returns:
            A ``SparseBitVect`` equal to ``Generate.Gen2DFingerprint(mol, Gobbi_Pharm2D.factory)``.
        """
        if not self._fast:  # pragma: no cover - only with a differently configured RDKit
            from rdkit.Chem.Pharm2D import Generate

            return Generate.Gen2DFingerprint(mol, self._sig)
        fp = DataStructs.SparseBitVect(self._size)
        feats = self._features(mol)
        n = len(feats)
        if n < 2:
            return fp
        if dmat is None:
            dmat = Chem.GetDistanceMatrix(mol)
        atoms = [list(a) for _, a in feats]
        to_atoms = np.stack([dmat[a].min(axis=0) for a in atoms])  # (n, n_atoms)
        fdist = np.stack([to_atoms[:, a].min(axis=1) for a in atoms], axis=1)  # (n, n)
        ok = (fdist >= self._min_d) & (fdist < self._max_d)
        dist = np.where(ok, fdist, 0).astype(np.int64)
        fam = np.array([f for f, _ in feats], dtype=np.int64)
        nfam, base = len(self._families), self._max_d

        i, j = np.triu_indices(n, 1)
        keep = ok[i, j]
        i, j = i[keep], j[keep]
        keys = [-1 - ((fam[i] * nfam + fam[j]) * base + dist[i, j])]  # 2-point keys, negated
        if n >= 3:
            t = self._triple_index(n)
            i, j, k = t[:, 0], t[:, 1], t[:, 2]
            keep = ok[i, j] & ok[i, k] & ok[j, k]
            i, j, k = i[keep], j[keep], k[keep]
            fams3 = (fam[i] * nfam + fam[j]) * nfam + fam[k]
            keys.append(((fams3 * base + dist[i, j]) * base + dist[i, k]) * base + dist[j, k])
        bits = self._lookup(np.unique(np.concatenate(keys)))
        fp.SetBitsFromList(bits.tolist())
        return fp


class MolFeaturizer:
    """The tools molecule profiles compute with; share one among oracles scored together."""

    def __init__(self) -> None:
        self._generators = {
            "ECFP4": rdFingerprintGenerator.GetMorganGenerator(radius=2),
            "ECFP6": rdFingerprintGenerator.GetMorganGenerator(radius=3),
            "FCFP4": rdFingerprintGenerator.GetMorganGenerator(
                radius=2, atomInvariantsGenerator=rdFingerprintGenerator.GetMorganFeatureAtomInvGen()
            ),
            "AP": rdFingerprintGenerator.GetAtomPairGenerator(maxDistance=10),
        }
        self._pharm2d: Pharm2DFingerprinter | None = None
        self._sascorer: ModuleType | None = None

    @property
    def pharm2d(self) -> Pharm2DFingerprinter:
        """The 2D-pharmacophore fingerprinter (built on first use)."""
        if self._pharm2d is None:
            self._pharm2d = Pharm2DFingerprinter()
        return self._pharm2d

    @property
    def sascorer(self) -> ModuleType:
        """RDKit Contrib's ``sascorer`` module (imported on first use)."""
        if self._sascorer is None:
            self._sascorer = load_sascorer()
        return self._sascorer

    def count_fingerprint(self, mol: Chem.Mol, kind: str) -> Any:
        """Sparse count fingerprint of kind ``ECFP4``, ``ECFP6``, ``FCFP4`` or ``AP``."""
        return self._generators[kind].GetSparseCountFingerprint(mol)

    def fingerprint(self, mol: Chem.Mol, kind: str) -> Any:
        """Fingerprint of any kind in :data:`FINGERPRINT_KINDS` (uncached; see :class:`MolProfile`)."""
        if kind == "PHCO":
            return self.pharm2d(mol)
        if kind not in self._generators:
            raise ValueError(f"unknown fingerprint kind {kind!r}; valid: {', '.join(FINGERPRINT_KINDS)}")
        return self.count_fingerprint(mol, kind)

    def profile(self, mol: Chem.Mol) -> MolProfile:
        """A fresh lazy cache of ``mol``'s descriptors."""
        return MolProfile(mol, self)


class MolProfile:
    """Lazily computed, cached descriptors of one molecule (each computed at most once).

    Args:
        mol: a sanitized RDKit molecule.
        featurizer: the tools to compute with.
    """

    def __init__(self, mol: Chem.Mol, featurizer: MolFeaturizer) -> None:
        self.mol = mol
        self.featurizer = featurizer
        self._fps: dict[str, Any] = {}

    def fingerprint(self, kind: str) -> Any:
        """The fingerprint of the given kind (see :data:`FINGERPRINT_KINDS`), cached."""
        fp = self._fps.get(kind)
        if fp is None:
            if kind == "PHCO":
                fp = self.featurizer.pharm2d(self.mol, self.distance_matrix)
            else:
                fp = self.featurizer.fingerprint(self.mol, kind)
            self._fps[kind] = fp
        return fp

    @cached_property
    def distance_matrix(self) -> np.ndarray:
        """Topological distances ``(n_atoms, n_atoms)``."""
        return Chem.GetDistanceMatrix(self.mol)

    @cached_property
    def logp(self) -> float:
        """Crippen logP (Wildman & Crippen 1999), RDKit ``MolLogP``."""
        return float(Crippen.MolLogP(self.mol))

    @cached_property
    def tpsa(self) -> float:
        """Topological polar surface area (Ertl et al. 2000), N and O contributions only."""
        return float(rdMolDescriptors.CalcTPSA(self.mol))

    @cached_property
    def bertz(self) -> float:
        """Bertz CT complexity index."""
        return float(GraphDescriptors.BertzCT(self.mol))

    @cached_property
    def num_rings(self) -> int:
        """Number of SSSR rings."""
        return int(rdMolDescriptors.CalcNumRings(self.mol))

    @cached_property
    def num_aromatic_rings(self) -> int:
        """Number of aromatic rings."""
        return int(rdMolDescriptors.CalcNumAromaticRings(self.mol))

    @cached_property
    def element_counts(self) -> Counter[str]:
        """Atoms of each element, hydrogens included (counted on the H-explicit molecule)."""
        return Counter(atom.GetSymbol() for atom in Chem.AddHs(self.mol).GetAtoms())

    @cached_property
    def num_atoms_with_h(self) -> int:
        """Number of atoms, hydrogens included."""
        return sum(self.element_counts.values())

    @cached_property
    def largest_ring_size(self) -> int:
        """Size of the largest SSSR ring (0 without rings)."""
        rings = self.mol.GetRingInfo().AtomRings()
        return max((len(r) for r in rings), default=0)

    @cached_property
    def qed(self) -> float:
        """Quantitative estimate of drug-likeness (Bickerton et al. 2012), RDKit's weights."""
        return float(QED.qed(self.mol))

    @cached_property
    def sa(self) -> float:
        """Synthetic accessibility in [1, 10] (Ertl & Schuffenhauer 2009); nan without atoms."""
        if self.mol.GetNumAtoms() == 0:
            return math.nan
        return float(self.featurizer.sascorer.calculateScore(self.mol))


class MoleculeOracle(ABC):
    """Base of the RDKit molecule oracles: SMILES in, ``(n,)`` float64 scores out.

    Subclasses implement :meth:`score_profile`. A SMILES RDKit cannot parse or sanitize, and a
    molecule on which RDKit raises, scores ``nan``.

    Attributes:
        name: the oracle's name (as in ``MOLECULE_ORACLES``).
        bounds: ``(lo, hi)`` of the score where known, else ``None``.
        maximize: whether higher is better (``False`` for the SA score).
        parse: how a SMILES becomes a molecule: :func:`~seqmbo.spaces.molecule.parse_smiles`,
            or a task's cached :meth:`~seqmbo.spaces.molecule.MoleculeSpace.mol` (so a candidate
            the run has parsed is not parsed again).
    """

    name: str = ""
    bounds: tuple[float, float] | None = None
    maximize: bool = True

    def __init__(self, featurizer: MolFeaturizer | None = None) -> None:
        self.featurizer = featurizer if featurizer is not None else MolFeaturizer()
        self.parse = parse_smiles

    @abstractmethod
    def score_profile(self, profile: MolProfile) -> float:
        """Scores one molecule through its (shared, cached) profile."""

    def score_mol(self, mol: Chem.Mol | None) -> float:
        """Scores one RDKit molecule (``None`` gives ``nan``)."""
        if mol is None:
            return math.nan
        return self.safe_score(self.featurizer.profile(mol))

    def safe_score(self, profile: MolProfile) -> float:
        """:meth:`score_profile`, with ``nan`` where RDKit raises on the molecule."""
        try:
            return float(self.score_profile(profile))
        except _ERRORS as err:
            logger.debug("%s could not score a molecule: %s", self.name, err)
            return math.nan

    def __call__(self, smiles: Sequence[str]) -> np.ndarray:
        """Scores SMILES strings.

        Args:
            smiles: ``n`` SMILES strings.

        Returns:
            ``(n,)`` float64 scores, ``nan`` where a SMILES is invalid.
        """
        if isinstance(smiles, str):
            raise TypeError("pass a sequence of SMILES strings, not one string")
        out = np.full(len(smiles), np.nan)
        for i, s in enumerate(smiles):
            mol = self.parse(s)
            if mol is not None:
                out[i] = self.safe_score(self.featurizer.profile(mol))
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
