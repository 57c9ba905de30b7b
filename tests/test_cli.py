"""The command line: outputs and one clear message + non-zero exit for every bad input."""

import json

import pytest

from seqmbo.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_tasks_lists_builtin_tasks(capsys):
    code, out, _ = run(capsys, "tasks", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and {"tfbind8", "gb1", "ehrlich-20-16-2-4"} <= set(rows)
    assert rows["tfbind8"]["oracle"] == "exact" and rows["ehrlich-20-16-2-4"]["data"] == "built-in"
    code, out, _ = run(capsys, "tasks")
    assert code == 0 and "tfbind8" in out and "oracle" in out.splitlines()[0]


def test_design_end_to_end(capsys, tmp_path):
    code, out, err = run(capsys, "design", "--n", "16", "--out", str(tmp_path / "r"), "--set", "proxy.members=2",
                         "--set", "proxy.min_steps=50", "--set", "generator.generations=3")
    assert code == 0, err
    assert "oracle calls during design 0" in out
    assert json.loads((tmp_path / "r" / "metrics.json").read_text())["n_candidates"] == 16


@pytest.mark.parametrize(
    "argv,match",
    [
        (["design", "nope"], "unknown task 'nope'"),
        (["design", "--generator", "nope"], "unknown generator 'nope'"),
        (["design", "--proxy", "nope"], "unknown proxy 'nope'"),
        (["design", "--set", "bogus"], "expected KEY=VALUE"),
        (["design", "--set", "bogus=1"], "unknown setting"),
        (["design", "--config", "/nonexistent/config.toml"], "no such config file"),
        (["design", "/nonexistent/task.toml"], "task spec file not found"),
        (["data", "pull", "nope"], "unknown dataset 'nope'"),
        (["data", "verify", "nope"], "unknown dataset 'nope'"),
    ],
)
def test_bad_input_gives_one_clear_line(capsys, argv, match):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert match in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bad_landscape_table_via_cli(capsys, tmp_path):
    (tmp_path / "t.csv").write_text("sequence,score\nAC,1\nAX,2\n")
    (tmp_path / "s.toml").write_text('name = "s"\nkind = "landscape"\ntable = "t.csv"\nalphabet = "AC"\n')
    code, _, err = run(capsys, "design", str(tmp_path / "s.toml"))
    assert code == 2 and "t.csv, line 3: design 'AX' has letter 'X' at position 2" in err


def test_missing_dataset_message(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SEQMBO_DATA_DIR", str(tmp_path))
    import seqmbo.data.fetch as fetch

    monkeypatch.setattr(fetch, "search_dirs", lambda: [("$SEQMBO_DATA_DIR", tmp_path)])
    code, _, err = run(capsys, "design", "gb1")
    assert code == 2 and "full_landscape.csv" in err and "sha256" in err and "https://" in err


def test_data_list(capsys):
    code, out, _ = run(capsys, "data", "list")
    assert code == 0 and "zinc250k" in out and "licence" in out


def test_a_rejected_run_creates_no_output_folder(capsys, tmp_path):
    (tmp_path / "t.csv").write_text("sequence,score\nAC,1\nAX,2\n")
    (tmp_path / "s.toml").write_text('name = "s"\nkind = "landscape"\ntable = "t.csv"\nalphabet = "AC"\n')
    out = tmp_path / "deep" / "run"
    code, _, err = run(capsys, "design", str(tmp_path / "s.toml"), "--out", str(out))
    assert code == 2 and "letter 'X'" in err
    assert not (tmp_path / "deep").exists()


def test_an_output_path_under_a_file_is_refused_before_any_work(capsys, tmp_path):
    (tmp_path / "f").write_text("x")
    code, _, err = run(capsys, "design", "--out", str(tmp_path / "f" / "run"))
    assert code == 2 and "is not a folder" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "design", "--out", str(tmp_path / "f"))
    assert code == 2 and "exists and is not a folder" in err
