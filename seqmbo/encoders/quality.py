"""How good a latent encoder is: exact reconstruction, and what its prior decodes to."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def recon_accuracy(vae, designs: Sequence[str]) -> float:
    """Fraction of ``designs`` that ``decode(encode(x))`` gives back exactly (mean codes, greedy decoding).

    For molecules the comparison is on canonical SMILES (what the space's ``decode`` returns).
    """
    designs = list(designs)
    if not designs:
        return float("nan")
    back = vae.decode(vae.encode(designs))
    canonical = getattr(vae.space, "canonical", None)
    want = [canonical(d) for d in designs] if callable(canonical) else designs
    return float(np.mean([a == b for a, b in zip(back, want)]))


def prior_quality(vae, n: int, rng: np.random.Generator, reference: Sequence[str] = ()) -> dict[str, float]:
    """Validity, uniqueness and novelty of ``n`` designs decoded from prior codes (MOSES definitions).

    Returns:
        ``{"validity": valid / n, "uniqueness": distinct valid / valid,
        "novelty": distinct valid not in ``reference`` / distinct valid}`` (``nan`` where undefined).
    """
    designs = vae.sample_prior(n, rng)
    valid = [d for d, ok in zip(designs, vae.space.is_valid(designs)) if ok]
    distinct = set(valid)
    ref = set(reference)
    canonical = getattr(vae.space, "canonical", None)
    if callable(canonical):
        ref = {canonical(d) for d in ref}
    return {
        "validity": len(valid) / n if n else float("nan"),
        "uniqueness": len(distinct) / len(valid) if valid else float("nan"),
        "novelty": len(distinct - ref) / len(distinct) if distinct else float("nan"),
    }
