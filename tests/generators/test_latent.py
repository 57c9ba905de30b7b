"""LatentGenerator: a VAE's latent space searched by gradient ascent, CMA-ES or BO."""

import numpy as np
import pytest
import torch

from landscapes import SPACE, additive, distinct
from seqmbo.data import Dataset
from seqmbo.errors import InvalidInputError
from seqmbo.generators import GENERATORS, make_generator

SMALL = dict(vae_epochs=20, vae_batch_size=32, latent_dim=8, hidden=32)
METHODS = {
    "gradient": dict(steps=50),
    "cma": dict(budget=192),
    "bo": dict(budget=96, raw_samples=32, restarts=1, opt_iters=30),
}


def offline(size: int = 300) -> Dataset:
    designs = distinct(size, 0)
    return Dataset(designs, additive(designs), SPACE)


def _need(method: str) -> None:
    if method in ("bo", "cma"):  # the [bo] extra
        pytest.importorskip("botorch" if method == "bo" else "cma")


@pytest.mark.parametrize("method", sorted(METHODS))
def test_latent_search_beats_the_data_and_random(method):
    _need(method)
    data = offline()
    gen = make_generator("latent", method=method, **SMALL, **METHODS[method])
    torch_state = torch.get_rng_state()
    out = gen.propose(additive, 16, data, np.random.default_rng(0))
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert len(out) >= 16 and len(set(out)) == len(out) and SPACE.is_valid(out).all()
    top = np.sort(additive(out))[-16:].mean()
    random_top = np.sort(additive(SPACE.sample(len(out), np.random.default_rng(1))))[-16:].mean()
    # measured (seed 0): top-16 means 1.35 (gradient), 1.93 (cma), 1.72 (bo); offline 0.57, random <= -0.75
    assert top > np.sort(data.y)[-16:].mean() + 0.3
    assert top > random_top + 1.0
    q = gen.quality
    assert set(q) == {"latent_recon_accuracy", "latent_prior_validity", "latent_prior_uniqueness",
                      "latent_prior_novelty", "latent_kl_per_dim", "latent_search_designs", "latent_fill_designs",
                      "latent_recon_train"}
    novel = len([d for d in out if d not in set(data.designs)])
    assert q["latent_search_designs"] > 0 and q["latent_fill_designs"] >= 0
    assert q["latent_search_designs"] + q["latent_fill_designs"] == novel  # every novel proposal is counted once
    assert q["latent_prior_validity"] == 1.0 and 0 <= q["latent_recon_accuracy"] <= q["latent_recon_train"] <= 1
    assert q["latent_kl_per_dim"] > 0


@pytest.mark.parametrize("method", ["gradient", "bo"])
def test_latent_search_is_reproducible(method):
    _need(method)
    opts = dict(SMALL, vae_epochs=3, method=method, steps=10, budget=48, raw_samples=16, restarts=1, opt_iters=10)
    a = make_generator("latent", **opts).propose(additive, 8, offline(100), np.random.default_rng(3))
    b = make_generator("latent", **opts).propose(additive, 8, offline(100), np.random.default_rng(3))
    assert a == b


def test_latent_is_a_known_generator_with_checked_settings():
    assert "latent" in GENERATORS
    with pytest.raises(InvalidInputError, match="has no setting"):
        make_generator("latent", methd="bo")
    with pytest.raises(InvalidInputError, match="method must be one of gradient, cma, bo"):
        make_generator("latent", method="adam")
    with pytest.raises(InvalidInputError, match="acquisition must be"):
        make_generator("latent", acquisition="ei")


def test_bad_offline_data_gives_one_clear_message():
    gen = make_generator("latent", **SMALL)
    one = Dataset(["ACGTACGT"], np.array([1.0]), SPACE)
    with pytest.raises(InvalidInputError, match="at least 2 offline designs"):
        gen.propose(additive, 4, one, np.random.default_rng(0))
    long = Dataset(["ACGTACGT", "ACGTACGTAA"], np.array([1.0, 2.0]), SPACE, name="table.csv")
    with pytest.raises(InvalidInputError, match=r"table.csv \(generator 'latent'\): design 2 .* has length 10"):
        gen.propose(additive, 4, long, np.random.default_rng(0))
    odd = Dataset(["ACGTACGT", "ACGUACGT"], np.array([1.0, 2.0]), SPACE)
    with pytest.raises(InvalidInputError, match="letter 'U' at position 4"):
        gen.propose(additive, 4, odd, np.random.default_rng(0))


def test_design_run_end_to_end_on_ehrlich():
    import seqmbo

    _need("cma")
    run = seqmbo.design("ehrlich-20-16-2-4", generator="latent", n=16, calibration=False,
                        proxy_options={"members": 2, "min_steps": 50},
                        generator_options=dict(method="cma", vae_epochs=10, budget=64, batch=16))
    assert run.metrics["generator"] == "latent" and run.metrics["oracle_calls_design"] == 0
    assert run.metrics["n_candidates"] >= 1 and run.metrics["validity"] == 1.0


