"""Task specs: TOML files in ``tasks/`` resolved by name, or any path.

A spec is a flat table with ``name`` and ``kind``; the kind's builder reads the rest. Relative
paths in a spec are relative to the spec file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seqmbo.errors import InvalidInputError, UnknownNameError
from seqmbo.tasks import learned_tasks, multi_tasks, sequence_tasks



def builtin_dir() -> Path:
    """The folder of the built-in task specs (the repository's ``tasks/``, installed as package data)."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "tasks").is_dir():  # a source checkout
        return root / "tasks"
    import importlib.util

    spec = importlib.util.find_spec("seqmbo._tasks")  # package data without __init__.py: a namespace package
    if spec is None or not spec.submodule_search_locations:
        raise InvalidInputError("the built-in task specs are missing from this installation (seqmbo._tasks)")
    return Path(list(spec.submodule_search_locations)[0])


def builtin_names() -> list[str]:
    return sorted(p.stem for p in builtin_dir().glob("*.toml"))


def load_spec(task: str | Path | dict) -> dict[str, Any]:
    """Resolve a task name, spec path or dict to a spec dict with ``_base`` (the spec's folder)."""
    if isinstance(task, dict):
        spec = dict(task)
        spec.setdefault("_base", str(Path.cwd()))
        return _check_common(spec, "the given spec")
    text = str(task)
    path = Path(text).expanduser()
    if text.endswith(".toml") or path.is_file():
        if not path.is_file():
            raise InvalidInputError(f"{text}: task spec file not found")
    else:
        path = builtin_dir() / f"{text}.toml"
        if not path.is_file():
            raise UnknownNameError(
                f"unknown task {text!r}; built-in tasks: {', '.join(builtin_names())} (or give a path to a .toml spec)"
            )
    try:
        spec = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise InvalidInputError(f"{path}: not valid TOML ({e})") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"{path}: cannot be read ({e})") from None
    spec["_base"] = str(path.resolve().parent)
    spec["_path"] = str(path)
    return _check_common(spec, str(path))


def _check_common(spec: dict, where: str) -> dict:
    for key in ("name", "kind"):
        if key not in spec:
            raise InvalidInputError(f"{where}: the task spec has no {key!r}")
    return spec


def builders() -> dict[str, Callable[[dict], Any]]:
    """Task kind -> builder; the molecule builder is imported on demand (it needs RDKit)."""
    out: dict[str, Callable[[dict], Any]] = {
        "landscape": sequence_tasks.build_landscape,
        "ehrlich": sequence_tasks.build_ehrlich,
        "learned": learned_tasks.build_learned,
        "regex": multi_tasks.build_regex,
    }
    try:
        from seqmbo.tasks import molecule_tasks
    except ImportError:  # molecule support not built in this checkout
        return out
    out["molecules"] = molecule_tasks.build_molecules
    out["molecules-mo"] = multi_tasks.build_molecules_mo
    return out


def load_task(task: str | Path | dict):
    """Build a :class:`~seqmbo.tasks.base.Task` from a name, a spec path or a spec dict."""
    spec = load_spec(task)
    table = builders()
    if spec["kind"] not in table:
        raise InvalidInputError(
            f"{spec.get('_path', spec['name'])}: unknown task kind {spec['kind']!r}; kinds: {', '.join(sorted(table))}"
        )
    return table[spec["kind"]](spec)
