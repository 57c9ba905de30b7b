"""Molecule tasks: library -> canonical, filtered, oracle-labelled offline split."""

import logging
import re

import numpy as np
import pytest

from seqmbo.errors import InvalidInputError, UnknownNameError
from seqmbo.tasks import load_task
from tests.conftest import require_dataset


@pytest.fixture(scope="module")
def nci():
    return load_task("nci-qed")


def test_nci_qed_split_and_normalization(nci):
    task = nci
    assert task.kind == "molecules" and task.oracle_kind == "rdkit" and task.space.kind == "molecule"
    assert (task.y_min, task.y_max) == (0.0, 1.0)  # QED is bounded in [0, 1]
    n_library = task.dataset.info["n_library"]
    assert 4500 <= n_library <= 4999
    assert len(task.dataset) == pytest.approx(n_library / 2, abs=5)
    y = task.dataset.y
    assert 0.0 < y.min() and y.max() < 0.6
    assert task.dataset_best_norm == pytest.approx(y.max())
    designs = task.dataset.designs
    assert len(set(designs)) == len(designs)
    assert all(task.space.canonical(d) == d for d in designs[:300])
    assert all("." not in d for d in designs)  # largest fragment kept
    with task.oracle.sealed():
        pass
    np.testing.assert_allclose(task.oracle(designs[:50]), y[:50])
    assert task.n_candidates == 128


def test_nci_offline_designs_round_trip(nci):
    space, designs = nci.space, nci.dataset.designs[:500]
    assert space.decode(space.encode(designs)) == designs


def test_spec_library_file(tmp_path, caplog):
    (tmp_path / "lib.smi").write_text(
        "smiles\n\nCCO\nc1ccccc1O x\n# a comment\nnot_a_smiles\nOCC\nCC(=O)O\nCCCCCCN\nCc1ccccc1\n"
    )
    spec = {"name": "mine", "kind": "molecules", "library": "lib.smi", "oracle": "logp", "max_percentile": 50,
            "_base": str(tmp_path)}
    with caplog.at_level(logging.INFO):
        task = load_task(spec)
    assert "1 duplicates" in caplog.text and "1 is not a valid SMILES" in caplog.text
    lib = task.dataset.info["n_library"]
    assert lib == 5
    # logP has no bounds: min and max of the library
    from seqmbo.oracles.molecules import get_molecule_oracle

    y = get_molecule_oracle("logp")(["CCO", "Oc1ccccc1", "CC(=O)O", "CCCCCCN", "Cc1ccccc1"])
    assert task.y_min == pytest.approx(y.min()) and task.y_max == pytest.approx(y.max())
    assert len(task.dataset) == 3 and task.dataset.y.max() == pytest.approx(np.median(y))
    # an oracle to minimise is negated
    sa = load_task({**spec, "oracle": "sa"})
    assert (sa.dataset.y < 0).all()
    assert sa.y_max <= -1.0


def test_zinc_task(monkeypatch):
    require_dataset("zinc250k")
    spec = {"name": "zinc-small", "kind": "molecules", "library": "zinc250k", "oracle": "zaleplon_mpo",
            "subsample": 300, "subsample_seed": 1, "organic_only": True}
    task = load_task(spec)
    assert task.dataset.info["n_read"] == 249455 and task.dataset.info["n_library"] == 300
    assert len(task.dataset) == 150 and (task.y_min, task.y_max) == (0.0, 1.0)
    again = load_task(spec)  # from the cache
    assert again.dataset.designs == task.dataset.designs and np.array_equal(again.dataset.y, task.dataset.y)
    assert again.space.alphabet == task.space.alphabet


def test_bad_specs(tmp_path):
    base = {"name": "x", "kind": "molecules", "oracle": "qed", "_base": str(tmp_path)}
    with pytest.raises(InvalidInputError, match=r"no file at .*missing\.smi"):
        load_task({**base, "library": "missing.smi"})
    with pytest.raises(InvalidInputError, match="needs 'library'"):
        load_task(base)
    with pytest.raises(UnknownNameError, match="unknown molecule oracle 'qedd'.*osimertinib_mpo"):
        load_task({**base, "library": "nci", "oracle": "qedd"})
    with pytest.raises(InvalidInputError, match="unknown key"):
        load_task({**base, "library": "nci", "subsampel": 10})
    with pytest.raises(InvalidInputError, match="positive whole number"):
        load_task({**base, "library": "nci", "subsample": -3})
    (tmp_path / "empty.smi").write_text("smiles\n")
    with pytest.raises(InvalidInputError, match="no SMILES found"):
        load_task({**base, "library": "empty.smi"})
    (tmp_path / "bad.smi").write_text("C1CC\nxx\n")
    with pytest.raises(InvalidInputError, match="usable molecules"):
        load_task({**base, "library": "bad.smi"})


