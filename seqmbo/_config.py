"""Small helpers for config dataclasses: overrides with a clear error for unknown keys."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from seqmbo.errors import InvalidInputError

C = TypeVar("C")


def with_overrides(config: C, overrides: dict[str, Any], owner: str) -> C:
    """A copy of dataclass ``config`` with ``overrides`` applied; unknown keys raise naming ``owner``."""
    fields = {f.name for f in dataclasses.fields(config)}  # type: ignore[arg-type]
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise InvalidInputError(f"{owner} has no setting(s) {unknown}; settings: {sorted(fields)}")
    return dataclasses.replace(config, **overrides)  # type: ignore[type-var]
