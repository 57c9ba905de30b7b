"""seqmbo bench at scale: GPU bookkeeping per cell, the readme preset, and the README table check."""

import json

import pandas as pd
import pytest

from script_loader import load_script

from seqmbo.bench import GpuPool, GridOptions, make_grid, preset_grid, readme_table, run_grid
from seqmbo.errors import InvalidInputError

TINY = {"calibration": False, "n": 8, "proxy_options": {"members": 1, "min_steps": 20, "epochs": 2},
        "generator_options": {"generations": 2, "population": 16, "offspring": 32, "seed_top": 16}}


def _script(name: str):
    return load_script(name)


def test_gpu_pool_hands_out_gpus_round_robin_and_shares_fractions():
    pool = GpuPool(["0", "1"], 1.0)
    assert [pool.take(), pool.take(), pool.take()] == [["0"], ["1"], None]  # both busy: the next cell waits
    pool.give(["0"])
    assert pool.take() == ["0"]
    half = GpuPool(["0", "1"], 0.5)  # two cells a GPU
    assert [half.take() for _ in range(5)] == [["0"], ["1"], ["0"], ["1"], None]
    two = GpuPool(["0", "1", "2"], 2)
    assert two.take() == ["0", "1"] and two.take() is None
    two.give(["0", "1"])
    assert two.take() == ["2", "0"]
    assert GpuPool([], 0).take() == []
    with pytest.raises(InvalidInputError, match="needs a GPU"):
        GpuPool([], 1)
    with pytest.raises(InvalidInputError, match="needs 3 GPUs"):
        GpuPool(["0", "1"], 3)


@pytest.mark.slow
def test_local_cells_get_their_gpu_and_the_grid_writes_the_readme_table(tmp_path):
    """Two cells, one (made-up) GPU each: each subprocess is started with its own id (on a machine
    without a GPU the runs themselves fall back to the CPU); readme_table.md carries the wall time."""
    cells = make_grid(["ehrlich-20-16-2-4"], ["random"], ["ensemble"], 2, TINY)
    table = run_grid(cells, tmp_path, GridOptions(workers=2, gpus_per_run=1, gpus=["3", "5"], device="cpu"))
    assert list(table["status"]) == ["done", "done"]
    assert sorted(table["gpus"].astype(str)) == ["3", "5"]
    text = (tmp_path / "readme_table.md").read_text()
    assert "| ehrlich-20-16-2-4 | closed-form | random | ensemble | 2 |" in text
    assert "Grid: 2 cells (2 run now, 0 finished earlier) in" in text and "CPUs" in text
    assert json.loads((tmp_path / "runs" / cells[0].name / "metrics.json").read_text())["oracle_kind"] == "closed-form"


def test_readme_preset_covers_the_issue_grid():
    cells = preset_grid("readme")
    tasks = {c.task for c in cells}
    assert {"tfbind8", "gb1", "utr", "gfp", "ehrlich-20-16-2-4", "ehrlich-32-32-4-4"} <= tasks
    assert sum(t.startswith("zinc-") for t in tasks) == 7
    tf = [c for c in cells if c.task == "tfbind8"]
    assert {(c.generator, c.proxy) for c in tf} >= {("random", "ensemble"), ("gradient", "com"), ("gflownet", "ensemble")}
    assert max(c.seed for c in tf) == 7 and max(c.seed for c in cells if c.task == "zinc-zaleplon") == 2
    assert len({c.name for c in cells}) == len(cells)
    assert len(preset_grid("readme", seeds=1)) == 6 * 7 + 7 * 5
    with pytest.raises(InvalidInputError, match="unknown preset"):
        preset_grid("nope")


def test_readme_table_check_agrees_then_catches_a_drifted_number(tmp_path):
    rows = [{"task_arg": "utr", "generator": g, "proxy": "ensemble", "seed": s, "status": "done",
             "oracle_kind": "learned", "score_norm_p100": 0.5 + 0.1 * s + (g == "evolution"), "score_norm_p50": 0.2,
             "diversity": 3.0, "novelty_distance": 1.0, "validity": 1.0} for g in ("random", "evolution") for s in (0, 1)]
    results = tmp_path / "results.csv"
    pd.DataFrame(rows).to_csv(results, index=False)
    text = readme_table(pd.read_csv(results))
    assert "| utr | learned oracle | evolution | ensemble | 2 | 1.550 ± 0.050 |" in text
    check = _script("check_readme_table")
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{check.BEGIN}\nold\n{check.END}\nrest\n")
    assert check.main([str(results), str(readme)]) == 1
    assert check.main([str(results), str(readme), "--write"]) == 0
    assert check.main([str(results), str(readme)]) == 0 and readme.read_text().endswith(f"{check.END}\nrest\n")
    readme.write_text(readme.read_text().replace("1.550 ± 0.050", "1.560 ± 0.050"))
    assert check.main([str(results), str(readme)]) == 1
    assert check.compare(readme.read_text(), results)[-1].startswith("+| utr | learned oracle | evolution")


def test_summary_labels_learned_oracles_and_reads_the_mirror_published_file(monkeypatch, tmp_path):
    from seqmbo.bench import summary_markdown

    ref = tmp_path / "reference"
    ref.mkdir()
    (ref / "designbench_published.csv").write_text("method,TFBind8,UTR\nCOMs,0.945,0.699\n")
    monkeypatch.setenv("SEQMBO_DATA_DIR", str(tmp_path))
    table = pd.DataFrame([{"task_arg": "utr", "generator": "random", "proxy": "ensemble", "status": "done",
                           "oracle_kind": "learned", "score_norm_p100": 0.6, "score_norm_p50": 0.3}])
    text = summary_markdown(table)
    assert "| utr (learned oracle) | random | ensemble | 1 | 0 | 0.600 ± 0.000 |" in text
    assert "| COMs | 0.699 |" in text
