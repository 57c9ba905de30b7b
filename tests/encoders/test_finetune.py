"""Fine-tuning a pre-trained molecule VAE on offline molecules: recon rises, the cache, sampled decoding."""

import numpy as np
import pytest
import torch

from seqmbo.encoders.finetune import FinetuneConfig, cache_key, finetune
from seqmbo.encoders.pretrained import PretrainConfig, pretrain
from seqmbo.encoders.quality import recon_accuracy
from seqmbo.errors import InvalidInputError
from seqmbo.generators.latent_search import LatentObjective, reencoded
from seqmbo.tasks.molecule_tasks import nci_path, read_smiles_file


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    """A tiny VAE pre-trained briefly on 300 NCI molecules, and the 12 shortest of 300 other NCI molecules."""
    smiles = read_smiles_file(nci_path())
    path = tmp_path_factory.mktemp("lib") / "nci300.smi"
    path.write_text("\n".join(smiles[:300]) + "\n")
    cfg = PretrainConfig(library=str(path), latent_dim=8, hidden=32, batch_size=32, heldout=20, warmup_steps=10,
                         max_molecules=0, max_steps=60)
    vae = pretrain(cfg, root=tmp_path_factory.mktemp("root")).vae
    from seqmbo.encoders.vae import encodable

    others = [vae.space.canonical(s) for s in smiles[300:600]]
    others = [s for s in dict.fromkeys(o for o in others if o) if encodable(vae.space, [s])[0]]
    return vae, sorted(others, key=len)[:12]


def _weights(vae) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in vae.net.parameters()])


def test_finetuning_raises_recon_of_its_molecules_and_is_cached(pretrained, tmp_path):
    vae, mols = pretrained
    before, weights = recon_accuracy(vae, mols), _weights(vae).clone()
    cfg = FinetuneConfig(steps=100, lr=1e-2, batch_size=12)
    tuned = finetune(vae, mols, cfg, root=tmp_path)
    after = recon_accuracy(tuned, mols)
    # measured: 0.00 -> 1.00 at 150 steps (a 60-step pre-training reconstructs none of them)
    assert before <= 0.1 and after >= 0.75
    assert torch.equal(_weights(vae), weights)  # the pre-trained VAE is left unchanged
    assert tuned.meta["finetune"]["recon_nats_last"] < tuned.meta["finetune"]["recon_nats_first"]
    folder = tmp_path / "finetuned" / cache_key(vae, mols, cfg)
    assert (folder / "weights.pt").is_file()
    again = finetune(vae, list(reversed(mols)) + mols[:3], cfg, root=tmp_path)  # order and repeats: same key
    assert torch.equal(_weights(again), _weights(tuned)) and again.meta["finetune"] == tuned.meta["finetune"]
    assert cache_key(vae, mols, FinetuneConfig(steps=151)) != cache_key(vae, mols, cfg)
    with pytest.raises(InvalidInputError, match="at least 2 distinct"):
        finetune(vae, mols[:1] * 3, cfg, root=tmp_path)
    with pytest.raises(InvalidInputError, match="steps"):
        finetune(vae, mols, FinetuneConfig(steps=0), root=tmp_path)


def test_sampled_decoding_and_the_best_of_several_designs(pretrained):
    vae, mols = pretrained
    z = vae.encode(mols[:8])
    assert vae.decode(z) == vae.decode(z, temperature=0.0)
    draw = lambda seed: vae.decode(z, 1.0, torch.Generator().manual_seed(seed))  # noqa: E731
    assert draw(1) == draw(1) and draw(1) != draw(2)
    reward = lambda ds: np.array([-float(len(d)) for d in ds])  # noqa: E731
    one = LatentObjective(vae, reward)
    four = LatentObjective(vae, reward, samples=4, generator=torch.Generator().manual_seed(0))
    r1, r4 = one(z), four(z)
    assert one.evaluations == four.evaluations == 8 and len(four.pool) > len(one.pool)
    assert (r4 >= r1).all() and (r4 > r1).any()
    assert [-len(d) for d in four.best] == r4.tolist() and one.best == vae.decode(z)


def test_bo_codes_are_replaced_by_the_codes_of_the_designs_they_scored(pretrained):
    vae, mols = pretrained
    z = vae.encode(mols[:6]) + np.random.default_rng(0).normal(0, 0.5, (6, vae.latent_dim))
    lo, hi = z.min(0) - 1.0, z.max(0) + 1.0
    worst = lambda ds: np.array([np.nan if i == 0 else -float(len(d)) for i, d in enumerate(ds)])  # noqa: E731
    obj = LatentObjective(vae, worst)
    obj(z)
    x = (z - lo) / (hi - lo)
    out = reencoded(obj, x, (lo, hi))
    scored = np.isfinite([obj.pool[d] for d in obj.best])
    assert not scored.all() and scored.any()
    assert np.array_equal(out[~scored], x[~scored])  # an invalid design keeps its code
    own = np.clip((vae.encode([d for d, s in zip(obj.best, scored) if s]) - lo) / (hi - lo), 0, 1)
    assert np.allclose(out[scored], own) and not np.allclose(out[scored], x[scored])