def test_a_missing_optional_package_is_named_with_its_extra(monkeypatch):
    import sys

    from seqmbo._optional import require

    monkeypatch.setitem(sys.modules, "cma", None)  # import cma -> ImportError
    with pytest.raises(InvalidInputError, match=r"method 'cma' needs the package 'cma'.*seqmbo\[bo\]"):
        make_generator("latent", method="cma", **dict(SMALL, vae_epochs=1)).propose(
            additive, 4, offline(50), np.random.default_rng(0))
    with pytest.raises(InvalidInputError, match="pip install no_such_module"):
        require("no_such_module", "a test")


def test_gradient_trajectory_is_recorded_without_changing_the_search():
    from seqmbo.generators import latent_search as search

    opts = dict(SMALL, vae_epochs=3, method="gradient", steps=12, decode_every=4, seed_top=5, quality_samples=8,
                proxy_steps=60)
    gen = make_generator("latent", **opts)
    gen.propose(additive, 4, offline(100), np.random.default_rng(3))
    steps = [t[0] for t in gen.trajectory]
    assert steps == [0, 4, 8, 12]
    assert all(z.shape == (5, 8) and p.shape == (5,) and np.isfinite(p).all() for _, z, p in gen.trajectory)
    assert not np.allclose(gen.trajectory[0][1], gen.trajectory[-1][1])  # the codes moved
    assert gen.trajectory[-1][2].mean() > gen.trajectory[0][2].mean()  # uphill on the latent proxy
    # the same search without a trace evaluates the same designs
    vae, codes = gen.vae, gen.vae.encode(offline(100).designs)
    y, starts = additive(offline(100).designs), gen.trajectory[0][1]
    bounds = (codes.min(0) - 1, codes.max(0) + 1)
    cfg = gen.config
    pools = []
    for trace in (None, []):
        objective = search.LatentObjective(vae, additive)
        search.gradient_search(objective, codes, y, starts, bounds, cfg, seed=7, trace=trace)
        pools.append(objective.pool)
    assert pools[0] == pools[1] and len(trace) == 4
    assert set(vae.decode(trace[-1][1])) <= set(pools[1])
    assert make_generator("latent", **dict(opts, method="cma", budget=32)).trajectory == []


def test_a_pretrained_vae_leaves_out_what_it_cannot_encode(monkeypatch, caplog):
    import logging

    from seqmbo.encoders.vae import SequenceVAE
    from seqmbo.generators import latent
    from seqmbo.spaces import MoleculeSpace

    known = ["CCO", "CCN", "CCC", "CCCO", "CCCN", "OCCO", "NCCN", "CC(C)O"]
    vae = SequenceVAE(MoleculeSpace.from_smiles(known), latent_dim=4, hidden=16, epochs=2).fit(known)
    monkeypatch.setattr(latent, "load_vae", lambda config, space: vae)  # as a cached pre-training would
    table = known + ["CCBr", "CCS", "C" * 40]  # unseen atoms, and longer than the encoder's maximum
    space = MoleculeSpace.from_smiles(table)
    y = np.arange(len(table), dtype=float)
    gen = make_generator("latent", method="gradient", steps=2, proxy_steps=10, budget=16, seed_top=2, quality_samples=8)
    with caplog.at_level(logging.INFO, logger="seqmbo.generators.latent"):
        out = gen.propose(lambda ds: np.array([float(len(d)) for d in ds]), 4, Dataset(table, y, space),
                          np.random.default_rng(0))
    assert "leaves out 3 of 11 offline designs" in caplog.text and len(out) >= 4
    few = Dataset(["CCO", "CCBr", "CCS"], np.array([1.0, 2.0, 3.0]), space)
    with pytest.raises(InvalidInputError, match="can encode 1 of 3 offline designs .*use pretrained=none"):
        gen.propose(lambda ds: np.zeros(len(ds)), 4, few, np.random.default_rng(0))


@pytest.mark.parametrize("rows, match", [
    ("ACGTACGT,1.0\n", "at least 2 offline designs to fit its VAE, got 1"),
    ("", "header but no rows"),
])
def test_a_bad_table_writes_no_run_files(tmp_path, capsys, rows, match):
    from seqmbo.cli import main
    from seqmbo.run import RUN_FILES

    table = tmp_path / "t.csv"
    table.write_text("sequence,score\n" + rows)
    code = main(["propose", str(table), "--kind", "dna", "-g", "latent", "--out", str(tmp_path / "run"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and match in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not any((tmp_path / "run" / f).exists() for f in RUN_FILES)
