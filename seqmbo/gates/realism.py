"""Chemistry a chemist would make: gates derived from the offline molecules themselves.

A :class:`ChemistryProfile` records what the offline data holds: its elements, its ring sizes,
its atom environments (Morgan radius-0 and radius-1 keys: an atom's element, degree,
hydrogens, charge and ring membership, and the same for its neighbours with the bond types to
them) and its synthetic-accessibility (SA, Ertl & Schuffenhauer 2009) scores. The gates built
from it keep the candidates inside that chemistry:

* :class:`Elements` (``elements``): only elements of the data, plus those the user allows;
* :class:`RingSizes` (``rings``): ring sizes 3..8, or others the data has;
* :class:`AtomEnvironments` (``environments``): every atom environment occurs in the data. One
  data-derived rule that covers what hand lists try to: hypervalent atoms (``[PH]=B``, ``N=S``
  in a ring), charges absent from the data, and N–N, O–O, N–O or S–P chains the data lacks;
* :class:`SABound` (``sa``): SA score at most the data's 95th percentile (default), so that
  only candidates harder to make than nearly every molecule the user already has are removed;
* :class:`TrustRegion` (``trust_region``): Tanimoto similarity to the nearest offline molecule
  at least a bound, which keeps candidates where the proxy has seen data.

:func:`chemistry_gates` builds the molecule run's gates (with :class:`MedChemFilters`), as one
:class:`~seqmbo.gates.core.AllOf` that the run uses both as the reward's support (generators
are steered away from what it rejects) and, gate by gate, as the final guarantee.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from seqmbo.errors import InvalidInputError
from seqmbo.gates.core import AllOf

ENV_RADIUS = 1
RING_SIZES = frozenset(range(3, 9))
SA_QUANTILE = 95  # percentile of the offline SA scores used as the default bound
SA_SAMPLE = 2000  # offline molecules whose SA is computed for that percentile (seeded sample)


@functools.cache
def _env_generator():
    from rdkit.Chem import rdFingerprintGenerator

    return rdFingerprintGenerator.GetMorganGenerator(radius=ENV_RADIUS)


def atom_environments(mol) -> set[int]:
    """The Morgan radius-0 and radius-1 environment keys of ``mol`` (unhashed 32-bit ids)."""
    return set(_env_generator().GetSparseCountFingerprint(mol).GetNonzeroElements())


def elements_of(mol) -> set[str]:
    """The element symbols of ``mol``'s atoms."""
    return {a.GetSymbol() for a in mol.GetAtoms()}


def ring_sizes(mol) -> set[int]:
    """The sizes of ``mol``'s SSSR rings."""
    return {len(r) for r in mol.GetRingInfo().AtomRings()}


def parse_elements(text: str | Sequence[str]) -> frozenset[str]:
    """Element symbols from ``"P, Si"`` or ``["P", "Si"]``.

    Raises:
        InvalidInputError: a symbol that is not an element.
    """
    from seqmbo.spaces.molecule import is_element

    items = text.replace(";", ",").split(",") if isinstance(text, str) else list(text)
    out = set()
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        if not is_element(item):
            raise InvalidInputError(f"allow_elements: {item!r} is not an element symbol (e.g. 'P', 'Si', 'Se')")
        out.add(item)
    return frozenset(out)