# A library whose better half (by logP) holds bromine and long chains: an element and SELFIES
# lengths that no offline (lower half) molecule has.
LOW = ["CCO", "OCCO", "CC(=O)O", "NCCO", "OC(=O)CO", "CN", "CO", "NCC(=O)O"]
HIGH = ["CCCCCCCCCCCCBr", "BrCCCCCCCCCCCCCCBr", "CCCCCCCCCCCCCCCCC(Br)CCCC", "CCCCCCCCCCc1ccc(Br)cc1",
        "CCCCCCCCCCCCCCCCCCBr", "BrC(Br)CCCCCCCCCCCCCC", "CCCCCCCCCCCCCCCCCCCCCBr", "Brc1ccc(CCCCCCCCCCCCC)cc1Br"]


def _reachable(obj, seen=None) -> list:
    """Every string and number reachable from ``obj`` (attributes, containers, memos)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, (str, int, float, np.number)):
        return [obj]
    if isinstance(obj, np.ndarray):
        return obj.ravel().tolist()
    if isinstance(obj, dict):
        items = list(obj.keys()) + list(obj.values())
    elif isinstance(obj, (list, tuple, set, frozenset)):
        items = list(obj)
    elif hasattr(obj, "__dict__"):
        items = list(vars(obj).values())
    else:
        return []
    return [x for item in items for x in _reachable(item, seen)]


@pytest.fixture
def split_task(tmp_path):
    (tmp_path / "lib.smi").write_text("\n".join(LOW + HIGH) + "\n")
    spec = {"name": "split", "kind": "molecules", "library": "lib.smi", "oracle": "logp", "max_percentile": 50,
            "_base": str(tmp_path)}
    return load_task(spec)


def test_molecule_space_is_built_from_the_offline_rows(split_task):
    from seqmbo.spaces.molecule import MoleculeSpace

    task = split_task
    assert sorted(task.dataset.designs) == sorted(task.space.canonical(s) for s in LOW)
    ref = MoleculeSpace.from_smiles(task.dataset.designs)
    assert task.space.alphabet == ref.alphabet
    assert (task.space.max_length, task.space.length_weights) == (ref.max_length, ref.length_weights)
    assert task.space.max_length == 9  # longest offline SELFIES (7 tokens) + a margin of 2


def test_nothing_a_run_sees_holds_a_held_out_row(split_task):
    from seqmbo.spaces.molecule import MoleculeSpace

    from seqmbo.generators import make_generator
    from seqmbo.proxies import ProxyReward, make_proxy

    task, space = split_task, split_task.space
    # what a run hands a generator, used as a run uses it (memos and caches filled)
    proxy = make_proxy("mlp", space, seed=0, epochs=5, min_steps=5).fit(task.dataset.designs, task.dataset.y)
    reward = ProxyReward(proxy, space)
    gen = make_generator("evolution", population=8, offspring=16, generations=2, seed_top=8)
    gen.propose(reward, 8, task.dataset, np.random.default_rng(0))
    space.sample(50, np.random.default_rng(0))
    probe = MoleculeSpace(("[C]",))  # asking the task's space would put held-out rows in its memos
    held_out = {probe.canonical(s) for s in HIGH}
    strings = {x for x in _reachable((task.space, task.dataset, reward, gen)) if isinstance(x, str)}
    assert set(task.dataset.designs) <= strings  # the walk does reach the designs
    assert not held_out & strings
    assert not [s for s in strings if re.search(r"Br(?!anch)", s)]  # bromine only occurs above the split
    held_lengths = {len(probe.selfies_tokens(s)) for s in HIGH}
    assert min(held_lengths) > space.max_length  # no held-out length is even representable
    offline_lengths = {len(probe.selfies_tokens(s)) for s in task.dataset.designs}
    assert {L for L, w in enumerate(space.length_weights) if w > 0} == offline_lengths
    assert len(task.dataset) == 8 and task.dataset.info["n_library"] == 16
