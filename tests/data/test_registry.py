import hashlib

import pytest

from seqmbo.data import fetch
from seqmbo.data.registry import DATASETS, get_dataset_info
from seqmbo.errors import DataMissingError, UnknownNameError
from tests.conftest import require_dataset


def test_registry_has_the_manifest_datasets_with_provenance():
    assert {"tfbind8", "tfbind8-raw", "utr", "gfp", "gb1", "zinc250k"} <= set(DATASETS)
    for info in DATASETS.values():
        assert info.licence and info.citation and info.source
        for f in info.files:
            assert len(f.sha256) == 64 and int(f.sha256, 16) >= 0
            assert f.url.startswith("https://")
    assert len(get_dataset_info("utr").files) == 28


def test_unknown_dataset():
    with pytest.raises(UnknownNameError, match="unknown dataset 'nope'.*tfbind8"):
        get_dataset_info("nope")


def test_missing_file_message_names_file_sha_source_and_place(monkeypatch, tmp_path):
    monkeypatch.setenv("SEQMBO_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(fetch, "search_dirs", lambda: [("$SEQMBO_DATA_DIR", tmp_path)])
    info = get_dataset_info("gb1")
    with pytest.raises(DataMissingError) as e:
        fetch.locate("gb1", "full_landscape.csv")
    msg = str(e.value)
    assert "full_landscape.csv" in msg and info.files[0].sha256 in msg and info.files[0].url in msg
    assert "$SEQMBO_DATA_DIR/gb1/full_landscape.csv" in msg


def test_wrong_checksum_is_not_used(monkeypatch, tmp_path):
    (tmp_path / "gb1").mkdir()
    (tmp_path / "gb1" / "full_landscape.csv").write_text("sequence,fitness\nVDGV,1.0\n")
    monkeypatch.setattr(fetch, "search_dirs", lambda: [("$SEQMBO_DATA_DIR", tmp_path)])
    with pytest.raises(DataMissingError, match="wrong sha256"):
        fetch.locate("gb1", "full_landscape.csv")
    [(f, path, status)] = fetch.verify("gb1")
    assert status == "bad sha256" and path == tmp_path / "gb1" / "full_landscape.csv"


def test_pull_uses_pooch_with_the_registered_checksum(monkeypatch, tmp_path):
    import pooch

    calls = []

    def fake_retrieve(url, known_hash, fname, path, progressbar):
        calls.append((url, known_hash, fname, str(path)))
        raise OSError("no network here")

    monkeypatch.setattr(fetch, "search_dirs", lambda: [("cache", tmp_path)])
    monkeypatch.setattr(pooch, "retrieve", fake_retrieve)
    with pytest.raises(DataMissingError, match="could not download full_landscape.csv"):
        fetch.pull("gb1", tmp_path)
    info = get_dataset_info("gb1")
    assert calls == [(info.files[0].url, f"sha256:{info.files[0].sha256}", "full_landscape.csv", str(tmp_path / "gb1"))]


def test_mirror_lookup_and_verify():
    require_dataset("tfbind8")
    p = fetch.locate("tfbind8", "tf_bind_8-y-0.npy")
    assert hashlib.sha256(p.read_bytes()).hexdigest() == get_dataset_info("tfbind8").file("tf_bind_8-y-0.npy").sha256
    assert all(status == "ok" for _, _, status in fetch.verify("tfbind8"))
    # the raw table lives in the same mirror folder as the processed files
    assert fetch.locate("tfbind8-raw", "SIX6_REF_R1_8mers.txt").parent == p.parent
