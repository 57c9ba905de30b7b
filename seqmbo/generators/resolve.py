"""Generator names -> generators, resolved once (``generator="evolution"`` or an object)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqmbo.errors import InvalidInputError, UnknownNameError
from seqmbo.generators.base import Generator

if TYPE_CHECKING:
    from seqmbo.devices import DeviceLike

GENERATORS = ("random", "dataset-top", "evolution", "gradient", "latent", "gflownet", "nsga2", "local")


def make_generator(generator: Any, device: DeviceLike = "cpu", **options):
    """A generator from a name (with options) or any object with ``propose``.

    Args:
        generator: a name of :data:`GENERATORS` or an object with ``propose`` (returned as it is).
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or a :class:`torch.device`: where the
            generators with networks or tensors (``gradient``, ``gflownet``) work; the others
            run on the CPU and only check it.
        **options: the generator's settings.
    """
    if not isinstance(generator, str):
        if not isinstance(generator, Generator):
            raise InvalidInputError(
                f"{generator!r} is not a generator: it needs propose(reward, n, dataset, rng) and the "
                "attributes uses_reward and baseline (subclass seqmbo.generators.GeneratorBase)"
            )
        return generator
    from seqmbo.devices import resolve_device
    from seqmbo.generators import baselines, evolution

    device = resolve_device(device)

    if generator == "random":
        _no_options("random", options)
        return baselines.RandomGenerator()
    if generator == "dataset-top":
        _no_options("dataset-top", options)
        return baselines.DatasetTopGenerator()
    if generator == "evolution":
        return evolution.EvolutionGenerator(**options)
    if generator == "local":
        from seqmbo.generators.local import LocalSearchGenerator

        return LocalSearchGenerator(**options)
    if generator == "nsga2":
        from seqmbo.generators.nsga2 import NSGA2Generator

        return NSGA2Generator(**options)
    if generator == "gradient":
        from seqmbo.generators.gradient import GradientGenerator

        return GradientGenerator(device=device, **options)
    if generator == "latent":
        from seqmbo.generators.latent import LatentGenerator

        return LatentGenerator(**{"device": str(device), **options})
    if generator == "gflownet":
        from seqmbo.generators.gflownet import GFlowNetGenerator

        return GFlowNetGenerator(device=device, **options)
    raise UnknownNameError(f"unknown generator {generator!r}; generators: {', '.join(available())}")


def available() -> tuple[str, ...]:
    return GENERATORS


def _no_options(name: str, options: dict) -> None:
    if options:
        raise InvalidInputError(f"generator {name!r} takes no settings, got {sorted(options)}")
