"""Builder of molecule tasks: a SMILES library labelled by an RDKit oracle, split offline.

A ``molecules`` spec::

    name = "zinc-osimertinib"
    kind = "molecules"
    library = "zinc250k"          # a dataset id, "nci" (built into RDKit), or a SMILES file path
    oracle = "osimertinib_mpo"    # a molecule oracle name
    max_percentile = 50           # offline set: library molecules scoring <= this percentile
    n_candidates = 128
    subsample = 20000             # optional: this many random library molecules (seeded)
    subsample_seed = 0
    standardize = ["largest_fragment", "neutralize"]   # optional, in this order
    organic_only = false          # keep only atoms SELFIES constrains (H B C N O F P S Cl Br I)
    max_heavy_atoms = 50          # optional validity limits of the space
    max_selfies_length = 100

The library is read, subsampled, canonicalised (RDKit, after the standardization steps),
de-duplicated and filtered (unparsable, empty, over the limits, not writable as SELFIES), then
labelled by the oracle (molecules it cannot score are dropped); every drop is counted in the log.
Labelled libraries are cached in the user cache (``molecule_tasks/``), keyed by the library's
identity and every setting above, so a second run starts at once.

Normalization: an oracle bounded in [0, 1] (QED, the GuacaMol objectives) keeps y_min = 0 and
y_max = 1; others use the min and max over the labelled library. An oracle to minimise (``sa``)
is negated, so that higher is better everywhere.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import os
import re
import tarfile
from pathlib import Path

import numpy as np

from seqmbo.data.dataset import Dataset
from seqmbo.errors import InvalidInputError, SeqmboError, UnknownNameError
from seqmbo.oracles.base import SealedOracle
from seqmbo.tasks.base import Task, check_keys, percentile_split, spec_path

log = logging.getLogger(__name__)

MOLECULE_KEYS = {
    "library", "oracle", "max_percentile", "subsample", "subsample_seed", "standardize",
    "organic_only", "max_heavy_atoms", "max_selfies_length",
}
_CACHE_VERSION = 1
_SPLIT = re.compile(r"[\s,]")


class NegatedOracle:
    """``-oracle(designs)``: turns a score to minimise into one to maximise."""

    def __init__(self, oracle) -> None:
        self.oracle = oracle
        self.name = f"-{getattr(oracle, 'name', 'oracle')}"

    def __call__(self, designs):
        return -np.asarray(self.oracle(designs), dtype=np.float64)


def nci_path() -> Path:
    """The 5,000 NCI molecules shipped inside the RDKit wheel (``Data/NCI/first_5K.smi``)."""
    from rdkit import RDConfig

    return Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"


def read_smiles_file(path: str | Path) -> list[str]:
    """SMILES from a file, one a line (the first whitespace- or comma-separated field).

    Plain text, gzip, or a (gzipped) TAR holding one text file are read. Blank lines and lines
    starting with ``#`` are skipped, and so is a header line whose first field is ``smiles``.
    """
    from seqmbo.data.readers import check_readable

    p = check_readable(path)
    try:
        if tarfile.is_tarfile(p):
            with tarfile.open(p) as tf:
                members = [m for m in tf.getmembers() if m.isfile()]
                if len(members) != 1:
                    raise InvalidInputError(f"{path}: a TAR library must hold exactly one file, found {len(members)}")
                raw = tf.extractfile(members[0]).read()  # type: ignore[union-attr]
        else:
            with open(p, "rb") as fh:
                raw = fh.read()
            if raw[:2] == b"\x1f\x8b":
                raw = gzip.decompress(raw)
        text = raw.decode("utf-8")
    except (OSError, EOFError, tarfile.TarError, UnicodeDecodeError) as e:
        raise InvalidInputError(f"{path}: cannot be read as a SMILES file ({e})") from None
    out = []
    for line in io.StringIO(text):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        out.append(_SPLIT.split(line, maxsplit=1)[0])
    if out and out[0].lower() in ("smiles", "smi"):
        out = out[1:]
    if not out:
        raise InvalidInputError(f"{path}: no SMILES found")
    return out


def _library(spec: dict, where: str) -> tuple[list[str], str, str]:
    """The library's SMILES, a description, and an identity string for the cache key."""
    from seqmbo.data.registry import DATASETS

    lib = spec.get("library")
    if not isinstance(lib, str) or not lib:
        raise InvalidInputError(f"{where}: a molecules task needs 'library' (a dataset id, \"nci\" or a SMILES file)")
    if lib == "nci":
        p = nci_path()
        if not p.is_file():
            raise InvalidInputError(f"{where}: this RDKit installation lacks {p}")
        return read_smiles_file(p), "NCI first 5K (RDKit data)", f"nci:{_file_identity(p)}"
    if lib in DATASETS:
        from seqmbo.data.fetch import locate

        f = DATASETS[lib].files[0]
        return read_smiles_file(locate(lib, f.name)), lib, f"dataset:{lib}:{f.sha256}"
    p = spec_path(spec, lib)
    if not p.is_file():
        raise InvalidInputError(
            f"{where}: library {lib!r} is neither a dataset id ({', '.join(sorted(DATASETS))}), \"nci\", "
            f"nor a SMILES file (no file at {p})"
        )
    return read_smiles_file(p), str(p), f"file:{_file_identity(p)}"


