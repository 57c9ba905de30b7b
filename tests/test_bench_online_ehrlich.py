"""scripts/bench_online_ehrlich.py: the proxy is fitted cheaply only where it cannot change the batch."""

import argparse

from script_loader import load_script

bench = load_script("bench_online_ehrlich")


def settings(generator: str, text: str = "{}", full: bool = False) -> dict:
    return bench.run_settings(argparse.Namespace(generator=generator, settings=text, full_proxy=full))


def test_the_proxy_is_fitted_cheaply_only_where_it_only_orders_the_batch():
    assert settings("local") == {"proxy_options": bench.ORDER_ONLY_PROXY}
    assert settings("local", '{"generator_options": {"pool": 1, "scan": 0}}')["proxy_options"] == bench.ORDER_ONLY_PROXY
    assert settings("local", '{"generator_options": {"pool": 8}}') == {"generator_options": {"pool": 8}}  # it chooses
    assert settings("local", full=True) == {}
    assert settings("evolution") == {}
    mine = '{"proxy_options": {"members": 3}}'
    assert settings("local", mine) == {"proxy_options": {"members": 3}}  # the user's own options win
