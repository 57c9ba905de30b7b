"""The 20 GuacaMol v2 goal-directed objectives, reimplemented on RDKit.

Definitions follow Brown, Fiscato, Segler & Vaucher, "GuacaMol: Benchmarking Models for de Novo
Molecular Design", J. Chem. Inf. Model. 59:1096-1108 (2019), Table 3 and the Supporting
Information, as shipped in ``guacamol`` 0.5.5 (``goal_directed_suite_v2``). Scores agree with
guacamol 0.5.5 to within 1e-4 on the reference set (``reference/guacamol_v2_zinc300.json``);
the one difference is the convention for unparsable SMILES (``nan`` here, ``-1`` in GuacaMol).

Each objective is a table entry: a list of *terms* (a fingerprint similarity, a descriptor, a
SMARTS match, an isomer score), each passed through a *modifier* that maps it into [0, 1], and
combined with a geometric or arithmetic mean. Target SMILES, SMARTS, thresholds and modifier
parameters are the paper's (facts, cited); the code is written from scratch.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

from rdkit import Chem, DataStructs

from seqmbo.oracles.molbase import MolFeaturizer, MolProfile, MoleculeOracle
from seqmbo.spaces.molecule import is_element, parse_smiles

# --------------------------------------------------------------------------- modifiers
# Score modifiers of GuacaMol (Brown et al. 2019, "Score modifiers"): map a raw value to [0, 1].


@dataclass(frozen=True)
class Identity:
    """Leaves a value (already in [0, 1], e.g. a Tanimoto similarity) as it is."""

    def __call__(self, x: float) -> float:
        return x


@dataclass(frozen=True)
class Clipped:
    """Linear from ``low_x`` (score 0) to ``high_x`` (score 1), clipped to [0, 1]."""

    high_x: float
    low_x: float = 0.0

    def __call__(self, x: float) -> float:
        slope = 1.0 / (self.high_x - self.low_x)
        return min(1.0, max(0.0, slope * x + (1.0 - slope * self.high_x)))


@dataclass(frozen=True)
class Gaussian:
    """``exp(-((x - mu) / sigma)^2 / 2)``: a target value."""

    mu: float
    sigma: float

    def __call__(self, x: float) -> float:
        return math.exp(-0.5 * ((x - self.mu) / self.sigma) ** 2)


@dataclass(frozen=True)
class MinGaussian:
    """1 for ``x <= mu``, a Gaussian tail above: "at most ``mu``"."""

    mu: float
    sigma: float

    def __call__(self, x: float) -> float:
        return Gaussian(self.mu, self.sigma)(max(x, self.mu))


@dataclass(frozen=True)
class MaxGaussian:
    """1 for ``x >= mu``, a Gaussian tail below: "at least ``mu``"."""

    mu: float
    sigma: float

    def __call__(self, x: float) -> float:
        return Gaussian(self.mu, self.sigma)(min(x, self.mu))


Modifier = Callable[[float], float]

# --------------------------------------------------------------------------- term specs
# Immutable descriptions of the terms; ``compile`` binds one to a featurizer (target fingerprints,
# compiled SMARTS) and returns a function profile -> score in [0, 1].

Term = Callable[[MolProfile], float]


class TermSpec(ABC):
    """An immutable description of one scored term of an objective."""

    @abstractmethod
    def compile(self, featurizer: MolFeaturizer) -> Term:
        """Returns ``profile -> score`` with targets precomputed."""


@dataclass(frozen=True)
class Similarity(TermSpec):
    """Modified Tanimoto similarity to a target molecule under a fingerprint kind."""

    target: str
    fp: str
    modifier: Modifier = Identity()

    def compile(self, featurizer: MolFeaturizer) -> Term:
        target_fp = featurizer.fingerprint(_mol(self.target), self.fp)
        fp, modifier, tanimoto = self.fp, self.modifier, DataStructs.TanimotoSimilarity
        return lambda p: modifier(tanimoto(p.fingerprint(fp), target_fp))


@dataclass(frozen=True)
class Descriptor(TermSpec):
    """A modified :class:`MolProfile` attribute (``logp``, ``tpsa``, ``num_rings``, ...)."""

    attribute: str
    modifier: Modifier

    def compile(self, featurizer: MolFeaturizer) -> Term:
        attribute, modifier = self.attribute, self.modifier
        return lambda p: modifier(getattr(p, attribute))


@dataclass(frozen=True)
class MatchDescriptor(TermSpec):
    """Gaussian of a profile attribute centred on the target molecule's value."""

    attribute: str
    target: str
    sigma: float

    def compile(self, featurizer: MolFeaturizer) -> Term:
        mu = getattr(featurizer.profile(_mol(self.target)), self.attribute)
        return Descriptor(self.attribute, Gaussian(mu, self.sigma)).compile(featurizer)