@dataclass(frozen=True)
class ChemistryProfile:
    """What the offline molecules hold (see the module docstring).

    Attributes:
        elements: element symbols present.
        ring_sizes: ring sizes present.
        environments: Morgan radius-0/1 atom environment keys present.
        sa: SA scores of (a seeded sample of up to :data:`SA_SAMPLE`) offline molecules.
    """

    elements: frozenset[str]
    ring_sizes: frozenset[int]
    environments: frozenset[int]
    sa: np.ndarray

    @classmethod
    def from_designs(cls, designs: Sequence[str], parse: Callable[[str], object] | None = None,
                     space=None) -> "ChemistryProfile":
        """The profile of SMILES ``designs`` (unparsable ones are skipped).

        With a molecule ``space``, its parser is used and each design's features and SA score are
        remembered on it (:meth:`~seqmbo.spaces.molecule.MoleculeSpace.memo`): online rounds profile a
        growing set, and pay only for its new designs. The profile is the same either way.
        """
        from seqmbo.oracles.molbase import sa_score
        from seqmbo.spaces.molecule import memo_of, parse_smiles, parser_of, per_molecule

        parse = parser_of(space) if space is not None else parse or parse_smiles
        features = per_molecule(designs, _profile_features, parse, memo_of(space, "chemistry_profile"))
        kept = [(d, f) for d, f in zip(designs, features) if f is not None]
        if not kept:
            raise InvalidInputError("no valid offline molecule to derive the chemistry gates from")
        elements, rings, envs = set(), set(), set()
        for _, (e, r, v) in kept:
            elements |= e
            rings |= r
            envs |= v
        pick = np.random.default_rng(0).permutation(len(kept))[:SA_SAMPLE]
        sa = np.array(per_molecule([kept[i][0] for i in np.sort(pick)], sa_score, parse, memo_of(space, "sa")), dtype=float)
        return cls(frozenset(elements), frozenset(rings), frozenset(envs), sa[np.isfinite(sa)])

    def sa_bound(self, q: float = SA_QUANTILE) -> float:
        """The ``q``-th percentile of the offline SA scores."""
        return float(np.percentile(self.sa, q)) if self.sa.size else float("inf")


def _profile_features(mol) -> tuple[set[str], set[int], set[int]]:
    return elements_of(mol), ring_sizes(mol), atom_environments(mol)


class _MolGate:
    """A gate that tests each parsed molecule with ``passes(mol)``; unparsable designs fail."""

    name = "mol"

    def __init__(self, space=None) -> None:
        from seqmbo.spaces.molecule import parser_of

        self._parse = parser_of(space)

    def passes(self, mol) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        mols = [self._parse(d) for d in designs]
        return np.array([m is not None and m.GetNumAtoms() > 0 and self.passes(m) for m in mols], dtype=bool)


class _SubsetGate(_MolGate):
    """Molecules whose ``feature(mol)`` (a set) lies within ``allowed``."""

    feature: Callable[[object], set] = staticmethod(elements_of)

    def __init__(self, allowed, space=None) -> None:
        super().__init__(space)
        self.allowed = frozenset(allowed)

    def passes(self, mol) -> bool:
        return self.feature(mol) <= self.allowed


class Elements(_SubsetGate):
    """Molecules made only of ``allowed`` elements (hydrogen always allowed)."""

    name = "elements"

    def __init__(self, allowed: Sequence[str], space=None) -> None:
        super().__init__(frozenset(allowed) | {"H"}, space)


class RingSizes(_SubsetGate):
    """Molecules whose rings all have an ``allowed`` size."""

    name = "rings"
    feature = staticmethod(ring_sizes)


class AtomEnvironments(_SubsetGate):
    """Molecules whose every Morgan radius-0/1 atom environment is ``allowed`` (seen in the data)."""

    name = "environments"
    feature = staticmethod(atom_environments)


class SABound(_MolGate):
    """Molecules with SA score ``<= max_sa``."""

    name = "sa"

    def __init__(self, max_sa: float, space=None) -> None:
        from seqmbo.oracles.molbase import sa_score  # RDKit-heavy: imported when a molecule run builds the gate

        super().__init__(space)
        self.max_sa, self._sa = float(max_sa), sa_score

    def passes(self, mol) -> bool:
        return self._sa(mol) <= self.max_sa


class TrustRegion:
    """Molecules whose Tanimoto similarity (Morgan radius 2, 1024 bits) to the nearest of
    ``offline`` is at least ``min_similarity``."""

    name = "trust_region"

    def __init__(self, space, offline: Sequence[str], min_similarity: float) -> None:
        from seqmbo.metrics.mol_similarity import SortedFingerprints

        fp = space.fingerprints(list(offline))
        self.space, self.min_similarity = space, float(min_similarity)
        self._reference = SortedFingerprints.build(fp[fp.any(1)])

    def similarity(self, designs: Sequence[str]) -> np.ndarray:
        """Nearest offline Tanimoto similarity ``(n,)`` (0 for unparsable designs)."""
        from seqmbo.metrics.mol_similarity import max_tanimoto

        fa = self.space.fingerprints(list(designs))
        out = max_tanimoto(fa, self._reference).astype(np.float64) if len(designs) else np.zeros(0)
        out[~fa.any(1)] = 0.0
        return out

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        return self.similarity(designs) >= self.min_similarity


