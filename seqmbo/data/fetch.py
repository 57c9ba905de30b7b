"""Finding dataset files locally, downloading them with a checksum, and verifying copies.

Lookup order for ``<folder>/<file>`` of a registered dataset:

1. ``$SEQMBO_DATA_DIR/<folder>/<file>`` — a mirror (CI points it at a shared copy);
2. the user cache, ``$SEQMBO_CACHE_DIR`` or ``~/.cache/seqmbo``;
3. the checkout's ``data/`` folder (git-ignored).

A file is used only if its sha256 matches the registry.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from seqmbo.data.registry import DataFile, DatasetInfo, get_dataset_info
from seqmbo.errors import DataMissingError, InvalidInputError


def search_dirs() -> list[tuple[str, Path]]:
    """The folders searched for datasets, in order, each with a label for messages."""
    dirs: list[tuple[str, Path]] = []
    mirror = os.environ.get("SEQMBO_DATA_DIR")
    if mirror:
        dirs.append(("$SEQMBO_DATA_DIR", Path(mirror).expanduser()))
    dirs.append(("cache", cache_dir()))
    checkout_data = Path(__file__).resolve().parents[2] / "data"
    if checkout_data.is_dir():
        dirs.append(("checkout data/", checkout_data))
    return dirs


def cache_dir() -> Path:
    """Where ``seqmbo data pull`` stores downloads: ``$SEQMBO_CACHE_DIR`` or ``~/.cache/seqmbo``."""
    env = os.environ.get("SEQMBO_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "seqmbo"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@lru_cache(maxsize=256)
def _checked_sha(path: str, size: int, mtime_ns: int) -> str:
    return sha256_of(Path(path))


def _matches(path: Path, f: DataFile) -> bool:
    st = path.stat()
    return _checked_sha(str(path), st.st_size, st.st_mtime_ns) == f.sha256


def locate(dataset_id: str, filename: str) -> Path:
    """The local path of a registered dataset file whose sha256 matches the registry.

    Raises:
        DataMissingError: naming the file, its sha256, its source address and where to put it
            (or which local copy has the wrong checksum).
    """
    info = get_dataset_info(dataset_id)
    f = info.file(filename)
    looked = []
    wrong = []
    for label, base in search_dirs():
        path = base / info.dir_name / f.name
        looked.append(f"{path} ({label})")
        if path.is_file():
            if _matches(path, f):
                return path
            wrong.append(str(path))
    msg = [f"dataset {info.id!r}: file {f.name!r} (sha256 {f.sha256}) is not available locally."]
    if wrong:
        msg.append(f"A copy with the wrong sha256 is at: {', '.join(wrong)}.")
    msg.append(f"Looked in: {'; '.join(looked)}.")
    msg.append(
        f"Get it with `seqmbo data pull {info.id}` (needs network), or download {f.url} and put it at "
        f"$SEQMBO_DATA_DIR/{info.dir_name}/{f.name}."
    )
    raise DataMissingError(" ".join(msg))


def is_present(dataset_id: str) -> bool:
    """Whether every file of the dataset is available locally with the right checksum."""
    try:
        for f in get_dataset_info(dataset_id).files:
            locate(dataset_id, f.name)
    except DataMissingError:
        return False
    return True


def pull(dataset_id: str, dest: Path | None = None) -> list[Path]:
    """Download the files of a dataset that are not available locally, checking sha256.

    Args:
        dataset_id: a registered dataset id.
        dest: the base folder to download into (default :func:`cache_dir`).

    Returns:
        The local paths of all the dataset's files.
    """
    import pooch

    info = get_dataset_info(dataset_id)
    base = Path(dest) if dest is not None else cache_dir()
    paths = []
    for f in info.files:
        try:
            paths.append(locate(dataset_id, f.name))
            continue
        except DataMissingError:
            pass
        target = base / info.dir_name
        try:
            got = pooch.retrieve(
                f.url, known_hash=f"sha256:{f.sha256}", fname=f.name, path=target, progressbar=False
            )
        except ValueError as e:  # pooch's checksum mismatch
            raise InvalidInputError(f"dataset {info.id!r}: download of {f.url} failed its sha256 check: {e}") from None
        except Exception as e:  # network errors of many kinds
            raise DataMissingError(
                f"dataset {info.id!r}: could not download {f.name} from {f.url} ({type(e).__name__}: {e}). "
                f"Download it by hand and put it at $SEQMBO_DATA_DIR/{info.dir_name}/{f.name} "
                f"(sha256 {f.sha256})."
            ) from None
        paths.append(Path(got))
    return paths


def verify(dataset_id: str) -> list[tuple[DataFile, Path | None, str]]:
    """Check each local copy of a dataset's files: ``(file, path or None, "ok"|"missing"|"bad sha256")``."""
    info: DatasetInfo = get_dataset_info(dataset_id)
    out = []
    for f in info.files:
        found: tuple[Path | None, str] = (None, "missing")
        for _, base in search_dirs():
            path = base / info.dir_name / f.name
            if path.is_file():
                found = (path, "ok" if sha256_of(path) == f.sha256 else "bad sha256")
                if found[1] == "ok":
                    break
        out.append((f, found[0], found[1]))
    return out