@dataclass(frozen=True)
class ElementCount(TermSpec):
    """Modified number of atoms of one element (hydrogens counted explicitly)."""

    element: str
    modifier: Modifier

    def compile(self, featurizer: MolFeaturizer) -> Term:
        element, modifier = self.element, self.modifier
        return lambda p: modifier(p.element_counts.get(element, 0))


@dataclass(frozen=True)
class Smarts(TermSpec):
    """1 when the molecule matches a SMARTS pattern, else 0 (the reverse with ``inverse``)."""

    pattern: str
    inverse: bool = False

    def compile(self, featurizer: MolFeaturizer) -> Term:
        query = Chem.MolFromSmarts(self.pattern)
        if query is None:
            raise ValueError(f"invalid SMARTS {self.pattern!r}")
        inverse = self.inverse
        return lambda p: float(p.mol.HasSubstructMatch(query) != inverse)


def formula_parts(formula: str) -> list[tuple[str, str]]:
    """``(element, count as written)`` pairs of a molecular formula: ``"C9H10Cl"`` ->
    ``[("C", "9"), ("H", "10"), ("Cl", "")]`` (an empty count is 1)."""
    return re.findall(r"([A-Z][a-z]?)(\d*)", formula)


@dataclass(frozen=True)
class Isomer(TermSpec):
    """Closeness to a molecular formula (Brown et al. 2019, "Isomers").

    The geometric mean of one Gaussian per element of the formula (sigma 1 around its count)
    and one for the total number of atoms, hydrogens included (sigma 2). Elements absent from
    the formula only count through the total.
    """

    formula: str

    def compile(self, featurizer: MolFeaturizer) -> Term:
        counts = [(el, int(n) if n else 1) for el, n in formula_parts(self.formula)]
        parts = [(el, Gaussian(n, 1.0)) for el, n in counts]
        total = Gaussian(sum(n for _, n in counts), 2.0)

        def isomer(p: MolProfile) -> float:
            ec = p.element_counts
            return _geometric([g(ec.get(el, 0)) for el, g in parts] + [total(p.num_atoms_with_h)])

        return isomer


def _mol(smiles: str) -> Chem.Mol:
    mol = parse_smiles(smiles)
    if mol is None:
        raise ValueError(f"invalid target SMILES {smiles!r}")
    return mol


def _geometric(values: list[float]) -> float:
    prod = 1.0
    for v in values:
        prod *= v
    return prod ** (1.0 / len(values))


def _arithmetic(values: list[float]) -> float:
    return sum(values) / len(values)


