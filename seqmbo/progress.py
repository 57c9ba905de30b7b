"""Progress bars and stage timing at the edges of a run (tqdm), quiet unless a person is watching.

Bars are shown when standard error is a terminal, unless :func:`set_enabled` turned them off
(``--quiet``) or on. The setting lives in a context variable that the command line sets at its
entry; library code only reads it.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)
_ENABLED: contextvars.ContextVar[bool | None] = contextvars.ContextVar("seqmbo_progress", default=None)


def set_enabled(enabled: bool | None) -> None:
    """``True``/``False`` forces progress output on/off; ``None`` shows it on a terminal only."""
    _ENABLED.set(enabled)


def enabled() -> bool:
    """Whether progress is shown now."""
    forced = _ENABLED.get()
    if forced is not None:
        return forced
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def bar(iterable: Iterable[T], desc: str, total: int | None = None, **kwargs: Any) -> Iterator[T]:
    """``iterable`` with a tqdm bar on standard error when progress is shown (else as it is)."""
    if not enabled():
        return iter(iterable)
    from tqdm.auto import tqdm

    return iter(tqdm(iterable, desc=desc, total=total, leave=False, dynamic_ncols=True, **kwargs))


@contextlib.contextmanager
def stage(what: str, times: dict[str, float] | None = None, key: str | None = None, skip: bool = False):
    """Time one step of a run into ``times[key]`` and, when progress is shown, say it started and ended."""
    t0 = time.perf_counter()
    if enabled() and not skip:
        sys.stderr.write(f"seqmbo: {what} ...\n")
    try:
        yield
    finally:
        dt = time.perf_counter() - t0
        if times is not None and key is not None:
            times[key] = dt
        if enabled() and not skip:
            sys.stderr.write(f"seqmbo: {what}: done in {dt:.1f} s\n")
