"""Single-property molecule oracles: QED, Crippen logP, SA score and penalized logP."""

from __future__ import annotations

import math

from rdkit import Chem

from seqmbo.oracles.molbase import MolFeaturizer, MolProfile, MoleculeOracle

# Penalized logP normalisation: means and standard deviations of logP, -SA and -(ring penalty)
# over ZINC250k, from Jin, Barzilay & Jaakkola, "Junction Tree Variational Autoencoder for
# Molecular Graph Generation", ICML 2018 (their bo/ scripts), the constants TDC (Huang et al.
# 2021) also uses. Note the SA and cycle means are of the *negated* terms.
LOGP_MEAN = 2.4570953396190123
LOGP_STD = 1.434324401111988
SA_MEAN = -3.0525811293166134
SA_STD = 0.8335207024513095
CYCLE_MEAN = -0.0485696876403053
CYCLE_STD = 0.2860212110245455


def ring_penalty(mol: Chem.Mol) -> int:
    """``max(largest ring size - 6, 0)``, the large-ring penalty of penalized logP.

    Ring sizes are those of RDKit's smallest set of smallest rings. (JT-VAE took them from a
    networkx cycle basis, which agrees for ordinary fused rings but can report a larger cycle
    for bridged polycycles such as adamantane.)

    Args:
        mol: the molecule.

    Returns:
        The penalty, 0 for molecules without rings larger than six atoms.
    """
    rings = mol.GetRingInfo().AtomRings()
    return max(max((len(r) for r in rings), default=0) - 6, 0)


class QEDOracle(MoleculeOracle):
    """Quantitative estimate of drug-likeness (Bickerton et al. 2012), in [0, 1]."""

    name = "qed"
    bounds = (0.0, 1.0)

    def score_profile(self, profile: MolProfile) -> float:
        return profile.qed


class LogPOracle(MoleculeOracle):
    """Crippen logP (Wildman & Crippen 1999; RDKit ``MolLogP``); unbounded."""

    name = "logp"

    def score_profile(self, profile: MolProfile) -> float:
        return profile.logp


class SAOracle(MoleculeOracle):
    """Synthetic accessibility (Ertl & Schuffenhauer 2009) in [1, 10]; lower is easier.

    Uses RDKit's Contrib implementation; ``nan`` for a molecule without atoms.
    """

    name = "sa"
    bounds = (1.0, 10.0)
    maximize = False

    def score_profile(self, profile: MolProfile) -> float:
        return profile.sa


class PenalizedLogPOracle(MoleculeOracle):
    """Penalized logP: logP minus SA minus the large-ring penalty; unbounded.

    Normalized (the default, as in JT-VAE and TDC), each term is standardised with the ZINC250k
    constants above: ``(logP - m1)/s1 + (-SA - m2)/s2 + (-penalty - m3)/s3``. Unnormalized it is
    ``logP - SA - penalty`` (the form of You et al. 2018, GCPN).

    Args:
        normalized: standardise the three terms.
        featurizer: tools to share with other oracles.
    """

    def __init__(self, normalized: bool = True, featurizer: MolFeaturizer | None = None) -> None:
        super().__init__(featurizer)
        self.normalized = normalized
        self.name = "plogp" if normalized else "plogp_unnormalized"

    def score_profile(self, profile: MolProfile) -> float:
        sa = profile.sa
        if math.isnan(sa):
            return math.nan
        penalty = max(profile.largest_ring_size - 6, 0)
        if not self.normalized:
            return profile.logp - sa - penalty
        return (
            (profile.logp - LOGP_MEAN) / LOGP_STD
            + (-sa - SA_MEAN) / SA_STD
            + (-penalty - CYCLE_MEAN) / CYCLE_STD
        )
