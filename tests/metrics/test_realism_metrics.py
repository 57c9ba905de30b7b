"""Realism metrics of a molecule run's candidates (seqmbo.metrics.mol_run.realism_metrics)."""

import numpy as np
import pandas as pd
import pytest

from seqmbo.gates.realism import ChemistryProfile, ChemistrySettings, chemistry_gates
from seqmbo.oracles.molbase import sa_score
from seqmbo.metrics.mol_run import realism_metrics
from seqmbo.spaces import MoleculeSpace

OFFLINE = ["CC(=O)Nc1ccc(O)cc1", "COc1ccc(CCN)cc1", "CCOC(=O)c1ccccc1", "OCC1CCCCC1", "CSc1ccccc1"]


def table_of(smiles, oracle):
    return pd.DataFrame({"smiles": smiles, "oracle": oracle, "nearest_distance": np.linspace(0.1, 0.5, len(smiles))})


def test_realism_metrics_count_what_the_data_lacks():
    space = MoleculeSpace.from_smiles(OFFLINE)
    # 0: fine; 1: phosphorus (new element, new environment); 2: N-N (new environment); 3: a charge (fails filters)
    smiles = ["COc1ccccc1", "CCP(C)c1ccccc1", "CCNNc1ccccc1", "C[N+](C)(C)Cc1ccccc1"]
    table = table_of(smiles, [0.2, 0.9, 0.5, 0.8])
    m = realism_metrics(space, table, OFFLINE)
    assert m["novel_elements"] == 1
    assert m["rare_env_frac"] == pytest.approx(3 / 4)
    assert table["passes_filters"].tolist() == [True, False, True, False]
    assert m["filters_pass"] == pytest.approx(0.5)
    assert m["oracle_top1_filtered"] == pytest.approx(0.5)
    assert m["oracle_top10_filtered"] == pytest.approx(0.35)
    assert m["sa_mean"] == pytest.approx(np.mean([sa_score(space.mol(s)) for s in smiles]))
    assert table["nearest_similarity"].tolist() == pytest.approx((1 - table["nearest_distance"]).tolist())
    assert not any(k.startswith("reward_rejected_") for k in m)


def test_realism_metrics_reuse_the_run_gates_and_report_their_rejections():
    space = MoleculeSpace.from_smiles(OFFLINE)
    gates = chemistry_gates(ChemistrySettings(), space, OFFLINE)
    gates(["CCP(C)c1ccccc1", "COc1ccccc1"])
    table = pd.DataFrame({"smiles": ["COc1ccccc1"], "nearest_distance": [0.3]})
    m = realism_metrics(space, table, OFFLINE, gates)
    assert m["reward_rejected_elements"] == 1 and m["reward_rejected_filters"] == 0
    assert "oracle_top1_filtered" not in m  # no oracle column: a propose run
    assert isinstance(gates.profile, ChemistryProfile)
