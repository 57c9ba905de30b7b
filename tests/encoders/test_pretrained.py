"""Pre-trained molecule VAE: cache key, checkpoints, exact resume, loading, use by latent search, CLI."""

import json

import numpy as np
import pytest
import torch

from seqmbo.cli import main
from seqmbo.data import Dataset
from seqmbo.encoders.pretrained import PretrainConfig, epoch_batches, load_pretrained, model_dir, pretrain
from seqmbo.errors import InvalidInputError
from seqmbo.generators import make_generator
from seqmbo.spaces import MoleculeSpace
from seqmbo.tasks.molecule_tasks import nci_path, read_smiles_file

TINY = dict(latent_dim=8, hidden=32, batch_size=32, heldout=20, warmup_steps=10, max_molecules=0)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """300 NCI molecules (shipped with RDKit) as a SMILES file."""
    smiles = read_smiles_file(nci_path())[:300]
    path = tmp_path_factory.mktemp("lib") / "nci300.smi"
    path.write_text("\n".join(smiles) + "\n")
    return str(path)


def _weights(vae) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in vae.net.parameters()])


def test_interrupted_pretraining_resumes_to_the_same_weights(library, tmp_path):
    cfg = PretrainConfig(library=library, max_steps=24, **TINY)
    straight = pretrain(cfg, root=tmp_path / "a", eval_every=8)
    assert straight.done and straight.step == 24 and [p["step"] for p in straight.curve] == [8, 16, 24]
    first = pretrain(cfg, root=tmp_path / "b", eval_every=8, stop_step=12)
    assert first.step == 12 and not first.done
    assert json.loads((first.folder / "meta.json").read_text())["state"] == "stopped"
    resumed = pretrain(cfg, root=tmp_path / "b", eval_every=8)
    assert resumed.step == 24 and resumed.done
    assert torch.equal(_weights(resumed.vae), _weights(straight.vae))
    assert [p["step"] for p in resumed.curve] == [8, 16, 24]
    meta = json.loads((resumed.folder / "meta.json").read_text())
    assert meta["state"] == "done" and meta["config"]["hidden"] == 32
    again = pretrain(cfg, root=tmp_path / "b")  # complete: loads, trains nothing
    assert again.step == 24 and torch.equal(_weights(again.vae), _weights(straight.vae))


def test_cache_key_and_loading(library, tmp_path):
    cfg = PretrainConfig(library=library, max_steps=6, **TINY)
    assert load_pretrained(cfg, root=tmp_path) is None
    res = pretrain(cfg, root=tmp_path, eval_every=3)
    assert res.folder.parent == tmp_path / "pretrained" and res.folder.name.startswith("nci300-")
    assert model_dir(PretrainConfig(library=library, max_steps=6, **dict(TINY, hidden=16)), "x", tmp_path) != \
        model_dir(cfg, "x", tmp_path)
    assert {"space.json", "train_ids.npy", "heldout.txt", "checkpoint.pt", "meta.json"} <= \
        {f.name for f in res.folder.iterdir()}
    vae = load_pretrained(cfg, root=tmp_path)
    assert torch.equal(_weights(vae), _weights(res.vae)) and vae.meta["step"] == 6
    z = vae.encode(["CCO", "c1ccccc1O"])
    assert z.shape == (2, 8) and len(vae.decode(z)) == 2
    assert 0 <= res.curve[-1]["heldout_recon"] <= 1 and res.curve[-1]["recon_nats"] > 0


def test_epoch_batches_group_lengths_and_cover_every_row():
    lengths = np.random.default_rng(0).integers(5, 60, size=1000)
    b = epoch_batches(lengths, 10, seed=1, epoch=0)
    assert sorted(np.concatenate(b).tolist()) == list(range(1000))
    spread = np.mean([lengths[x].max() - lengths[x].min() for x in b])
    assert spread < 5  # sorted within chunks: a batch holds similar lengths (random batches: ~50)
    assert all(np.array_equal(x, y) for x, y in zip(b, epoch_batches(lengths, 10, seed=1, epoch=0)))
    assert not np.array_equal(b[0], epoch_batches(lengths, 10, seed=1, epoch=1)[0])