# --------------------------------------------------------------------------- the v2 suite
# Target molecules (SMILES as in GuacaMol 0.5.5).
CELECOXIB = "CC1=CC=C(C=C1)C1=CC(=NN1C1=CC=C(C=C1)S(N)(=O)=O)C(F)(F)F"
TROGLITAZONE = "Cc1c(C)c2OC(C)(COc3ccc(CC4SC(=O)NC4=O)cc3)CCc2c(C)c1O"
THIOTHIXENE = "CN(C)S(=O)(=O)c1ccc2Sc3ccccc3C(=CCCN4CCN(C)CC4)c2c1"
ARIPIPRAZOLE = "Clc4cccc(N3CCN(CCCCOc2ccc1c(NC(=O)CC1)c2)CC3)c4Cl"
ALBUTEROL = "CC(C)(C)NCC(O)c1ccc(O)c(CO)c1"
MESTRANOL = "COc1ccc2[C@H]3CC[C@@]4(C)[C@@H](CC[C@@]4(O)C#C)[C@@H]3CCc2c1"
CAMPHOR = "CC1(C)C2CCC1(C)C(=O)C2"
MENTHOL = "CC(C)C1CCC(C)CC1O"
TADALAFIL = "O=C1N(CC(N2C1CC3=C(C2C4=CC5=C(OCO5)C=C4)NC6=C3C=CC=C6)=O)C"
SILDENAFIL = "CCCC1=NN(C2=C1N=C(NC2=O)C3=C(C=CC(=C3)S(=O)(=O)N4CCN(CC4)C)OCC)C"
OSIMERTINIB = "COc1cc(N(C)CCN(C)C)c(NC(=O)C=C)cc1Nc2nccc(n2)c3cn(C)c4ccccc34"
FEXOFENADINE = "CC(C)(C(=O)O)c1ccc(cc1)C(O)CCCN2CCC(CC2)C(O)(c3ccccc3)c4ccccc4"
RANOLAZINE = "COc1ccccc1OCC(O)CN2CCN(CC(=O)Nc3c(C)cccc3C)CC2"
PERINDOPRIL = "O=C(OCC)C(NC(C(=O)N1C(C(=O)O)CC2CCCCC12)C)CCC"
AMLODIPINE = "Clc1ccccc1C2C(=C(/N/C(=C2/C(=O)OCC)COCCN)C)\\C(=O)OC"
SITAGLIPTIN = "Fc1cc(c(F)cc1F)CC(N)CC(=O)N3Cc2nnc(C(F)(F)F)n2CC3"
ZALEPLON = "O=C(C)N(CC)C1=CC=CC(C2=CC=NC3=C(C=NN23)C#N)=C1"
# Deco hop and scaffold hop start from the same kinase inhibitor.
HOP_TARGET = "CCCOc1cc2ncnc(Nc3ccc4ncsc4c3)c2cc1S(=O)(=O)C(C)(C)C"
HOP_SCAFFOLD = "[#7]-c1n[c;h1]nc2[c;h1]c(-[#8])[c;h0][c;h1]c12"  # quinazoline core
VALSARTAN_SMARTS = "CN(C=O)Cc1ccc(c2ccccc2)cc1"

