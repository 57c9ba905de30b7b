"""Optional dependencies: import one, or say in one clear message which extra installs it."""

from __future__ import annotations

import importlib
from types import ModuleType

from seqmbo.errors import InvalidInputError

EXTRAS = {"botorch": "bo", "gpytorch": "bo", "cma": "bo"}


def require(module: str, who: str) -> ModuleType:
    """Import optional ``module`` or raise :class:`InvalidInputError` naming ``who`` needs it and the extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS.get(module)
        how = f"pip install 'seqmbo[{extra}]'" if extra else f"pip install {module}"
        raise InvalidInputError(f"{who} needs the package {module!r}, which is not installed: {how}") from None
