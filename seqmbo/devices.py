"""Devices: one resolver for ``device="auto"|"cpu"|"cuda"``, and seeding that leaves global state alone.

Every model (proxies, generators) takes a ``device`` and resolves it here once. Models keep
their own :class:`torch.Generator`; where torch offers no generator argument (weight
initialisation, dropout) they run under :func:`seeded`, which seeds torch's global random
state for the block and restores it afterwards, so library code never changes it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Union

import torch

from seqmbo.errors import InvalidInputError

DEVICES = ("auto", "cpu", "cuda")

DeviceLike = Union[str, torch.device, None]


def resolve_device(spec: DeviceLike = "auto") -> torch.device:
    """The :class:`torch.device` a setting names.

    Args:
        spec: ``"auto"`` (or ``None``: a GPU when one is present, else the CPU), ``"cpu"``,
            ``"cuda"``, ``"cuda:<index>"``, or a :class:`torch.device`.

    Returns:
        The device.

    Raises:
        InvalidInputError: an unknown name, or a CUDA device on a machine without one.
    """
    if spec is None or (isinstance(spec, str) and spec.strip().lower() == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if isinstance(spec, torch.device):
        device = spec
    elif isinstance(spec, str):
        try:
            device = torch.device(spec.strip().lower())
        except RuntimeError:
            raise InvalidInputError(f"unknown device {spec!r}; use one of {', '.join(DEVICES)}") from None
    else:
        raise InvalidInputError(f"device must be one of {', '.join(DEVICES)} or a torch.device, got {spec!r}")
    if device.type not in ("cpu", "cuda"):
        raise InvalidInputError(f"unsupported device {spec!r}; use one of {', '.join(DEVICES)}")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise InvalidInputError(
                f"device {spec!r} asked for, but torch sees no CUDA GPU here; use device 'cpu' or 'auto'")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise InvalidInputError(
                f"device {spec!r}: there are only {torch.cuda.device_count()} CUDA device(s)")
    return device


def seeded_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A :class:`torch.Generator` on ``device``, seeded with ``seed``."""
    return torch.Generator(device=torch.device(device)).manual_seed(int(seed))


@contextlib.contextmanager
def seeded(seed: int, device: torch.device | str = "cpu") -> Iterator[None]:
    """Run a block with torch's global random state seeded with ``seed``, then restore it.

    For what takes no generator argument (parameter initialisation, dropout). The CPU state
    and, for a CUDA ``device``, that device's state are forked; other devices are untouched.

    Args:
        seed: the seed (as :func:`torch.manual_seed` would take it).
        device: the device whose random state the block uses besides the CPU's.
    """
    device = torch.device(device)
    cuda = [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.random.default_generator.manual_seed(int(seed))
        for index in cuda:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(int(seed))
        yield


def to_device(x, device: torch.device | str):
    """``x.to(device)`` for anything that has ``.to`` (tensors, graph batches, sparse rows); else ``x``."""
    return x.to(device) if callable(getattr(x, "to", None)) else x
