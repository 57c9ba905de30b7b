"""The chemistry gates derived from the offline molecules (seqmbo.gates.realism)."""

import numpy as np
import pytest

from seqmbo.config import RunConfig
from seqmbo.errors import InvalidInputError
from seqmbo.gates.realism import (
    AtomEnvironments, ChemistryProfile, ChemistrySettings, CountingGates, Elements, RingSizes, SABound, TrustRegion,
    chemistry_gates, chemistry_settings, parse_elements,
)
from seqmbo.spaces import MoleculeSpace

# drug-like offline data: amides, ethers, aromatic rings, an alcohol, a thioether; no P, no N-N, no charge
OFFLINE = [
    "CC(=O)Nc1ccc(O)cc1", "COc1ccc(CCN)cc1", "CCOC(=O)c1ccccc1", "OCC1CCCCC1", "CSc1ccccc1", "CC(C)Cc1ccc(C)cc1",
    "O=C(NC1CCCC1)c1ccncc1", "CCN(CC)CCOc1ccccc1",
]


@pytest.fixture(scope="module")
def profile():
    return ChemistryProfile.from_designs(OFFLINE)


def test_profile_holds_the_data_chemistry(profile):
    assert profile.elements == {"C", "N", "O", "S"}
    assert profile.ring_sizes == {5, 6}
    assert len(profile.environments) > 20
    assert profile.sa.shape == (len(OFFLINE),) and np.all((profile.sa >= 1) & (profile.sa <= 10))
    assert profile.sa_bound() == pytest.approx(np.percentile(profile.sa, 95))
    with pytest.raises(InvalidInputError, match="no valid offline molecule"):
        ChemistryProfile.from_designs(["not a smiles"])


def test_elements_gate_and_allowed_extra_elements(profile):
    designs = ["CCOc1ccccc1", "CCP(C)C", "CCOc1ccccc1Cl", "garbage"]
    assert Elements(profile.elements)(designs).tolist() == [True, False, False, False]
    assert Elements(profile.elements | parse_elements("P, Cl"))(designs).tolist() == [True, True, True, False]
    assert parse_elements(["Se"]) == {"Se"}
    with pytest.raises(InvalidInputError, match="'Xx' is not an element"):
        parse_elements("P,Xx")


def test_ring_sizes_outside_3_to_8_only_when_seen():
    gate = RingSizes({5, 6, 12} | set(range(3, 9)))
    assert gate(["C1CC1", "C1CCCCCCC1", "C1CCCCCCCC1", "C1CCCCCCCCCCC1"]).tolist() == [True, True, False, True]


@pytest.mark.parametrize("smiles, why", [
    ("CCNNc1ccccc1", "N-N chain"), ("CCOOc1ccccc1", "O-O chain"), ("CCONc1ccccc1", "N-O chain"),
    ("C[N+](C)(C)Cc1ccccc1", "a charge"), ("CS(C)(=C)c1ccccc1", "hypervalent S"), ("CSPc1ccccc1", "S-P chain"),
])
def test_atom_environments_absent_from_the_data_are_refused(profile, smiles, why):
    assert not AtomEnvironments(profile.environments)([smiles])[0], why


def test_atom_environments_of_the_data_pass(profile):
    gate = AtomEnvironments(profile.environments)
    assert gate(OFFLINE).all()
    assert gate(["CCOc1ccccc1", "CC(=O)NC1CCCC1"]).all()  # new molecules made of the data's environments


def test_sa_bound():
    gate = SABound(3.0)
    easy, hard = "CCO", "C1C2CC3CC1CC(C2)C31OOC1(C)C"
    assert gate([easy, hard]).tolist() == [True, False]


def test_trust_region():
    space = MoleculeSpace.from_smiles(OFFLINE)
    gate = TrustRegion(space, OFFLINE, 0.4)
    sim = gate.similarity(["CC(=O)Nc1ccc(O)cc1", "CC(=O)Nc1ccc(OC)cc1", "FC(F)(F)C#CC#CC(F)(F)F"])
    assert sim[0] == pytest.approx(1.0) and 0.4 < sim[1] < 1 and sim[2] < 0.2
    assert gate(["CC(=O)Nc1ccc(OC)cc1", "FC(F)(F)C#CC#CC(F)(F)F"]).tolist() == [True, False]


