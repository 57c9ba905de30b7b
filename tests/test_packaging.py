"""The wheel ships every package and the built-in task specs."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_lists_every_package():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "seqmbo").rglob("__init__.py")}
    assert listed == found | {"seqmbo._tasks"}


def test_task_specs_are_package_data():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert data["package-dir"]["seqmbo._tasks"] == "tasks"
    assert "*.toml" in data["package-data"]["seqmbo._tasks"]
    assert len(list((ROOT / "tasks").glob("*.toml"))) >= 10