def test_latent_search_uses_a_named_pretrained_vae(library, tmp_path):
    res = pretrain(PretrainConfig(library=library, max_steps=20, **TINY), root=tmp_path)
    smiles = read_smiles_file(library)[:60]
    space = MoleculeSpace.from_smiles(smiles, skip_invalid=True)
    designs = list(dict.fromkeys(s for s in (space.canonical(x) for x in smiles) if s))
    data = Dataset(designs, np.array([len(d) for d in designs], dtype=float), space)
    gen = make_generator("latent", method="cma", budget=64, batch=8, pretrained=str(res.folder), quality_samples=16,
                         finetune_steps=10)
    out = gen.propose(lambda ds: np.array([float(len(d)) for d in ds]), 8, data, np.random.default_rng(0))
    assert gen.vae.meta["step"] == 20 and gen.vae.latent_dim == 8  # the pre-trained one, not a fresh fit
    assert gen.vae.meta["finetune"]["settings"]["steps"] == 10 and "latent_recon_train" in gen.quality
    assert len(out) >= 8 and space.is_valid(out[:8]).all()
    assert gen.quality["latent_prior_validity"] >= 0.5  # an all-end-token decode is empty (invalid)
    pytest.importorskip("torch_geometric")
    graph = make_generator("latent", method="cma", budget=32, batch=8, pretrained=str(res.folder), quality_samples=8,
                           encoder="graph", graph_epochs=2, finetune_steps=0)
    out = graph.propose(lambda ds: np.array([float(len(d)) for d in ds]), 8, data, np.random.default_rng(0))
    assert type(graph.vae).__name__ == "GraphVAE" and graph.vae.vae.meta["step"] == 20 and len(out) >= 8
    with pytest.raises(InvalidInputError, match="encoder must be"):
        make_generator("latent", encoder="tree")


def test_bad_library_and_cli(library, tmp_path, monkeypatch, capsys):
    with pytest.raises(InvalidInputError, match="neither a dataset id"):
        pretrain(PretrainConfig(library=str(tmp_path / "missing.smi")), root=tmp_path)
    with pytest.raises(InvalidInputError, match="usable molecules"):
        pretrain(PretrainConfig(library=library, **dict(TINY, heldout=1000)), root=tmp_path)
    monkeypatch.setenv("SEQMBO_CACHE_DIR", str(tmp_path))
    assert main(["pretrain", library, "--max-steps", "4", "--hidden", "16", "--latent-dim", "4", "--heldout", "20", "-q"]) == 0
    assert "steps 4/4, complete" in capsys.readouterr().out
    assert main(["pretrain", library, "--max-minutes", "0"]) == 2
    assert "--max-minutes must be positive" in capsys.readouterr().err


def test_auto_skips_a_cached_vae_that_reconstructs_poorly(library, tmp_path, monkeypatch):
    from seqmbo.encoders import pretrained as pt
    from seqmbo.generators.latent import AUTO_MIN_RECON, LatentConfig, load_vae

    res = pretrain(PretrainConfig(library=library, max_steps=6, **TINY), root=tmp_path, eval_every=3)
    vae = load_pretrained(folder=res.folder)
    monkeypatch.setattr(pt, "load_pretrained", lambda **kw: vae)
    space = MoleculeSpace.from_smiles(read_smiles_file(library)[:20], skip_invalid=True)
    vae.meta["curve"][-1]["heldout_recon"] = AUTO_MIN_RECON - 0.01  # a barely trained model: not used
    assert load_vae(LatentConfig(pretrained="auto"), space) is None
    vae.meta["curve"][-1]["heldout_recon"] = AUTO_MIN_RECON  # a good enough one is
    assert load_vae(LatentConfig(pretrained="auto"), space) is vae
    assert load_vae(LatentConfig(pretrained=str(res.folder)), space).meta["step"] == 6  # named: used as it is
