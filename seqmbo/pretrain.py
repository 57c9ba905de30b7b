"""``seqmbo pretrain``: build (or resume) the cached molecule VAE ahead of a run.

The work is :func:`seqmbo.encoders.pretrained.pretrain`; this module is its command line.
"""

from __future__ import annotations

import argparse
import json
import sys

from seqmbo.errors import InvalidInputError


def add_parser(sub) -> None:
    """Add the ``pretrain`` subcommand to the ``seqmbo`` parser's subparsers ``sub``."""
    from seqmbo.encoders.pretrained import PretrainConfig

    d = PretrainConfig()
    p = sub.add_parser("pretrain", help="pre-train the molecule VAE of latent search on a SMILES library (cached)")
    p.add_argument("library", nargs="?", default=d.library, help=f"a dataset id or SMILES file (default: {d.library})")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop after this many minutes; a later call resumes from the checkpoint")
    p.add_argument("--max-steps", type=int, default=d.max_steps, help=f"steps of a complete pre-training ({d.max_steps})")
    p.add_argument("--max-molecules", type=int, default=d.max_molecules, help="a random subset of the library (0: all)")
    p.add_argument("--heldout", type=int, default=d.heldout, help=f"molecules held out to measure reconstruction ({d.heldout})")
    p.add_argument("--latent-dim", type=int, default=d.latent_dim)
    p.add_argument("--hidden", type=int, default=d.hidden)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--beta", type=float, default=d.beta, help=f"final KL weight ({d.beta})")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"))
    p.add_argument("--cache", default=None, help="cache root (default: $SEQMBO_CACHE_DIR or ~/.cache/seqmbo)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output, errors only")
    p.add_argument("--verbose", "-v", action="store_true", help="log each point of the learning curve")
    p.set_defaults(func=command)


def command(args: argparse.Namespace) -> int:
    """Run the pre-training of ``args`` and print where it lives and its learning curve's last point."""
    from pathlib import Path

    import torch

    from seqmbo.encoders.pretrained import PretrainConfig, pretrain

    if args.max_minutes is not None and args.max_minutes <= 0:
        raise InvalidInputError(f"--max-minutes must be positive, got {args.max_minutes}")
    config = PretrainConfig(library=args.library, max_steps=args.max_steps, max_molecules=args.max_molecules, heldout=args.heldout,
                            latent_dim=args.latent_dim, hidden=args.hidden, batch_size=args.batch_size,
                            beta=args.beta, seed=args.seed)
    device = ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    res = pretrain(config, max_minutes=args.max_minutes, root=Path(args.cache) if args.cache else None, device=device)
    last = res.curve[-1] if res.curve else {}
    state = "complete" if res.done else "partial (run again to resume)"
    sys.stdout.write(f"{res.folder}\nsteps {res.step}/{config.max_steps}, {state}; last point: {json.dumps(last)}\n")
    return 0