def _file_identity(p: Path) -> str:
    st = p.stat()
    return f"{p.resolve()}:{st.st_size}:{st.st_mtime_ns}"


def _oracle(spec: dict, where: str):
    """The molecule oracle of the spec (negated when it minimises) and its bounds (``None`` when negated)."""
    from seqmbo.oracles.molecules import get_molecule_oracle

    name = spec.get("oracle")
    if not isinstance(name, str):
        raise InvalidInputError(f"{where}: a molecules task needs 'oracle' (a molecule oracle name)")
    try:
        oracle = get_molecule_oracle(name)
    except UnknownNameError as e:
        raise UnknownNameError(f"{where}: {e.args[0]}") from None
    if not oracle.maximize:
        return NegatedOracle(oracle), None
    return oracle, oracle.bounds


def _options(spec: dict, where: str) -> dict:
    std = spec.get("standardize", [])
    std = [std] if isinstance(std, str) else list(std)

    def positive(key):
        v = spec.get(key)
        if v is None:
            return None
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise InvalidInputError(f"{where}: {key} must be a positive whole number, got {v!r}")
        return v

    return {
        "standardize": std,
        "organic_only": bool(spec.get("organic_only", False)),
        "max_heavy_atoms": positive("max_heavy_atoms"),
        "max_selfies_length": positive("max_selfies_length"),
        "subsample": positive("subsample"),
        "subsample_seed": int(spec.get("subsample_seed", 0)),
    }


def constrained(smiles: str) -> bool:
    """Whether every atom of the molecule has a SELFIES semantic constraint (element and charge).

    Over such atoms every SELFIES decodes to a molecule RDKit accepts; unconstrained atoms
    (metals, Si, Se, unusual charges) fall back to 8 bonds, which RDKit may reject.
    """
    import selfies as sf

    from seqmbo.spaces.molecule import parse_smiles

    table = sf.get_semantic_constraints()
    mol = parse_smiles(smiles)
    if mol is None:
        return False
    for atom in mol.GetAtoms():
        q = atom.GetFormalCharge()
        key = atom.GetSymbol() + (f"{q:+d}" if q else "")
        if key not in table or atom.GetNumRadicalElectrons():
            return False
    return True


def prepare_library(spec: dict, where: str) -> dict:
    """Read, subsample, canonicalise, de-duplicate and filter the library (cached; oracle-free).

    Returns a dict with ``designs`` (canonical SMILES), ``selfies`` (their SELFIES), ``source``,
    ``n_read`` and ``dropped`` (the drop reasons with counts).
    """
    from seqmbo.spaces.molecule import MoleculeSpace

    opts = _options(spec, where)
    smiles, source, identity = _library(spec, where)
    key = _key({"v": _CACHE_VERSION, "library": identity, **opts})
    cached = _cache_load(key)
    if cached is not None:
        return cached
    n_read = len(smiles)
    if opts["subsample"] is not None and opts["subsample"] < n_read:
        rng = np.random.default_rng(opts["subsample_seed"])
        idx = np.sort(rng.choice(n_read, size=opts["subsample"], replace=False))
        smiles = [smiles[i] for i in idx]
    probe = MoleculeSpace(("[C]",), 1, opts["max_selfies_length"] or 10_000, tuple(opts["standardize"]),
                          opts["max_heavy_atoms"], opts["max_selfies_length"])
    prepared = probe.prepare(smiles)
    drops = [prepared.summary()] if prepared.dropped else []
    seen: set[str] = set()
    keep = []
    n_dup = n_unconstrained = 0
    for j, s in enumerate(prepared.smiles):
        if s in seen:
            n_dup += 1
            continue
        seen.add(s)
        if opts["organic_only"] and not constrained(s):
            n_unconstrained += 1
            continue
        keep.append(j)
    drops += [f"{c} {why}" for c, why in ((n_dup, "duplicates"), (n_unconstrained, "with atoms outside SELFIES' constraints")) if c]
    data = {
        "designs": [prepared.smiles[j] for j in keep], "selfies": ["".join(prepared.tokens[j]) for j in keep],
        "source": source, "n_read": n_read, "n_used": len(smiles), "dropped": "; ".join(drops), "key": key,
    }
    _cache_save(key, data)
    return data


