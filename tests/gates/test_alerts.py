"""Structural alerts the offline molecules rarely carry (seqmbo.gates.alerts)."""

import pytest

from seqmbo.config import RunConfig
from seqmbo.errors import InvalidInputError
from seqmbo.gates.alerts import StructuralAlerts, alert_names, alert_shares, alerts_in
from seqmbo.gates.realism import ChemistrySettings, chemistry_gates, chemistry_settings
from seqmbo.spaces import MoleculeSpace

# drug-like offline molecules without reactive groups
CLEAN = ["CC(=O)Nc1ccc(O)cc1", "COc1ccc(CCN)cc1", "OCC1CCCCC1", "O=C(NC1CCCC1)c1ccncc1", "CCN(CC)CCOc1ccccc1",
         "Cc1ccc(S(=O)(=O)N2CCOCC2)cc1", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "c1ccc2[nH]ccc2c1"] * 5
THIOL, HYDRAZIDE, CHLORO_ESTER = "SCCNC(=O)c1ccccc1", "NNC(=O)c1ccccc1", "ClCC(=O)OCC"


def test_rdkit_lists_match_known_groups():
    assert len(alert_names()) > 250 and alert_names()[0].startswith("BRENK:")
    from rdkit import Chem

    assert "BRENK:thiol_2" in alerts_in(Chem.MolFromSmiles(THIOL))
    assert {"BRENK:hydrazine", "BRENK:acyl_hydrazine"} <= alerts_in(Chem.MolFromSmiles(HYDRAZIDE))
    assert alerts_in(Chem.MolFromSmiles("CCO")) == set()
    shares = alert_shares([Chem.MolFromSmiles(s) for s in (THIOL, THIOL, "CCO", "CCN")])
    assert shares["BRENK:thiol_2"] == pytest.approx(0.5) and "BRENK:hydrazine" not in shares


def test_gate_bans_what_the_data_lacks():
    gate = StructuralAlerts(CLEAN)
    assert gate([THIOL, HYDRAZIDE, CHLORO_ESTER, "CCOc1ccccc1", "CC(=O)NC1CCCC1"]).tolist() == [
        False, False, False, True, True]
    assert gate.alerts_of(THIOL) == ["BRENK:thiol_2"]
    assert "NIH:alpha_halo_carbonyl" in gate.alerts_of(CHLORO_ESTER)
    assert gate(["not a smiles", ""]).tolist() == [False, False]


def test_gate_allows_what_the_data_carries():
    gate = StructuralAlerts(CLEAN + [THIOL, "SCc1ccccc1", "CC(S)C(=O)O"] * 3)  # 9 of 49: thiols are this chemistry
    assert gate.shares["BRENK:thiol_2"] > 0.1
    assert "BRENK:thiol_2" not in gate.banned
    assert gate([THIOL, HYDRAZIDE]).tolist() == [True, False]


def test_alerts_setting_reaches_the_run_gates():
    assert chemistry_settings(RunConfig(), "molecule").alerts is True  # on for molecules unless refused
    assert chemistry_settings(RunConfig(), "dna") is None  # and never on sequences by default
    cfg = RunConfig()
    cfg.set("alerts", False)
    assert chemistry_settings(cfg, "molecule").alerts is False
    cfg.set("alerts", True)
    with pytest.raises(InvalidInputError, match="alerts=true applies to molecules"):
        chemistry_settings(cfg, "dna")
    space = MoleculeSpace.from_smiles(CLEAN)
    gates = chemistry_gates(ChemistrySettings(chemistry=False, alerts=True), space, CLEAN)
    assert [g.name for g in gates.gates] == ["filters", "alerts"]
    assert gates([THIOL, "CCOc1ccccc1"]).tolist() == [False, True] and gates.total_removed["alerts"] == 1


def test_gate_rebuilt_on_a_growing_set_reads_each_molecule_once(monkeypatch):
    """Online rounds rebuild the gate from more offline molecules each round: the space keeps what
    each molecule matches, so a molecule is matched against the lists once, and the gate is the same."""
    import seqmbo.gates.alerts as alerts

    offline = CLEAN + [THIOL, "SCc1ccccc1", "CC(S)C(=O)O"] * 3
    space = MoleculeSpace.from_smiles(offline)
    fresh = StructuralAlerts(offline + [HYDRAZIDE])  # no space: nothing kept
    matched: list[str] = []
    real = alerts.alerts_in
    monkeypatch.setattr(alerts, "alerts_in", lambda mol: matched.append(mol) or real(mol))
    first = StructuralAlerts(offline, space)
    assert len(matched) == len(set(offline))  # repeats read once too
    again = StructuralAlerts(offline + [HYDRAZIDE], space)
    assert len(matched) == len(set(offline)) + 1  # only the new molecule is matched
    assert (again.banned, again.shares) == (fresh.banned, fresh.shares)
    assert first.banned == StructuralAlerts(offline).banned