#: name -> (combination, terms); combination is "geometric", "arithmetic" or "single".
GUACAMOL_V2_SPECS: dict[str, tuple[str, tuple[TermSpec, ...]]] = {
    # Rediscovery: ECFP4 similarity, clipped at 1 (i.e. the raw Tanimoto).
    "celecoxib_rediscovery": ("single", (Similarity(CELECOXIB, "ECFP4", Clipped(1.0)),)),
    "troglitazone_rediscovery": ("single", (Similarity(TROGLITAZONE, "ECFP4", Clipped(1.0)),)),
    "thiothixene_rediscovery": ("single", (Similarity(THIOTHIXENE, "ECFP4", Clipped(1.0)),)),
    # Similarity: full score from a Tanimoto of 0.75 on.
    "aripiprazole_similarity": ("single", (Similarity(ARIPIPRAZOLE, "ECFP4", Clipped(0.75)),)),
    "albuterol_similarity": ("single", (Similarity(ALBUTEROL, "FCFP4", Clipped(0.75)),)),
    "mestranol_similarity": ("single", (Similarity(MESTRANOL, "AP", Clipped(0.75)),)),
    # Isomers.
    "isomers_c11h24": ("single", (Isomer("C11H24"),)),
    "isomers_c9h10n2o2pf2cl": ("single", (Isomer("C9H10N2O2PF2Cl"),)),
    # Median molecules.
    "median1": ("geometric", (Similarity(MENTHOL, "ECFP4"), Similarity(CAMPHOR, "ECFP4"))),
    "median2": ("geometric", (Similarity(TADALAFIL, "ECFP6"), Similarity(SILDENAFIL, "ECFP6"))),
    # Multi-property objectives.
    "osimertinib_mpo": ("geometric", (
        Similarity(OSIMERTINIB, "FCFP4", Clipped(0.8)),
        Similarity(OSIMERTINIB, "ECFP6", MinGaussian(0.85, 0.1)),
        Descriptor("tpsa", MaxGaussian(100.0, 10.0)),
        Descriptor("logp", MinGaussian(1.0, 1.0)),
    )),
    "fexofenadine_mpo": ("geometric", (
        Similarity(FEXOFENADINE, "AP", Clipped(0.8)),
        Descriptor("tpsa", MaxGaussian(90.0, 10.0)),
        Descriptor("logp", MinGaussian(4.0, 1.0)),
    )),
    "ranolazine_mpo": ("geometric", (
        Similarity(RANOLAZINE, "AP", Clipped(0.7)),
        Descriptor("logp", MaxGaussian(7.0, 1.0)),
        Descriptor("tpsa", MaxGaussian(95.0, 20.0)),
        ElementCount("F", Gaussian(1.0, 1.0)),
    )),
    "perindopril_mpo": ("geometric", (
        Similarity(PERINDOPRIL, "ECFP4"),
        Descriptor("num_aromatic_rings", Gaussian(2.0, 0.5)),
    )),
    "amlodipine_mpo": ("geometric", (
        Similarity(AMLODIPINE, "ECFP4"),
        Descriptor("num_rings", Gaussian(3.0, 0.5)),
    )),
    "sitagliptin_mpo": ("geometric", (
        Similarity(SITAGLIPTIN, "ECFP4", Gaussian(0.0, 0.1)),
        MatchDescriptor("logp", SITAGLIPTIN, 0.2),
        MatchDescriptor("tpsa", SITAGLIPTIN, 5.0),
        Isomer("C16H15F6N5O"),
    )),
    "zaleplon_mpo": ("geometric", (Similarity(ZALEPLON, "ECFP4"), Isomer("C19H17N3O2"))),
    # Valsartan substructure with sitagliptin's logP, TPSA and Bertz complexity.
    "valsartan_smarts": ("geometric", (
        Smarts(VALSARTAN_SMARTS),
        MatchDescriptor("logp", SITAGLIPTIN, 0.2),
        MatchDescriptor("tpsa", SITAGLIPTIN, 5.0),
        MatchDescriptor("bertz", SITAGLIPTIN, 30.0),
    )),
    # Hops: 2D-pharmacophore similarity, keep/replace the decorations or the scaffold.
    "deco_hop": ("arithmetic", (
        Similarity(HOP_TARGET, "PHCO", Clipped(0.85)),
        Smarts("CS([#6])(=O)=O", inverse=True),
        Smarts("[#7]-c1ccc2ncsc2c1", inverse=True),
        Smarts(HOP_SCAFFOLD),
    )),
    "scaffold_hop": ("arithmetic", (
        Similarity(HOP_TARGET, "PHCO", Clipped(0.75)),
        Smarts("[#6]-[#6]-[#6]-[#8]-[#6]~[#6]~[#6]~[#6]~[#6]-[#7]-c1ccc2ncsc2c1"),
        Smarts(HOP_SCAFFOLD, inverse=True),
    )),
}

#: Our names -> the benchmark titles GuacaMol prints.
GUACAMOL_V2_TITLES: dict[str, str] = {
    "celecoxib_rediscovery": "Celecoxib rediscovery",
    "troglitazone_rediscovery": "Troglitazone rediscovery",
    "thiothixene_rediscovery": "Thiothixene rediscovery",
    "aripiprazole_similarity": "Aripiprazole similarity",
    "albuterol_similarity": "Albuterol similarity",
    "mestranol_similarity": "Mestranol similarity",
    "isomers_c11h24": "C11H24",
    "isomers_c9h10n2o2pf2cl": "C9H10N2O2PF2Cl",
    "median1": "Median molecules 1",
    "median2": "Median molecules 2",
    "osimertinib_mpo": "Osimertinib MPO",
    "fexofenadine_mpo": "Fexofenadine MPO",
    "ranolazine_mpo": "Ranolazine MPO",
    "perindopril_mpo": "Perindopril MPO",
    "amlodipine_mpo": "Amlodipine MPO",
    "sitagliptin_mpo": "Sitagliptin MPO",
    "zaleplon_mpo": "Zaleplon MPO",
    "valsartan_smarts": "Valsartan SMARTS",
    "deco_hop": "Deco Hop",
    "scaffold_hop": "Scaffold Hop",
}

GUACAMOL_V2_NAMES: tuple[str, ...] = tuple(GUACAMOL_V2_SPECS)

#: GuacaMol objectives outside the v2 suite that the PMO benchmark (Gao et al. 2022) uses: its
#: isomer task is GuacaMol v1's C7H8N2O2 (the same formula-based Gaussians as v2's isomers).
GUACAMOL_EXTRA_SPECS: dict[str, tuple[str, tuple[TermSpec, ...]]] = {
    "isomers_c7h8n2o2": ("single", (Isomer("C7H8N2O2"),)),
}
GUACAMOL_EXTRA_TITLES: dict[str, str] = {"isomers_c7h8n2o2": "C7H8N2O2"}

