"""The GFlowNet's tfbind8 figure with the task's recommended settings, over three seeds (slow: ~5-12 minutes).

Thresholds, set from the 8-seed tfbind8 table measured with the settings unchanged (seeds 0-7,
1 torch thread): p100 0.983, 0.983, 0.983 (seeds 0-2; 0.983-1.000 over all 8, optimum in 1 of
8), p50 0.866, 0.863, 0.857 (0.857-0.896). Each threshold sits below the worst measured value
with margin (0.008 on p100, 0.017 on p50), so the test checks that the figure is reproduced over
seeds, not that one chosen seed is lucky. No seed of 0-2 holds the optimum, so the test asks
instead that every seed's best clears random's 8-seed mean p100 (0.939) by a wide margin.
"""

import numpy as np
import pytest

import seqmbo
from seqmbo.spaces import SequenceSpace
from seqmbo.tasks.spec import load_spec
from tests.conftest import require_dataset

SEEDS = (0, 1, 2)
MEAN_P100 = 0.975  # measured 0.983
MIN_P100 = 0.97  # every seed; random's mean is 0.939
MEAN_P50 = 0.84  # measured 0.862


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
    assert min(p100) >= MIN_P100, p100
    assert np.mean(p50) >= MEAN_P50, p50