class CountingGates(AllOf):
    """:class:`AllOf` that also adds up, over all calls, what each gate removed (``total_removed``):
    used as the reward's support, it counts the proposals each gate refused during generation."""

    def __init__(self, *gates) -> None:
        super().__init__(*gates)
        self.total_removed: dict[str, int] = {}
        self.profile: ChemistryProfile | None = None  # the offline profile the gates came from

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        mask = super().__call__(designs, reference)
        for k, v in self.removed.items():
            self.total_removed[k] = self.total_removed.get(k, 0) + v
        return mask


@dataclass
class ChemistrySettings:
    """The resolved chemistry settings of a molecule run (see :class:`~seqmbo.config.RunConfig`).

    Attributes:
        chemistry: the data-derived gates (elements, rings, environments, SA) are on.
        filters: the MOSES/PAINS filters are on.
        allow_elements: elements allowed beyond the data's.
        sa_max: the SA bound (``None``: the data's :data:`SA_QUANTILE`-th percentile).
        trust_region: the smallest nearest-offline Tanimoto similarity (0: off).
        alerts: the structural alerts the offline molecules rarely carry are banned
            (:class:`~seqmbo.gates.alerts.StructuralAlerts`).
    """

    chemistry: bool = True
    filters: bool = True
    allow_elements: frozenset[str] = frozenset()
    sa_max: float | None = None
    trust_region: float = 0.0
    alerts: bool = False


def chemistry_gates(settings: ChemistrySettings, space, offline: Sequence[str],
                    profile: ChemistryProfile | None = None) -> CountingGates | None:
    """The molecule run's chemistry gates, cheapest first, or ``None`` when all are off.

    Args:
        settings: what is on.
        space: the molecule space (its cached molecules and fingerprints are used).
        offline: the offline SMILES (the profile and the trust region come from them).
        profile: a profile of ``offline`` already made (made here when needed and not given).
    """
    from seqmbo.gates.chemistry import MedChemFilters

    gates: list = []
    if settings.chemistry:
        profile = profile or ChemistryProfile.from_designs(offline, space=space)
        sa_max = profile.sa_bound() if settings.sa_max is None else settings.sa_max
        gates += [Elements(profile.elements | settings.allow_elements, space),
                  RingSizes(profile.ring_sizes | RING_SIZES, space),
                  AtomEnvironments(profile.environments, space), SABound(sa_max, space)]
    if settings.filters:
        gates.append(MedChemFilters(space))
    if settings.alerts:
        from seqmbo.gates.alerts import StructuralAlerts

        gates.append(StructuralAlerts(offline, space))
    if settings.trust_region > 0:
        gates.append(TrustRegion(space, offline, settings.trust_region))
    if not gates:
        return None
    out = CountingGates(*gates)
    out.profile = profile
    return out


# The defaults of molecule runs for settings left unset, chosen on the development tasks zinc-qed
# and zinc-plogp (scripts/choose_molecule_defaults.py; README "Molecules a chemist would make").
MOLECULE_DEFAULTS = {"reward": "lcb", "trust_region": 0.0, "alerts": True}


def chemistry_settings(cfg, kind: str) -> ChemistrySettings | None:
    """The chemistry settings of a run config (``cfg``: a :class:`~seqmbo.config.RunConfig`) for
    designs of ``kind``; ``None`` for sequences.

    Unset ``filters``/``chemistry`` are on for molecules, unset ``trust_region`` and ``alerts``
    are ``MOLECULE_DEFAULTS``'s.

    Raises:
        InvalidInputError: ``filters`` or ``chemistry`` asked for on sequences.
    """
    if kind != "molecule":
        for key in ("filters", "chemistry", "alerts"):
            if getattr(cfg, key) is True:
                raise InvalidInputError(f"{key}=true applies to molecules; this task's designs are {kind} sequences")
        return None
    return ChemistrySettings(
        chemistry=cfg.chemistry is not False, filters=cfg.filters is not False,
        allow_elements=parse_elements(cfg.allow_elements), sa_max=cfg.sa_max,
        trust_region=MOLECULE_DEFAULTS["trust_region"] if cfg.trust_region is None else float(cfg.trust_region),
        alerts=MOLECULE_DEFAULTS["alerts"] if cfg.alerts is None else bool(cfg.alerts),
    )
