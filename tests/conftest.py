"""Shared test helpers: where the mirrored data is, and skipping when a dataset is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def data_dir() -> Path | None:
    d = os.environ.get("SEQMBO_DATA_DIR")
    return Path(d) if d and Path(d).is_dir() else None


def require_dataset(dataset_id: str) -> None:
    """Skip the calling test unless the dataset is available locally with the right checksum."""
    from seqmbo.data.fetch import is_present

    if not is_present(dataset_id):
        pytest.skip(f"dataset {dataset_id!r} not available (set SEQMBO_DATA_DIR to a mirror)")


def reference_file(name: str) -> Path:
    d = data_dir()
    if d is None or not (d / "reference" / name).is_file():
        pytest.skip(f"reference file {name} not found (set SEQMBO_DATA_DIR to a folder with reference/{name})")
    return d / "reference" / name


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Downloads and cache lookups go to a per-session temporary folder, never the user's cache."""
    monkeypatch.setenv("SEQMBO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.setenv("SEQMBO_THREADS", "1")


def pytest_configure(config):
    """One torch thread, as runs use (``$SEQMBO_THREADS`` above): the tests' small models gain
    nothing from more, and on busy shared cores extra threads slow them down many times over."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        return
    torch.set_num_threads(1)
