"""Proxy names -> proxies, resolved once (``proxy="ensemble"`` or an object)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from seqmbo.errors import InvalidInputError, UnknownNameError

if TYPE_CHECKING:
    from seqmbo.devices import DeviceLike

PROXIES = ("ensemble", "mlp", "mc-dropout", "com", "latent-gp")


def make_proxy(proxy: Any, space, seed: int = 0, device: DeviceLike = "cpu", **options):
    """A proxy for ``space`` from a name (with options) or an object with ``fit``/``predict``.

    Args:
        proxy: a name of :data:`PROXIES` or a proxy object (returned as it is).
        space: the design space.
        seed: seeds the proxy's initialisation and training (its own generators; torch's
            global random state is left as it was).
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or a :class:`torch.device` (named proxies only).
        **options: training settings (:class:`~seqmbo.proxies.ensemble.TrainConfig` keys) and
            network settings.
    """
    if not isinstance(proxy, str):
        if not (hasattr(proxy, "fit") and hasattr(proxy, "predict")):
            raise InvalidInputError(f"{proxy!r} is not a proxy (needs fit and predict)")
        return proxy
    from seqmbo.devices import resolve_device

    device = resolve_device(device)
    if proxy == "latent-gp":
        from seqmbo.proxies.latent_gp import LatentGPProxy

        return LatentGPProxy(space, seed=seed, **{"device": str(device), **options})
    from seqmbo.proxies.ensemble import SequenceEnsemble, TrainConfig

    train_keys = set(TrainConfig.__dataclass_fields__)
    train = TrainConfig(**{"seed": seed, **{k: v for k, v in options.items() if k in train_keys}})
    net = {k: v for k, v in options.items() if k not in train_keys}
    if space.kind == "molecule" and proxy in ("ensemble", "mlp"):
        from seqmbo.proxies.molecule_models import make_molecule_proxy  # fingerprint MLPs or GNNs on SMILES

        return make_molecule_proxy(proxy, space, train, device=device, **net)
    if proxy in ("mlp", "mc-dropout") and "members" in net:
        raise InvalidInputError(f"proxy {proxy!r} is a single network: 'members' is an option of 'ensemble' and 'com'")
    if proxy == "ensemble":
        return SequenceEnsemble(space, members=int(net.pop("members", 5)), arch=net.pop("arch", "cnn"), train=train,
                               device=device, **net)
    if proxy == "mlp":
        return SequenceEnsemble(space, members=1, arch="mlp", train=train, device=device, **net)
    if proxy == "mc-dropout":
        from seqmbo.proxies.mc_dropout import MCDropoutProxy

        return MCDropoutProxy(space, train=train, device=device, **net)
    if proxy == "com":
        from seqmbo.proxies.coms import make_com

        return make_com(space, train, device=device, **net)
    raise UnknownNameError(f"unknown proxy {proxy!r}; proxies: {', '.join(PROXIES)}")
