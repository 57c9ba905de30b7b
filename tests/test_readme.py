"""The README's set-up commands are the ones CI runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    readme = ROOT.joinpath("README.md").read_text()
    ci = [line for line in ROOT.joinpath(".ci/run").read_text().splitlines() if "pytest" in line and not line.startswith("#")]
    assert len(ci) == 1 and ci[0] in readme
    assert "pip install -q torch==2.13.0" in ci[0]


def test_readme_main_job_command_needs_no_data():
    readme = ROOT.joinpath("README.md").read_text()
    assert "pip install -q torch==2.13.0 && pip install -q -e . && seqmbo design\n" in readme
