"""The GFlowNet's tfbind8 figure with the task's recommended settings, over three seeds (slow: ~5-15 minutes).

Thresholds come from the 8-seed tfbind8 table measured with the settings unchanged (commit
message of this test and the task spec): they sit below the worst of those seeds' values with
margin, so the test checks the figure is reproduced, not that one chosen seed is lucky.
"""

import numpy as np
import pytest

import seqmbo
from seqmbo.spaces import SequenceSpace
from seqmbo.tasks.spec import load_spec
from tests.conftest import require_dataset

SEEDS = (0, 1, 2)
MEAN_P100 = 0.99  # measured (8 seeds): see below
MIN_OPTIMUM_FOUND = 1  # of the 3 seeds
MEAN_P50 = 0.80


@pytest.mark.slow
def test_gflownet_reaches_the_tfbind8_figure_over_three_seeds_with_the_task_defaults():
    require_dataset("tfbind8")
    recommended = load_spec("tfbind8")["run"]
    space = SequenceSpace.fixed("ACGT", 8, reverse_complement=True)
    p100, p50 = [], []
    for seed in SEEDS:
        run = seqmbo.design("tfbind8", generator="gflownet", seed=seed, calibration=False)
        m = run.metrics
        assert run.config.min_distance == recommended.get("min_distance", 0)
        assert run.config.proxy_options == recommended.get("proxy_options", {})
        assert run.config.reward == recommended.get("reward", "mean")
        assert m["n_candidates"] == 128 and m["oracle_calls_design"] == 0 and m["diversity"] >= 3
        # no design sits beside its own reverse complement (strand-aware diverse selection)
        designs = set(run.candidates["sequence"])
        assert not any(space.reverse_complement_of(d) in designs - {d} for d in designs)
        p100.append(m["score_norm_p100"])
        p50.append(m["score_norm_p50"])
    assert np.mean(p100) >= MEAN_P100, p100
    assert sum(p >= 1.0 - 1e-9 for p in p100) >= MIN_OPTIMUM_FOUND, p100
    assert np.mean(p50) >= MEAN_P50, p50
