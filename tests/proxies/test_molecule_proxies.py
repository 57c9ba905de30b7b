"""Molecule proxies on SMILES: fingerprint-MLP and GINE ensembles, graph featurization."""

import numpy as np
import pytest
import torch

from seqmbo.errors import InvalidInputError
from seqmbo.metrics.run_metrics import spearman
from seqmbo.oracles.molecules import get_molecule_oracle
from seqmbo.proxies import make_proxy
from seqmbo.proxies.molecule_models import FingerprintEnsemble, GraphEnsemble, SparseRows, morgan_fingerprints
from seqmbo.spaces import MoleculeSpace
from seqmbo.tasks.molecule_tasks import nci_path, read_smiles_file


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # as runs do ($SEQMBO_THREADS); more threads only contend on shared cores
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def nci_logp():
    from rdkit import Chem, rdBase

    smiles = []
    with rdBase.BlockLogs():
        for s in read_smiles_file(nci_path())[:1400]:
            m = Chem.MolFromSmiles(s)
            if m is not None and m.GetNumAtoms():
                smiles.append(Chem.MolToSmiles(m))
    smiles = list(dict.fromkeys(smiles))
    return smiles, get_molecule_oracle("logp")(smiles)


@pytest.fixture(scope="module")
def space():
    return MoleculeSpace.from_smiles(["CCO", "c1ccccc1N"])


def test_graph_featurization_shapes():
    from seqmbo.encoders.graphs import ATOM_DIM, BOND_DIM, GraphSet, smiles_to_graphs

    ethanol, benzene, methane = smiles_to_graphs(["CCO", "c1ccccc1", "C"])
    assert ethanol.x.shape == (3, ATOM_DIM) and ethanol.edge_index.shape == (2, 4)
    assert ethanol.edge_attr.shape == (4, BOND_DIM)
    assert benzene.edge_index.shape == (2, 12) and benzene.edge_attr[:, 3].eq(1).all()  # aromatic bonds
    assert methane.edge_index.shape == (2, 0) and methane.x.sum() > 0
    assert (ethanol.x.sum(1) == 5).all()  # element, degree, charge, hybridization, Hs one-hots
    batch = GraphSet([ethanol, benzene, methane])[torch.tensor([2, 0])]
    assert batch.num_graphs == 2 and batch.x.shape[0] == 4
    with pytest.raises(InvalidInputError, match="molecule 2"):
        smiles_to_graphs(["CCO", "C1CC"])


def test_sparse_rows_index_like_dense():
    fp = morgan_fingerprints(["CCO", "c1ccccc1O", "CC(=O)O", "CCN"], bits=64)
    dense = fp.dense()
    assert dense.shape == (4, 64) and fp.shape == (4, 64)
    idx = torch.tensor([3, 0, 0, 2])
    assert torch.equal(fp[idx].dense(), dense[idx])
    assert torch.equal(fp[1:3].dense(), dense[1:3])
    assert isinstance(fp[:1], SparseRows)
    binary = morgan_fingerprints(["CCCCCC"], bits=64, counts=False)
    assert set(binary.values.tolist()) == {1.0}


def test_fingerprint_rows_kept_in_a_memo_are_the_same_and_not_parsed_again():
    smiles = ["CCO", "c1ccccc1O", "CC(=O)O", "CCN", "CC[C@H](N)C(=O)O"]
    parsed: list[str] = []

    def parse(s):
        parsed.append(s)
        return Chem.MolFromSmiles(s)

    from rdkit import Chem

    plain = morgan_fingerprints(smiles, bits=128)
    memo: dict = {}
    first = morgan_fingerprints(smiles[:3], bits=128, parse=parse, memo=memo)
    both = morgan_fingerprints(smiles, bits=128, parse=parse, memo=memo)
    assert parsed == smiles  # each molecule parsed once over the two calls
    assert torch.equal(both.dense(), plain.dense()) and torch.equal(first.dense(), plain.dense()[:3])
    assert both.values.dtype == plain.values.dtype == torch.float32 and both.indices.dtype == torch.long


def test_fingerprint_ensemble_learns_logp(nci_logp, space):
    smiles, y = nci_logp
    n = 1000
    proxy = make_proxy("ensemble", space, seed=0, members=3, min_steps=300)
    assert isinstance(proxy, FingerprintEnsemble) and proxy.members == 3
    proxy.fit(smiles[:n], y[:n])
    pred = proxy.predict(smiles[n:])
    assert pred.mean.shape == (len(smiles) - n,) and pred.mean.dtype == np.float64
    assert spearman(pred.mean, y[n:]) > 0.7
    assert pred.std is not None and pred.std.shape == pred.mean.shape and pred.std.mean() > 0
    # the dense path of the network gives the same predictions
    x = morgan_fingerprints(smiles[n : n + 5])
    with torch.no_grad():
        assert torch.allclose(proxy.model(x), proxy.model(x.dense()), atol=1e-5)


def test_single_mlp_and_determinism(nci_logp, space):
    smiles, y = nci_logp
    a = make_proxy("mlp", space, seed=3, min_steps=40).fit(smiles[:300], y[:300]).predict(smiles[300:320])
    b = make_proxy("mlp", space, seed=3, min_steps=40).fit(smiles[:300], y[:300]).predict(smiles[300:320])
    assert a.std is None and np.array_equal(a.mean, b.mean)


def test_gnn_ensemble(nci_logp, space):
    smiles, y = nci_logp
    proxy = make_proxy("ensemble", space, seed=0, model="gnn", members=2, hidden=32, layers=2, min_steps=150)
    assert isinstance(proxy, GraphEnsemble)
    pred = proxy.fit(smiles[:400], y[:400]).predict(smiles[400:600])
    assert pred.mean.shape == (200,) and pred.std.shape == (200,) and pred.std.mean() > 0
    assert spearman(pred.mean, y[400:600]) > 0.5


def test_molecule_proxy_errors(space):
    with pytest.raises(InvalidInputError, match="unknown molecule proxy model"):
        make_proxy("ensemble", space, model="transformer")
    with pytest.raises(InvalidInputError, match="not a valid SMILES"):
        make_proxy("mlp", space, min_steps=1).fit(["CCO", "C1CC"], np.array([1.0, 2.0]))
    with pytest.raises(InvalidInputError, match="fitted"):
        make_proxy("mlp", space).predict(["CCO"])
    with pytest.raises(InvalidInputError):
        make_proxy("ensemble", space, hidden_size=3).fit(["CCO", "CCN"], np.array([1.0, 2.0]))


def test_a_warm_refit_runs_warm_epochs_without_min_steps(nci_logp, space, monkeypatch):
    import seqmbo.proxies.molecule_models as mm

    smiles, y = nci_logp
    seen = []
    train = mm.train_members
    monkeypatch.setattr(mm, "train_members", lambda model, x, z, cfg: seen.append((cfg.epochs, cfg.min_steps))
                        or train(model, x, z, cfg))
    proxy = make_proxy("ensemble", space, seed=0, members=2, min_steps=40, warm_epochs=2)
    proxy.fit(smiles[:200], y[:200])  # the first fit: fresh weights, min_steps holds
    proxy.warm_start = True
    model = proxy.model
    proxy.fit(smiles[:300], y[:300])
    assert seen == [(10, 40), (2, 0)] and proxy.model is model  # went on from the same network
    proxy.warm_start = False
    proxy.fit(smiles[:300], y[:300])  # not warm: the settings of a fresh fit, new weights
    assert seen[-1] == (10, 40) and proxy.model is not model
