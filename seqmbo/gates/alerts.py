"""Structural alerts the offline molecules rarely carry: reactive and unstable groups.

RDKit ships two curated lists of substructures a medicinal chemist avoids: Brenk et al. 2008
(105 "unwanted" groups: alkyl halides, thiols, hydrazines, Michael acceptors, ...) and the NIH
list (Jadhav et al. 2010; reactive and assay-interfering groups). Neither list is right for
every project — a covalent-inhibitor series carries a Michael acceptor on purpose — so the gate
takes its list from the user's own molecules: an alert that at most ``max_share`` of the offline
molecules carry (a seeded sample of up to :data:`ALERT_SAMPLE`) is foreign to this chemistry and
a candidate that matches it is removed; an alert the data commonly carries is allowed.

:class:`StructuralAlerts` is the gate (name ``alerts``); :func:`alert_shares` gives the share
of a set of molecules that matches each alert.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from seqmbo.spaces.molecule import memo_of, parser_of, per_molecule

ALERT_SAMPLE = 2000  # offline molecules whose alerts are counted (seeded sample)
ALERT_MAX_SHARE = 0.01  # an alert at most this share of the offline molecules carry is banned
CATALOGS = ("BRENK", "NIH")


@functools.cache
def _catalog(names: tuple[str, ...] = CATALOGS):
    """One RDKit ``FilterCatalog`` holding the entries of the catalogs ``names``."""
    from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

    params = FilterCatalogParams()
    for name in names:
        params.AddCatalog(getattr(FilterCatalogParams.FilterCatalogs, name))
    return FilterCatalog(params)


def _name(entry) -> str:
    return f"{entry.GetProp('FilterSet').upper()}:{entry.GetDescription()}"


def alert_names() -> list[str]:
    """Every alert as ``"CATALOG:description"``, in catalog order."""
    catalog = _catalog()
    return [_name(catalog.GetEntryWithIdx(i)) for i in range(catalog.GetNumEntries())]


def alerts_in(mol) -> set[str]:
    """The alerts (``"CATALOG:description"``) an RDKit molecule matches."""
    return {_name(e) for e in _catalog().GetMatches(mol)}


def alert_shares(mols: Sequence) -> dict[str, float]:
    """The share of ``mols`` (RDKit molecules) that matches each alert; alerts none match are left out."""
    return _shares([alerts_in(m) for m in mols])


def _shares(found: Sequence[set[str] | frozenset[str]]) -> dict[str, float]:
    """The share of the molecules whose alert sets are ``found`` that matches each alert."""
    counts: dict[str, int] = {}
    for names in found:
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    return {k: v / max(len(found), 1) for k, v in counts.items()}


class StructuralAlerts:
    """Gate: molecules that match no alert the offline molecules rarely carry.

    Args:
        offline: the offline SMILES (a seeded sample of up to :data:`ALERT_SAMPLE` is counted).
        space: the molecule space whose cached molecules are used.
        max_share: alerts matched by at most this share of the sample are banned.

    Attributes:
        banned: the banned alerts, ``"CATALOG:description"``.
        shares: the offline share of every alert the sample matches.
    """

    name = "alerts"

    def __init__(self, offline: Sequence[str], space=None, max_share: float = ALERT_MAX_SHARE) -> None:
        self._parse: Callable = parser_of(space)
        pick = np.sort(np.random.default_rng(0).permutation(len(offline))[:ALERT_SAMPLE])
        # what a molecule matches is kept by the space: online rounds rebuild the gate from a growing
        # sample and gate many of the same molecules again, each matched against the lists once
        self._memo = memo_of(space, "alerts_in")
        found = self._alerts_in([offline[i] for i in pick])
        self.shares = _shares([names for names in found if names is not None])
        self.banned = [n for n in alert_names() if self.shares.get(n, 0.0) <= max_share]
        self._banned = frozenset(self.banned)

    def _alerts_in(self, designs: Sequence[str]) -> list[frozenset[str] | None]:
        """Every alert each design matches (``None`` when it is unparsable or has no atoms)."""
        return per_molecule(designs, lambda mol: frozenset(alerts_in(mol)), self._parse, self._memo)

    def alerts_of(self, design: str) -> list[str]:
        """The banned alerts ``design`` matches (``[]`` for an unparsable design)."""
        return sorted((self._alerts_in([design])[0] or frozenset()) & self._banned)

    def __call__(self, designs: Sequence[str], reference: Sequence[str] = ()) -> np.ndarray:
        return np.array([names is not None and not (names & self._banned) for names in self._alerts_in(designs)],
                        dtype=bool)
