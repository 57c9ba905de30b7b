"""End-to-end design runs: outputs, reproducibility, and the sealed oracle."""

import json
import tomllib

import numpy as np
import pandas as pd
import pytest

import seqmbo
from seqmbo.errors import InvalidInputError, OracleSealedError
from seqmbo.run import RunConfig, execute

FAST = dict(proxy_options={"members": 2, "min_steps": 100}, generator_options={"generations": 5})
CONTRACT_KEYS = (
    "task generator proxy seed n_candidates oracle_calls_design score_p100 score_p50 score_mean "
    "score_norm_p100 score_norm_p50 score_norm_mean dataset_best_norm diversity novelty novelty_distance validity uniqueness "
    "proxy_spearman proxy_overestimate time_fit_s time_generate_s time_total_s peak_rss_mb"
).split()


def fast_config(**kw) -> RunConfig:
    cfg = RunConfig(task="ehrlich-20-16-2-4", n=32, **kw)
    for k, v in FAST.items():
        getattr(cfg, k).update(v)
    if cfg.generator in ("random", "dataset-top"):
        cfg.generator_options.clear()
    return cfg


def test_design_writes_the_run_directory(tmp_path):
    res = execute(fast_config(), tmp_path / "run")
    out = tmp_path / "run"
    assert sorted(p.name for p in out.iterdir()) == ["candidates.csv", "config.toml", "metrics.json", "report.png"]
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(CONTRACT_KEYS) <= set(metrics)
    assert metrics["oracle_calls_design"] == 0
    assert metrics["n_candidates"] == 32
    table = pd.read_csv(out / "candidates.csv")
    assert list(table.columns) == ["sequence", "proxy_mean", "proxy_std", "oracle", "nearest_offline", "nearest_distance"]
    assert table["proxy_mean"].is_monotonic_decreasing  # best first
    assert (out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # candidates are novel, in the space and on the data's support
    task = seqmbo.load_task("ehrlich-20-16-2-4")
    assert not set(table["sequence"]) & set(task.dataset.designs)
    assert metrics["validity"] == pytest.approx(np.isfinite(table["oracle"]).mean())
    assert res.metrics["score_norm_p100"] == pytest.approx(table["oracle"].max())
    # one meaning per key: novelty is the fraction not on file, novelty_distance the mean nearest distance
    assert metrics["novelty"] == 1.0 and metrics["novelty_distance"] == pytest.approx(table["nearest_distance"].mean())
    assert metrics["novelty_distance"] >= 1 and metrics["gate_removed_valid"] >= 0
    assert set(table["nearest_offline"]) <= set(task.dataset.designs)


def test_same_seed_same_candidates_and_config_repeats_the_run(tmp_path):
    a = execute(fast_config(seed=3), tmp_path / "a")
    b = execute(fast_config(seed=3))
    assert a.candidates["sequence"].tolist() == b.candidates["sequence"].tolist()
    c = execute(fast_config(seed=4))
    assert a.candidates["sequence"].tolist() != c.candidates["sequence"].tolist()
    again = execute(RunConfig.from_toml(tmp_path / "a" / "config.toml"))
    assert again.candidates["sequence"].tolist() == a.candidates["sequence"].tolist()
    saved = tomllib.loads((tmp_path / "a" / "config.toml").read_text())
    assert saved["resolved"]["generator"]["generations"] == 5


class OraclePeeker:
    """A generator that tries to reach the oracle it should never see."""

    uses_reward, baseline = True, False

    def __init__(self, oracle):
        self.oracle = oracle

    def propose(self, reward, n, dataset, rng):
        self.oracle(dataset.designs[:3])
        return dataset.designs[:n]


def test_a_generator_cannot_reach_the_oracle(monkeypatch):
    from seqmbo.tasks import spec

    built = {}
    real = spec.load_task

    def capture(task):
        built["task"] = real(task)
        return built["task"]

    monkeypatch.setattr("seqmbo.tasks.load_task", capture)
    task = real("ehrlich-20-16-2-4")
    peeker = OraclePeeker(None)

    class Late:
        uses_reward, baseline = True, False

        def propose(self, reward, n, dataset, rng):
            peeker.oracle = built["task"].oracle
            return peeker.propose(reward, n, dataset, rng)

    cfg = fast_config()
    cfg.generator = Late()
    with pytest.raises(OracleSealedError, match="design phase"):
        execute(cfg)
    assert built["task"].oracle.design_calls == 3 and built["task"].oracle.calls == 0
    assert task.oracle.calls == 0


def test_a_generator_object_must_declare_its_capabilities():
    class Bare:
        def propose(self, reward, n, dataset, rng):
            return dataset.designs[:n]

    cfg = fast_config()
    cfg.generator = Bare()
    with pytest.raises(InvalidInputError, match="uses_reward and baseline"):
        execute(cfg)


def test_baselines_skip_novelty_and_dataset_top_reproduces_dataset_best():
    res = execute(fast_config(generator="dataset-top"))
    assert res.metrics["score_norm_p100"] == pytest.approx(res.metrics["dataset_best_norm"])
    assert "proxy_heldout_spearman" not in res.metrics  # a baseline fits one proxy, no calibration
    assert "gate_removed_novel" not in res.metrics and res.metrics["novelty"] == 0.0
    res = execute(fast_config(generator="random"))
    assert res.metrics["n_candidates"] == 32 and res.metrics["oracle_calls_design"] == 0


def test_python_api_and_settings():
    run = seqmbo.design("ehrlich-20-16-2-4", generator="random", n=8, seed=1, proxy_options={"members": 2, "min_steps": 20})
    assert len(run.candidates) == 8 and run.metrics["seed"] == 1
    with pytest.raises(InvalidInputError, match="unknown setting"):
        seqmbo.design("ehrlich-20-16-2-4", bogus=1)
    with pytest.raises(InvalidInputError, match="n must be >= 1"):
        seqmbo.design("ehrlich-20-16-2-4", n=0)


def test_failed_run_leaves_the_output_folder_untouched(tmp_path):
    out = tmp_path / "run"
    execute(fast_config(generator="dataset-top"), out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(InvalidInputError):
        execute(fast_config(generator="dataset-top", reward="nonsense"), out, force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_task_spec_recommends_run_settings_and_the_run_overrides_them(tmp_path):
    from seqmbo.tasks.spec import builtin_dir

    base = (builtin_dir() / "ehrlich-20-16-2-4.toml").read_text()
    spec = tmp_path / "e.toml"
    spec.write_text(base + "\n[run]\nmin_distance = 3\nproxy_options = { top_weight = 0.5 }\n")
    cfg = RunConfig(task=str(spec)).apply_task_defaults()
    assert cfg.min_distance == 3 and cfg.proxy_options == {"top_weight": 0.5}
    run = seqmbo.design(str(spec), generator="random", n=8, min_distance=1, calibration=False,
                        proxy_options={"members": 2, "min_steps": 20})
    assert run.config.min_distance == 1
    assert run.config.proxy_options == {"top_weight": 0.5, "members": 2, "min_steps": 20}
    assert RunConfig(task=str(spec), proxy="mlp").apply_task_defaults().proxy_options == {}  # they are for "ensemble"
    spec.write_text(base + '\n[run]\ngenerator = "gflownet"\ngenerator_options = { beta = 30 }\n')
    assert RunConfig(task=str(spec), generator="gflownet").apply_task_defaults().generator_options == {"beta": 30}
    assert RunConfig(task=str(spec)).apply_task_defaults().generator_options == {}  # evolution: not its options
    assert RunConfig(task=str(spec)).apply_task_defaults().generator == "evolution"  # [run] names, never chooses
    spec.write_text(base + "\n[run]\nseed = 3\n")
    with pytest.raises(InvalidInputError, match=r"unknown run setting\(s\) \['seed'\] in \[run\]"):
        RunConfig(task=str(spec)).apply_task_defaults()


def test_single_network_proxies_refuse_members():
    from seqmbo.proxies import make_proxy
    from seqmbo.spaces import dna

    for name in ("mlp", "mc-dropout"):
        with pytest.raises(InvalidInputError, match=f"proxy '{name}' is a single network"):
            make_proxy(name, dna(4), members=3)


def test_an_earlier_run_is_never_overwritten_without_force(tmp_path):
    out = tmp_path / "run"
    first = execute(fast_config(generator="dataset-top", calibration=False), out)
    before = (out / "metrics.json").read_bytes()
    with pytest.raises(InvalidInputError, match="holds an earlier run .* --force to replace it"):
        execute(fast_config(generator="random", calibration=False), out)
    assert (out / "metrics.json").read_bytes() == before
    again = execute(fast_config(generator="random", calibration=False), out, force=True)
    assert json.loads((out / "metrics.json").read_text())["generator"] == "random" != first.metrics["generator"]
    assert again.out == out


def test_weak_model_warnings_say_why_in_words(caplog):
    from types import SimpleNamespace

    from seqmbo.run import warn_if_weak

    task = SimpleNamespace(dataset=list(range(200)))
    with caplog.at_level("WARNING", logger="seqmbo.run"):
        warn_if_weak(task, {"proxy_heldout_spearman": 0.8, "proxy_heldout_coverage90": 0.9})
    assert not caplog.records  # a good fit with honest intervals: nothing to say
    with caplog.at_level("WARNING", logger="seqmbo.run"):
        warn_if_weak(task, {"proxy_heldout_spearman": 0.1, "proxy_heldout_coverage90": 0.2})
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "Spearman 0.10" in text and "only 20% of held-out scores" in text
    caplog.clear()
    with caplog.at_level("WARNING", logger="seqmbo.run"):
        warn_if_weak(SimpleNamespace(dataset=list(range(30))), {})
    assert "only 30 scored designs" in caplog.records[0].getMessage()