def label_library(spec: dict, where: str, oracle) -> tuple[dict, np.ndarray]:
    """The prepared library (see :func:`prepare_library`) and its oracle scores (both cached)."""
    lib = prepare_library(spec, where)
    key = _key({"v": _CACHE_VERSION, "prepared": lib["key"], "oracle": getattr(oracle, "name", repr(oracle))})
    cached = _cache_load(key)
    if cached is not None:
        return lib, np.array(cached["y"], dtype=np.float64)  # null -> nan
    y = np.asarray(oracle(lib["designs"]), dtype=np.float64)
    _cache_save(key, {"y": [float(v) if np.isfinite(v) else None for v in y]})
    return lib, y


def _key(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]


def _cache_path(key: str) -> Path:
    from seqmbo.data.fetch import cache_dir

    return cache_dir() / "molecule_tasks" / f"{key}.json.gz"


def _cache_load(key: str) -> dict | None:
    p = _cache_path(key)
    try:
        data = json.loads(gzip.decompress(p.read_bytes()))
    except (OSError, ValueError, EOFError):
        return None
    return data


def _cache_save(key: str, data: dict) -> None:
    p = _cache_path(key)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(gzip.compress(json.dumps(data).encode(), 6))
        os.replace(tmp, p)
    except OSError as e:  # a read-only cache only costs time
        log.debug("could not cache the labelled library at %s: %s", p, e)
        tmp.unlink(missing_ok=True)


def offline_space(spec: dict, where: str, selfies: list[str]):
    """The task's space, built from the SELFIES of the offline rows only.

    Vocabulary, maximum length and length weights come from the designs a run may see, so no
    generator's prior (random lengths, tokens) carries information about the held-out rows. It
    equals ``MoleculeSpace.from_smiles(offline designs, <the spec's options>)``.
    """
    import selfies as sf

    from seqmbo.spaces.molecule import MoleculeSpace

    opts = _options(spec, where)
    return MoleculeSpace.from_tokens(
        (list(sf.split_selfies(t)) for t in selfies), standardize=opts["standardize"],
        max_heavy_atoms=opts["max_heavy_atoms"], max_selfies_length=opts["max_selfies_length"],
    )


def build_molecules(spec: dict) -> Task:
    """A molecule task: library labelled by an RDKit oracle, Design-Bench's percentile split.

    Normalization uses the whole labelled library (the benchmark protocol); everything a run
    sees -- the offline :class:`Dataset` and the space (see :func:`offline_space`) -- holds only
    the rows at or below the split.
    """
    where = spec.get("_path", spec["name"])
    check_keys(spec, MOLECULE_KEYS, where)
    oracle, bounds = _oracle(spec, where)
    pct = spec.get("max_percentile", 50)
    if isinstance(pct, bool) or not isinstance(pct, (int, float)):
        raise InvalidInputError(f"{where}: max_percentile must be a number, got {pct!r}")
    try:
        lib, y = label_library(spec, where, oracle)
    except SeqmboError:
        raise
    except (OSError, ValueError) as e:
        raise InvalidInputError(f"{where}: cannot build the library ({e})") from None
    ok = np.isfinite(y)
    dropped = lib["dropped"] + (f"; {int((~ok).sum())} the oracle could not score" if not ok.all() else "")
    if dropped:
        log.info("%s: library %s: kept %d of %d molecules; dropped %s", where, lib["source"], int(ok.sum()),
                 lib["n_used"], dropped.lstrip("; "))
    if ok.sum() < 2:
        raise InvalidInputError(f"{where}: library {lib['source']} has {int(ok.sum())} usable molecules; need at least 2")
    designs = [d for d, k in zip(lib["designs"], ok) if k]
    selfies = [t for t, k in zip(lib["selfies"], ok) if k]
    y = y[ok]
    if bounds is not None and tuple(bounds) == (0.0, 1.0):
        y_min, y_max = 0.0, 1.0
    else:
        y_min, y_max = float(y.min()), float(y.max())
    mask = percentile_split(y, float(pct))
    space = offline_space(spec, where, [t for t, k in zip(selfies, mask) if k])
    info = {"source": lib["source"], "n_read": lib["n_read"], "n_library": len(designs), "dropped": dropped.lstrip("; ")}
    offline = Dataset([d for d, k in zip(designs, mask) if k], y[mask], space,
                      f"{spec['name']} offline (score <= {pct}th percentile)", info)
    (oracle.oracle if isinstance(oracle, NegatedOracle) else oracle).parse = space.mol  # reuse the run's molecules
    return Task(
        name=spec["name"], kind="molecules", space=space, dataset=offline, oracle=SealedOracle(oracle),
        y_min=y_min, y_max=y_max, n_candidates=int(spec.get("n_candidates", 128)), oracle_kind="rdkit", spec=spec,
    )