def test_chemistry_gates_count_each_gate_over_calls():
    space = MoleculeSpace.from_smiles(OFFLINE)
    gates = chemistry_gates(ChemistrySettings(trust_region=0.2), space, OFFLINE)
    assert [g.name for g in gates.gates] == ["elements", "rings", "environments", "sa", "filters", "trust_region"]
    assert isinstance(gates, CountingGates) and gates.profile is not None
    assert gates(["CCP(C)C", "CC(=O)Nc1ccc(O)cc1"]).tolist() == [False, True]
    assert gates(["CCNNc1ccccc1"]).tolist() == [False]
    assert gates.total_removed["elements"] == 1 and gates.total_removed["environments"] == 1
    assert chemistry_gates(ChemistrySettings(chemistry=False, filters=False), space, OFFLINE) is None


def test_chemistry_settings_defaults_by_kind():
    cfg = RunConfig()
    s = chemistry_settings(cfg, "molecule")
    assert s.chemistry and s.filters and s.sa_max is None and s.allow_elements == frozenset()
    cfg.set("filters", False)
    cfg.set("allow_elements", "P")
    cfg.set("trust_region", 0.5)
    s = chemistry_settings(cfg, "molecule")
    assert not s.filters and s.allow_elements == {"P"} and s.trust_region == 0.5
    assert chemistry_settings(RunConfig(), "dna") is None
    cfg = RunConfig()
    cfg.set("chemistry", True)
    with pytest.raises(InvalidInputError, match="chemistry=true applies to molecules"):
        chemistry_settings(cfg, "protein")


def test_kind_defaults_fill_only_unset_settings():
    from seqmbo.config import with_kind_defaults
    from seqmbo.gates.realism import MOLECULE_DEFAULTS

    cfg = with_kind_defaults(RunConfig(), "molecule")
    assert cfg.reward == MOLECULE_DEFAULTS["reward"] and cfg.trust_region == MOLECULE_DEFAULTS["trust_region"]
    assert with_kind_defaults(RunConfig(), "dna").reward == "mean"
    assert cfg.alerts is MOLECULE_DEFAULTS["alerts"] and with_kind_defaults(RunConfig(), "dna").alerts is None
    mine = RunConfig(reward="ucb", trust_region=0.25, alerts=True)
    assert with_kind_defaults(mine, "molecule") is mine


def test_nested_support_gates_are_counted_each_under_its_own_name():
    """The chemistry gates joined with a constraint gate (as ``propose --constraint`` builds them)
    are counted one by one, not as one ``all``."""
    from types import SimpleNamespace

    from seqmbo.config import RunConfig
    from seqmbo.gates import AllOf
    from seqmbo.gates.constraint import ConstraintGate
    from seqmbo.gates.realism import CountingGates, Elements, RingSizes
    from seqmbo.objectives import parse_constraint
    from seqmbo.run import make_gates
    from seqmbo.spaces import MoleculeSpace

    space = MoleculeSpace.from_smiles(["CCO", "CCN", "c1ccccc1O", "C1CCCC1", "CCCCCCCCCC"])
    chemistry = CountingGates(Elements(["C", "O"], space), RingSizes([6], space))
    support = AllOf(chemistry, ConstraintGate([parse_constraint("mw<=100")], space))
    gates = AllOf(*make_gates(RunConfig(novel=False), space, SimpleNamespace(baseline=False), support))
    mask = gates(["CCO", "CCN", "c1ccccc1O", "C1CCCC1", "CCCCCCCCCC"], [])
    assert mask.tolist() == [True, False, True, False, False]
    assert gates.removed == {"valid": 0, "unique": 0, "elements": 1, "rings": 1, "constraints": 1}


def test_profile_through_a_space_is_the_same_and_remembers_each_design():
    space = MoleculeSpace.from_smiles(OFFLINE)
    grown = OFFLINE + ["CCOc1ccccc1N", "bad smiles", "OC1CCCCCCCCC1"]
    first, plain = ChemistryProfile.from_designs(OFFLINE, space=space), ChemistryProfile.from_designs(OFFLINE)
    assert first.environments == plain.environments and np.array_equal(first.sa, plain.sa)
    assert set(space.memo("chemistry_profile")) == set(OFFLINE)
    again = ChemistryProfile.from_designs(grown, space=space)  # a grown set: only the new designs are parsed
    plain = ChemistryProfile.from_designs(grown)
    assert again.elements == plain.elements and again.ring_sizes == plain.ring_sizes == {5, 6, 10}
    assert again.environments == plain.environments
    np.testing.assert_array_equal(again.sa, plain.sa)
    assert space.memo("chemistry_profile")["bad smiles"] is None and len(space.memo("sa")) == len(OFFLINE) + 2