#: Every GuacaMol objective by name: the v2 suite, then the extras.
GUACAMOL_NAMES: tuple[str, ...] = GUACAMOL_V2_NAMES + tuple(GUACAMOL_EXTRA_SPECS)
_SPECS = {**GUACAMOL_V2_SPECS, **GUACAMOL_EXTRA_SPECS}
_TITLES = {**GUACAMOL_V2_TITLES, **GUACAMOL_EXTRA_TITLES}

#: The isomer family: ``isomers_<formula>`` with the formula's capitals kept, e.g. ``isomers_C8H10NO4P``.
ISOMER_PREFIX = "isomers_"


def isomer_formula(name: str) -> str | None:
    """The molecular formula of an isomer objective named ``isomers_<formula>``; ``None`` for other names.

    The formula is written with its capitals (``C8H10NO4P``), each element once, counts of 1 or more
    (a missing count is 1), hydrogens included.

    Raises:
        ValueError: the name starts with ``isomers_`` but what follows is not such a formula.
    """
    if not name.lower().startswith(ISOMER_PREFIX):
        return None
    formula = name[len(ISOMER_PREFIX):]
    parts = formula_parts(formula)
    hint = f"isomer objective {name!r}: write isomers_<formula> with the formula's capitals, e.g. isomers_C8H10NO4P"
    if not parts or "".join(el + n for el, n in parts) != formula:
        raise ValueError(hint)
    for el, n in parts:
        if not is_element(el):
            raise ValueError(f"{hint} ({el!r} is not an element symbol)")
        if n and int(n) < 1:
            raise ValueError(f"{hint} (the count of {el} is {n})")
    if len({el for el, _ in parts}) != len(parts):
        raise ValueError(f"{hint} (an element written twice)")
    return formula


def _spec_of(name: str) -> tuple[str, tuple[TermSpec, ...], str]:
    """``(combination, terms, title)`` of a named objective: the tables above, or the isomer family."""
    if name in _SPECS:
        return (*_SPECS[name], _TITLES[name])
    formula = isomer_formula(name)
    if formula is None:
        raise KeyError(f"unknown GuacaMol objective {name!r}")
    return "single", (Isomer(formula),), formula


class GuacaMolObjective(MoleculeOracle):
    """One GuacaMol goal-directed objective; scores lie in [0, 1].

    Args:
        name: one of :data:`GUACAMOL_NAMES`, or ``isomers_<formula>`` for any molecular formula
            (:func:`isomer_formula`; GuacaMol's isomer score).
        featurizer: tools to share with other oracles (a fresh one by default).

    Raises:
        KeyError: ``name`` is not a GuacaMol objective.
        ValueError: an ``isomers_`` name whose formula cannot be read.
    """

    bounds = (0.0, 1.0)

    def __init__(self, name: str, featurizer: MolFeaturizer | None = None) -> None:
        super().__init__(featurizer)
        combination, specs, self.title = _spec_of(name)
        self.name = name
        self._terms = tuple(spec.compile(self.featurizer) for spec in specs)
        self._combine = _geometric if combination == "geometric" else _arithmetic  # "single": the term

    def score_profile(self, profile: MolProfile) -> float:
        return self._combine([term(profile) for term in self._terms])


class GuacaMolTerm(MoleculeOracle):
    """Term ``index`` (from 0) of a GuacaMol v2 objective on its own, in [0, 1]: e.g.
    ``GuacaMolTerm("osimertinib_mpo", 2)`` is Osimertinib MPO's TPSA term. Named ``NAME#INDEX``."""

    bounds = (0.0, 1.0)

    def __init__(self, name: str, index: int, featurizer: MolFeaturizer | None = None) -> None:
        super().__init__(featurizer)
        if name not in _SPECS:
            raise KeyError(f"unknown GuacaMol objective {name!r}")
        specs = _SPECS[name][1]
        if not 0 <= index < len(specs):
            raise IndexError(f"{name} has terms 0..{len(specs) - 1}, not {index}")
        self.name = f"{name}#{index}"
        self._term = specs[index].compile(self.featurizer)

    def score_profile(self, profile: MolProfile) -> float:
        return self._term(profile)
