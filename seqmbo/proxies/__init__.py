"""Proxies: learned scores with uncertainty, and the rewards built from them."""

from seqmbo.proxies.base import Prediction, Proxy
from seqmbo.proxies.reward import ProxyReward, combine
from seqmbo.proxies.resolve import PROXIES, make_proxy

__all__ = ["PROXIES", "Prediction", "Proxy", "ProxyReward", "combine", "make_proxy"]
