"""RDKit molecule oracles: agreement with the reference files, names, bounds, hand-checked facts.

The reference files live in ``$SEQMBO_DATA_DIR/reference/``:
``guacamol_v2_zinc300.json`` (guacamol 0.5.5 scores of 303 SMILES under the 20 v2 objectives)
and ``mol_oracles_rdkit.json`` (QED, logP, SA, ring penalty and penalized logP of named
molecules). Tests that need them skip when they are missing.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from rdkit import Chem

from seqmbo.errors import UnknownNameError
from seqmbo.oracles.guacamol import (
    GUACAMOL_V2_NAMES,
    GUACAMOL_V2_TITLES,
    Clipped,
    GuacaMolObjective,
    MaxGaussian,
    MinGaussian,
)
from seqmbo.oracles.molbase import MolFeaturizer, Pharm2DFingerprinter
from seqmbo.oracles.molecules import MOLECULE_ORACLES, get_molecule_oracle, score_all
from seqmbo.oracles.rdkit_props import ring_penalty
from tests.conftest import reference_file

TOL = 1e-4
CONTRACT_NAMES = (
    "qed", "logp", "sa", "plogp", "plogp_unnormalized",
    "celecoxib_rediscovery", "troglitazone_rediscovery", "thiothixene_rediscovery",
    "aripiprazole_similarity", "albuterol_similarity", "mestranol_similarity", "isomers_c11h24",
    "isomers_c9h10n2o2pf2cl", "median1", "median2", "osimertinib_mpo", "fexofenadine_mpo",
    "ranolazine_mpo", "perindopril_mpo", "amlodipine_mpo", "sitagliptin_mpo", "zaleplon_mpo",
    "valsartan_smarts", "deco_hop", "scaffold_hop",
)  # fmt: skip


def _reference(filename: str) -> dict:
    return json.loads(reference_file(filename).read_text())


@pytest.fixture(scope="module")
def guacamol_ref() -> dict:
    return _reference("guacamol_v2_zinc300.json")


@pytest.fixture(scope="module")
def rdkit_ref() -> dict:
    return _reference("mol_oracles_rdkit.json")


@pytest.fixture(scope="module")
def guacamol_scores(guacamol_ref: dict) -> dict[str, np.ndarray]:
    return score_all(guacamol_ref["smiles"], GUACAMOL_V2_NAMES)


def _expected(ref: dict, name: str) -> np.ndarray:
    values = np.array(ref["scores"][GUACAMOL_V2_TITLES[name]], dtype=np.float64)
    values[values == ref["invalid_value"]] = np.nan  # GuacaMol's -1 for invalid is our nan
    return values


# ---------------------------------------------------------------- agreement with the references


@pytest.mark.parametrize("name", GUACAMOL_V2_NAMES)
def test_guacamol_v2_agrees_with_reference(guacamol_ref: dict, guacamol_scores: dict, name: str) -> None:
    expected, got = _expected(guacamol_ref, name), guacamol_scores[name]
    assert got.dtype == np.float64 and got.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    ok = ~np.isnan(expected)
    assert np.abs(got[ok] - expected[ok]).max() <= TOL


def test_invalid_smiles_are_nan_and_empty_smiles_is_scored_like_guacamol(guacamol_ref: dict,
                                                                         guacamol_scores: dict) -> None:
    smiles = guacamol_ref["smiles"]
    for name in GUACAMOL_V2_NAMES:
        for i in (smiles.index("C1CC"), smiles.index("not_a_smiles")):
            assert math.isnan(guacamol_scores[name][i])
        assert not math.isnan(guacamol_scores[name][smiles.index("")])  # RDKit parses "" to an empty molecule


def test_each_oracle_call_and_score_mol_match_score_all(guacamol_ref: dict, guacamol_scores: dict) -> None:
    smiles = guacamol_ref["smiles"][:25] + guacamol_ref["smiles"][-3:]
    for name in GUACAMOL_V2_NAMES:
        oracle = get_molecule_oracle(name)
        expected = np.concatenate([guacamol_scores[name][:25], guacamol_scores[name][-3:]])
        np.testing.assert_allclose(oracle(smiles), expected, rtol=0, atol=1e-12)
        assert oracle.score_mol(Chem.MolFromSmiles(smiles[0])) == pytest.approx(expected[0], abs=1e-12)


def test_score_all_on_two_processes_equals_one(guacamol_ref: dict, guacamol_scores: dict) -> None:
    two = score_all(guacamol_ref["smiles"], GUACAMOL_V2_NAMES, n_jobs=2)
    assert list(two) == list(GUACAMOL_V2_NAMES)
    for name in GUACAMOL_V2_NAMES:
        np.testing.assert_array_equal(two[name], guacamol_scores[name])


@pytest.mark.parametrize(
    ("name", "key"),
    [("qed", "qed"), ("logp", "logp"), ("sa", "sa"), ("plogp", "plogp_normalized"),
     ("plogp_unnormalized", "plogp_unnormalized")],
)  # fmt: skip
def test_rdkit_properties_agree_with_reference(rdkit_ref: dict, name: str, key: str) -> None:
    molecules = rdkit_ref["molecules"]
    smiles = [m["smiles"] for m in molecules.values()]
    expected = np.array([m[key] for m in molecules.values()])
    got = get_molecule_oracle(name)(smiles)
    assert np.abs(got - expected).max() <= TOL


def test_ring_penalty_agrees_with_reference(rdkit_ref: dict) -> None:
    for label, mol in rdkit_ref["molecules"].items():
        assert ring_penalty(Chem.MolFromSmiles(mol["smiles"])) == mol["ring_penalty"], label


def test_property_oracles_on_invalid_and_empty_smiles() -> None:
    scores = score_all(["not_a_smiles", "C1CC", "", "CCO"], ["qed", "logp", "sa", "plogp", "plogp_unnormalized"])
    for name, values in scores.items():
        assert np.isnan(values[:2]).all(), name
        assert not np.isnan(values[3]), name
    # the SA score is undefined without atoms, so SA and penalized logP of "" are nan
    assert np.isnan([scores["sa"][2], scores["plogp"][2], scores["plogp_unnormalized"][2]]).all()


# ---------------------------------------------------------------- names, resolver, bounds


def test_names_are_the_contract_names() -> None:
    assert MOLECULE_ORACLES == CONTRACT_NAMES + ("isomers_c7h8n2o2",)  # the contract's, then PMO's isomer
    for name in MOLECULE_ORACLES:
        oracle = get_molecule_oracle(name)
        assert oracle.name == name


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(UnknownNameError) as err:
        get_molecule_oracle("celecoxib_rediscovry")
    message = str(err.value)
    assert "celecoxib_rediscovry" in message and "celecoxib_rediscovery" in message and "qed" in message
    with pytest.raises(UnknownNameError):
        score_all(["CCO"], ["qed", "nope"])


def test_resolver_returns_fresh_oracles_and_forgives_case() -> None:
    assert get_molecule_oracle("qed") is not get_molecule_oracle("qed")
    assert get_molecule_oracle("Deco-Hop").name == "deco_hop"


def test_bounds() -> None:
    for name in GUACAMOL_V2_NAMES:
        assert get_molecule_oracle(name).bounds == (0.0, 1.0)
    assert get_molecule_oracle("qed").bounds == (0.0, 1.0)
    assert get_molecule_oracle("sa").bounds == (1.0, 10.0)
    assert get_molecule_oracle("sa").maximize is False
    for name in ("logp", "plogp", "plogp_unnormalized"):
        assert get_molecule_oracle(name).bounds is None


def test_scores_lie_within_bounds(guacamol_ref: dict, guacamol_scores: dict) -> None:
    for name, values in guacamol_scores.items():
        ok = values[~np.isnan(values)]
        assert (ok >= 0.0).all() and (ok <= 1.0).all(), name
    sa = get_molecule_oracle("sa")(guacamol_ref["smiles"][:50])
    assert ((sa >= 1.0) & (sa <= 10.0)).all()


def test_a_single_string_is_refused() -> None:
    with pytest.raises(TypeError):
        get_molecule_oracle("qed")("CCO")


# ---------------------------------------------------------------- hand-checked facts

CELECOXIB = "CC1=CC=C(C=C1)C1=CC(=NN1C1=CC=C(C=C1)S(N)(=O)=O)C(F)(F)F"
HOP_TARGET = "CCCOc1cc2ncnc(Nc3ccc4ncsc4c3)c2cc1S(=O)(=O)C(C)(C)C"


def test_rediscovering_the_target_scores_one() -> None:
    assert get_molecule_oracle("celecoxib_rediscovery")([CELECOXIB])[0] == 1.0
    # a different SMILES of the same molecule is the same molecule
    other_smiles = "Cc1ccc(-c2cc(C(F)(F)F)nn2-c2ccc(S(N)(=O)=O)cc2)cc1"
    assert get_molecule_oracle("celecoxib_rediscovery")([other_smiles])[0] == 1.0
    troglitazone = "Cc1c(C)c2OC(C)(COc3ccc(CC4SC(=O)NC4=O)cc3)CCc2c(C)c1O"
    assert get_molecule_oracle("troglitazone_rediscovery")([troglitazone])[0] == 1.0
    assert get_molecule_oracle("albuterol_similarity")(["CC(C)(C)NCC(O)c1ccc(O)c(CO)c1"])[0] == 1.0


def test_isomer_of_the_formula_scores_one() -> None:
    assert get_molecule_oracle("isomers_c11h24")(["CCCCCCCCCCC", "CC(C)CCCCCCCC"]).tolist() == [1.0, 1.0]
    # decane: C 10 of 11 (sigma 1), H 22 of 24 (sigma 1), 32 of 35 atoms (sigma 2); geometric mean
    expected = (math.exp(-0.5 * 1**2) * math.exp(-0.5 * 2**2) * math.exp(-0.5 * 1.5**2)) ** (1 / 3)
    assert get_molecule_oracle("isomers_c11h24")(["CCCCCCCCCC"])[0] == pytest.approx(expected, rel=1e-12)


def test_pmo_isomer_c7h8n2o2() -> None:
    oracle = get_molecule_oracle("isomers_c7h8n2o2")
    assert "isomers_c7h8n2o2" in MOLECULE_ORACLES and "isomers_c7h8n2o2" not in GUACAMOL_V2_NAMES
    # 3,4-diaminobenzoic acid and 4-methyl-3-nitroaniline have the formula
    assert oracle(["Nc1ccc(C(=O)O)cc1N", "Cc1ccc(N)cc1[N+](=O)[O-]"]).tolist() == [1.0, 1.0]
    # 4-aminobenzoic acid, C7H7NO2: H 7 of 8 and N 1 of 2 (sigma 1), 17 of 19 atoms (sigma 2),
    # C and O exact; geometric mean of the five
    expected = (math.exp(-0.5) * math.exp(-0.5) * math.exp(-0.5 * 1.0**2)) ** (1 / 5)
    assert oracle(["Nc1ccc(C(=O)O)cc1"])[0] == pytest.approx(expected, rel=1e-12)
    assert math.isnan(oracle(["C1CC"])[0])


def test_isomers_of_any_formula() -> None:
    # diethyl (4-aminophenyl)phosphonate is C10H16NO3P; written with capitals, any formula is a task
    oracle = get_molecule_oracle("isomers_C10H16NO3P")
    assert oracle.name == "isomers_C10H16NO3P" and oracle.title == "C10H16NO3P"
    assert oracle(["CCOP(=O)(OCC)c1ccc(N)cc1"]).tolist() == [1.0]
    # benzocaine, C9H11NO2: C 9 of 10, H 11 of 16, O 2 of 3, P 0 of 1 (sigma 1), N exact, 23 of 31
    # atoms (sigma 2); the geometric mean of the six
    expected = math.exp(-0.5 * (1 + 25 + 1 + 1 + 0 + 16) / 6)
    assert oracle(["CCOC(=O)c1ccc(N)cc1"])[0] == pytest.approx(expected, rel=1e-12)
    # the PMO formula written with capitals is the PMO objective
    pmo = get_molecule_oracle("isomers_c9h10n2o2pf2cl")
    assert get_molecule_oracle("isomers_C9H10N2O2PF2Cl")(["CCO", "Nc1ccccc1"]).tolist() == pmo(["CCO", "Nc1ccccc1"]).tolist()
    for bad, why in [("isomers_c8h10no4p", "capitals"), ("isomers_C8Xx2", "'Xx' is not an element"),
                     ("isomers_C0H4", "count of C is 0"), ("isomers_CHC", "written twice"), ("isomers_", "capitals")]:
        with pytest.raises(UnknownNameError, match=why):
            get_molecule_oracle(bad)


def test_hops_of_their_starting_molecule() -> None:
    # deco hop: similarity 1, both forbidden decorations present (0, 0), scaffold kept (1)
    assert get_molecule_oracle("deco_hop")([HOP_TARGET])[0] == pytest.approx(0.5)
    # scaffold hop: similarity 1, decorations kept (1), the old scaffold still there (0)
    assert get_molecule_oracle("scaffold_hop")([HOP_TARGET])[0] == pytest.approx(2 / 3)


def test_modifiers() -> None:
    assert Clipped(0.75)(0.375) == 0.5 and Clipped(0.75)(0.9) == 1.0 and Clipped(0.75)(-1.0) == 0.0
    assert MinGaussian(1.0, 1.0)(0.5) == 1.0 and MinGaussian(1.0, 1.0)(2.0) == pytest.approx(math.exp(-0.5))
    assert MaxGaussian(100.0, 10.0)(120.0) == 1.0
    assert MaxGaussian(100.0, 10.0)(90.0) == pytest.approx(math.exp(-0.5))


def test_fast_pharmacophore_fingerprint_is_rdkits(guacamol_ref: dict) -> None:
    from rdkit.Chem.Pharm2D import Generate, Gobbi_Pharm2D

    fast = Pharm2DFingerprinter()
    smiles = guacamol_ref["smiles"][:40] + [HOP_TARGET, "CCO.NCC(=O)O", "C", "[Na+].[Cl-]", "c1ccc2ccccc2c1O"]
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        if mol is None:
            continue
        expected = Generate.Gen2DFingerprint(mol, Gobbi_Pharm2D.factory)
        assert list(fast(mol).GetOnBits()) == list(expected.GetOnBits()), s


def test_oracles_can_share_a_featurizer() -> None:
    featurizer = MolFeaturizer()
    a = GuacaMolObjective("median1", featurizer)
    b = get_molecule_oracle("perindopril_mpo", featurizer)
    assert a.featurizer is b.featurizer
    profile = featurizer.profile(Chem.MolFromSmiles("CC(C)C1CCC(C)CC1O"))
    assert a.score_profile(profile) > 0.0 and b.score_profile(profile) >= 0.0
