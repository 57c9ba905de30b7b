"""The graph encoder lands a molecule's graph near its string code, and decodes through the SELFIES decoder."""

import numpy as np
import pytest

from seqmbo.encoders.graph_vae import GraphVAE
from seqmbo.encoders.quality import prior_quality, recon_accuracy
from seqmbo.encoders.vae import SequenceVAE, encodable
from seqmbo.errors import InvalidInputError
from seqmbo.spaces import MoleculeSpace, dna
from seqmbo.tasks.molecule_tasks import nci_path, read_smiles_file

pytest.importorskip("torch_geometric")


@pytest.fixture(scope="module")
def fitted():
    raw = read_smiles_file(nci_path())[:300]
    space = MoleculeSpace.from_smiles(raw, skip_invalid=True)
    designs = list(dict.fromkeys(space.canonical(s) for s in raw if space.is_valid([s])[0]))
    designs = [d for d, ok in zip(designs, encodable(space, designs)) if ok and len(d) <= 40][:60]
    vae = SequenceVAE(space, latent_dim=8, hidden=32, epochs=25, batch_size=32, beta=0.0, free_bits=0.0).fit(designs)
    graph = GraphVAE(vae, hidden=32, layers=3, epochs=50, batch_size=32, lr=1e-2, recon_weight=0.0).fit(designs)
    return designs, vae, graph


def test_graph_codes_land_next_to_string_codes(fitted):
    designs, vae, graph = fitted
    g, s = graph.encode(designs), vae.encode(designs)
    assert g.shape == s.shape == (len(designs), 8)
    own = np.linalg.norm(g - s, axis=1).mean()
    other = np.linalg.norm(g[:, None] - s[None], axis=2).mean()
    # a tiny string VAE's codes lie close together; still each graph code sits nearer its own molecule's
    # string code than the others' (measured: 0.41 against 0.52)
    assert own < 0.9 * other
    assert graph.history[-1] < 0.05 * graph.history[0]  # measured 92.8 -> 0.37
    assert 0 <= recon_accuracy(graph, designs) <= 1
    assert prior_quality(graph, 20, np.random.default_rng(0))["validity"] >= 0.5
    assert graph.kl_per_dim(designs[:10]).shape == (8,)


def test_same_seed_same_codes_and_bad_input(fitted):
    designs, vae, graph = fitted
    again = GraphVAE(vae, hidden=32, layers=3, epochs=2, batch_size=32, recon_weight=0.5).fit(designs[:40])
    twice = GraphVAE(vae, hidden=32, layers=3, epochs=2, batch_size=32, recon_weight=0.5).fit(designs[:40])
    assert np.array_equal(again.encode(designs[:5]), twice.encode(designs[:5]))
    assert all(p.requires_grad for p in vae.net.parameters())  # the decoder is frozen only while training
    with pytest.raises(InvalidInputError, match="design 2"):
        graph.encode(["CCO", "not a molecule"])
    with pytest.raises(InvalidInputError, match=r"design 2 .*more than the encoder's maximum"):
        graph.encode(["CCO", "C" * 300])
    with pytest.raises(InvalidInputError, match="at least 2"):
        GraphVAE(vae).fit(designs[:1])
    with pytest.raises(InvalidInputError, match="molecule space"):
        GraphVAE(SequenceVAE(dna(8), epochs=1).fit(["ACGTACGT", "AAAAAAAA"]))
    with pytest.raises(InvalidInputError, match="not fitted"):
        GraphVAE(vae).encode(["CCO"])
