"""Sequence VAEs: reconstruction, shapes, prior quality, reproducibility, bad input."""

import logging

import numpy as np
import pytest
import torch

from seqmbo.encoders.quality import prior_quality, recon_accuracy
from seqmbo.encoders.vae import SequenceVAE
from seqmbo.errors import InvalidInputError
from seqmbo.spaces import MoleculeSpace, dna

SPACE = dna(8)
DESIGNS = list(dict.fromkeys(SPACE.sample(400, np.random.default_rng(0))))[:300]
SMALL = dict(latent_dim=8, hidden=32, epochs=40, batch_size=32)
MOLECULES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CN1CCC[C@H]1c1cccnc1", "O=C(O)c1ccccc1OC(C)=O",
             "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "Clc1ccc(Br)cc1F", "C#N", "CS(=O)(=O)N", "c1ccc2[nH]ccc2c1"]


@pytest.fixture(scope="module")
def vae():
    return SequenceVAE(SPACE, **SMALL).fit(DESIGNS)


def test_conv_vae_reconstructs_its_training_designs(vae):
    # measured 1.0 on 300 uniform 8-mers (40 epochs, beta 0.2)
    assert vae.arch == "conv"
    assert recon_accuracy(vae, DESIGNS) >= 0.9
    assert vae.history[-1] < vae.history[0]


def test_shapes_and_types(vae):
    mu, logvar = vae.encode_dist(DESIGNS[:5])
    assert mu.shape == logvar.shape == (5, 8) and mu.dtype == np.float64
    assert np.array_equal(vae.encode(DESIGNS[:5]), mu)
    back = vae.decode(mu)
    assert isinstance(back, list) and len(back) == 5 and all(isinstance(d, str) for d in back)
    assert vae.kl_per_dim(DESIGNS).shape == (8,)
    with pytest.raises(InvalidInputError, match=r"codes of shape \(n, 8\)"):
        vae.decode(np.zeros((2, 3)))


def test_prior_of_a_fixed_length_space_is_always_valid(vae):
    q = prior_quality(vae, 200, np.random.default_rng(1), DESIGNS)
    assert q["validity"] == 1.0
    assert 0 < q["uniqueness"] <= 1 and 0 <= q["novelty"] <= 1
    assert (vae.kl_per_dim(DESIGNS) > 0.1).all()  # no collapsed dimension


def test_same_seed_same_model_and_no_global_rng_change():
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    few = dict(SMALL, epochs=2)
    a = SequenceVAE(SPACE, **few, seed=5).fit(DESIGNS[:100])
    b = SequenceVAE(SPACE, **few).fit(DESIGNS[:100], seed=5)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])
    assert np.array_equal(a.encode(DESIGNS), b.encode(DESIGNS))
    assert a.decode(a.encode(DESIGNS)) == b.decode(b.encode(DESIGNS))


def test_gru_vae_on_variable_length_and_molecules():
    space = dna(min_length=3, max_length=10)
    designs = list(dict.fromkeys(space.sample(200, np.random.default_rng(0))))
    vae = SequenceVAE(space, **dict(SMALL, epochs=5)).fit(designs)
    assert vae.arch == "gru"
    out = vae.sample_prior(20, np.random.default_rng(0))
    assert len(out) == 20 and all(isinstance(d, str) and len(d) <= 10 for d in out)
    mols = MoleculeSpace.from_smiles(MOLECULES)
    mvae = SequenceVAE(mols, **dict(SMALL, epochs=3)).fit(MOLECULES)
    back = mvae.decode(mvae.encode(MOLECULES))
    assert len(back) == len(MOLECULES) and all(isinstance(s, str) for s in back)
    assert 0 <= recon_accuracy(mvae, MOLECULES) <= 1
    assert prior_quality(mvae, 10, np.random.default_rng(0))["validity"] >= 0


def test_collapse_is_reported(caplog):
    with caplog.at_level(logging.WARNING, logger="seqmbo.encoders.vae"):
        SequenceVAE(SPACE, **dict(SMALL, epochs=3), beta=50.0, free_bits=0.0, warmup=0.0).fit(DESIGNS[:100])
    assert "collapsed" in caplog.text


def test_bad_input_gives_one_clear_message(vae):
    with pytest.raises(InvalidInputError, match="design 2 .* has length 9, expected 8"):
        vae.encode(["ACGTACGT", "ACGTACGTA"])
    with pytest.raises(InvalidInputError, match="letter 'N' at position 3"):
        vae.encode(["ACNTACGT"])
    with pytest.raises(InvalidInputError, match="at least 2 training designs, got 0"):
        SequenceVAE(SPACE).fit([])
    with pytest.raises(InvalidInputError, match="at least 2 training designs, got 1"):
        SequenceVAE(SPACE).fit(["ACGTACGT"])
    with pytest.raises(InvalidInputError, match="not fitted"):
        SequenceVAE(SPACE).encode(["ACGTACGT"])
    with pytest.raises(InvalidInputError, match="arch must be one of"):
        SequenceVAE(SPACE, arch="lstm")
    mols = MoleculeSpace.from_smiles(MOLECULES)
    with pytest.raises(InvalidInputError, match=r"design 11 .* SELFIES token '\[Cl-1\]', unseen by the encoder"):
        SequenceVAE(mols).fit(MOLECULES + ["[Na+].[Cl-]"])
    with pytest.raises(InvalidInputError, match="more than the encoder's maximum"):
        SequenceVAE(mols).fit(MOLECULES + ["C" * 60])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_vae_trains_and_decodes_on_cuda():
    vae = SequenceVAE(SPACE, **dict(SMALL, epochs=2), device="cuda").fit(DESIGNS[:100])
    assert next(vae.net.parameters()).is_cuda
    z = vae.encode(DESIGNS[:5])
    assert z.shape == (5, 8) and len(vae.decode(z)) == 5
