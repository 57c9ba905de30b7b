"""seqmbo bench: a grid of runs on local processes (and Ray when installed), restartable, fault-tolerant."""

import json
import os
import signal
import subprocess
import threading
import time

import pandas as pd
import pytest

from seqmbo.bench import Cell, GridOptions, make_grid, run_grid, run_order, summary_markdown
from seqmbo.errors import InvalidInputError

TINY = {"calibration": False, "n": 8, "proxy_options": {"members": 1, "min_steps": 20, "epochs": 2},
        "generator_options": {"generations": 2, "population": 16, "offspring": 32, "seed_top": 16}}


def test_grid_adds_the_random_baseline_and_names_cells():
    cells = make_grid(["ehrlich-20-16-2-4"], ["evolution"], ["ensemble"], 2, TINY)
    assert [c.generator for c in cells] == ["random", "random", "evolution", "evolution"]
    assert cells[3].name == "ehrlich-20-16-2-4__evolution__ensemble__seed1"
    with pytest.raises(InvalidInputError, match="at least one task"):
        make_grid([], ["evolution"], ["ensemble"], 1)


def test_cells_run_seed_by_seed_in_grid_order_within_a_seed():
    cells = make_grid(["t1", "t2"], ["evolution"], ["ensemble"], 3)
    order = [(c.seed, c.task, c.generator) for c in run_order(cells)]
    assert order[:4] == [(0, "t1", "random"), (0, "t1", "evolution"), (0, "t2", "random"), (0, "t2", "evolution")]
    assert [s for s, _, _ in order] == [0] * 4 + [1] * 4 + [2] * 4


def test_local_grid_restarts_without_rerunning_and_reports_a_failed_cell(tmp_path):
    cells = make_grid(["ehrlich-20-16-2-4"], ["evolution"], ["ensemble"], 1, TINY)
    cells.append(Cell("no-such-task", "random", "ensemble", 0, {}))
    table = run_grid(cells, tmp_path, GridOptions(workers=2))
    assert list(table["status"]) == ["done", "done", "failed"]
    assert "unknown task 'no-such-task'" in table["error"].iloc[2]
    assert len(list((tmp_path / "runs").glob("no-such-task*.log"))) == 1
    stamp = {c.name: (tmp_path / "runs" / c.name / "metrics.json").stat().st_mtime_ns for c in cells[:2]}
    again = run_grid(cells[:2], tmp_path, GridOptions(workers=2))
    assert list(again["status"]) == ["done (earlier)"] * 2
    assert stamp == {c.name: (tmp_path / "runs" / c.name / "metrics.json").stat().st_mtime_ns for c in cells[:2]}
    results = pd.read_csv(tmp_path / "results.csv")
    assert set(results["generator"]) == {"random", "evolution"} and results["score_norm_p100"].notna().all()
    summary = (tmp_path / "summary.md").read_text()
    assert "| ehrlich-20-16-2-4 | random | ensemble | 1 | 0 |" in summary


def test_a_killed_worker_loses_only_its_cell(tmp_path):
    cells = make_grid(["ehrlich-20-16-2-4"], ["evolution"], ["ensemble"], 2, TINY)
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("table", run_grid(cells, tmp_path, GridOptions(workers=1))))
    thread.start()
    victim = None
    for _ in range(600):
        found = subprocess.run(["pgrep", "-f", f"seqmbo.bench .*{tmp_path.name}.*seed1"], capture_output=True, text=True)
        if found.stdout.strip():
            victim = int(found.stdout.split()[0])
            break
        time.sleep(0.1)
    assert victim is not None
    os.kill(victim, signal.SIGKILL)
    thread.join(timeout=600)
    table = box["table"]
    assert list(table["status"]) == ["done"] * 4  # the killed cell was run again
    assert all(json.loads((tmp_path / "runs" / c.name / "metrics.json").read_text())["seed"] == c.seed for c in cells)


def test_summary_puts_published_numbers_beside_tfbind8(monkeypatch, tmp_path):
    ref = tmp_path / "reference"
    ref.mkdir()
    (ref / "designbench_published.csv").write_text("Method,TFBind8,GFP\nCOMs,0.945,0.864\n")
    monkeypatch.setenv("SEQMBO_DATA_DIR", str(tmp_path))
    table = pd.DataFrame([{"task_arg": "tfbind8", "generator": "random", "proxy": "ensemble", "status": "done",
                           "score_norm_p100": 0.9, "score_norm_p50": 0.4}])
    text = summary_markdown(table)
    assert "| tfbind8 | random | ensemble | 1 | 0 | 0.900 ± 0.000 | 0.400 ± 0.000 |" in text
    assert "| COMs | 0.945 |" in text


@pytest.mark.slow
def test_ray_grid_survives_a_killed_worker(tmp_path):
    """A 2-worker local Ray: one worker is killed mid-run; Ray runs its cell again and results.csv loses nothing."""
    pytest.importorskip("ray")
    import ray

    cells = make_grid(["ehrlich-20-16-2-4"], ["evolution"], ["ensemble"], 2, TINY)
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault(
        "table", run_grid(cells, tmp_path, GridOptions(executor="ray", workers=2))))
    thread.start()
    victim = None
    for _ in range(1200):
        found = subprocess.run(["pgrep", "-f", "ray::_ray_cell"], capture_output=True, text=True)
        if found.stdout.strip():
            victim = int(found.stdout.split()[0])
            break
        time.sleep(0.1)
    assert victim is not None
    time.sleep(1.0)  # mid-run
    os.kill(victim, signal.SIGKILL)
    thread.join(timeout=900)
    ray.shutdown()
    table = box["table"]
    assert list(table["status"]) == ["done"] * 4
    assert len(pd.read_csv(tmp_path / "results.csv")) == 4
    assert sorted(table["attempts"]) == [1, 1, 1, 2]  # the killed cell started twice, the others once
