"""Barrera et al. 8-mer tables: validation, and the exact Design-Bench TFBind8 construction.

The reproduction tests need the data mirror: set ``SEQMBO_DATA_DIR`` to a folder holding
``tfbind8/SIX6_REF_R1_8mers.txt`` and ``tfbind8/tf_bind_8-{x,y}-0.npy``; otherwise they skip.
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import numpy as np
import pytest

from seqmbo.data.barrera import (
    ALPHABET,
    barrera_landscape,
    barrera_table,
    read_barrera_8mers,
)
from seqmbo.errors import InvalidInputError

HEADER = "8-mer\t8-mer\tE-score\tMedian\tZ-score"
RAW_NAME = "SIX6_REF_R1_8mers.txt"


# ----------------------------------------------------------------------------- data mirror


@pytest.fixture(scope="module")
def tfbind8_dir() -> Path:
    root = os.environ.get("SEQMBO_DATA_DIR")
    if not root:
        pytest.skip("SEQMBO_DATA_DIR is not set; it must point at the data mirror holding tfbind8/")
    folder = Path(root) / "tfbind8"
    needed = [RAW_NAME, "tf_bind_8-x-0.npy", "tf_bind_8-y-0.npy"]
    missing = [n for n in needed if not (folder / n).is_file()]
    if missing:
        pytest.skip(f"SEQMBO_DATA_DIR={root} lacks tfbind8/{', tfbind8/'.join(missing)}")
    return folder


@pytest.fixture(scope="module")
def design_bench(tfbind8_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    return np.load(tfbind8_dir / "tf_bind_8-x-0.npy"), np.load(tfbind8_dir / "tf_bind_8-y-0.npy")


@pytest.fixture(scope="module")
def built(tfbind8_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    return barrera_landscape(tfbind8_dir / RAW_NAME)


def _strings(x: np.ndarray) -> list[str]:
    return ["".join(ALPHABET[t] for t in row) for row in x]


def test_landscape_reproduces_design_bench_x_exactly(built, design_bench) -> None:
    x, _ = built
    x_ref, _ = design_bench
    assert x.dtype == x_ref.dtype == np.int32
    assert x.shape == x_ref.shape == (65_792, 8)
    np.testing.assert_array_equal(x, x_ref)


def test_landscape_reproduces_design_bench_y_bit_for_bit(built, design_bench) -> None:
    _, y = built
    _, y_ref = design_bench
    assert y.dtype == y_ref.dtype == np.float32
    assert y.shape == y_ref.shape == (65_792, 1)
    assert y.tobytes() == y_ref.tobytes()
    assert y.min() == 0.0 and y.max() == 1.0


def test_design_bench_rows_are_the_file_column_then_its_reverse_complement_column(tfbind8_dir, design_bench) -> None:
    frame = read_barrera_8mers(tfbind8_dir / RAW_NAME)
    assert len(frame) == 32_896
    assert list(frame.columns) == ["kmer", "reverse_complement", "E-score", "Median", "Z-score"]
    seqs = _strings(design_bench[0])
    assert seqs[:32_896] == frame["kmer"].tolist()
    assert seqs[32_896:] == frame["reverse_complement"].tolist()


def test_design_bench_duplicates_are_exactly_the_256_palindromes(design_bench) -> None:
    x_ref, y_ref = design_bench
    seqs = _strings(x_ref)
    counts: dict[str, int] = {}
    for s in seqs:
        counts[s] = counts.get(s, 0) + 1
    twice = {s for s, c in counts.items() if c > 1}
    palindromes = {s for s in counts if s == s[::-1].translate(str.maketrans("ACGT", "TGCA"))}
    assert len(counts) == 4**8
    assert set(counts.values()) == {1, 2}
    assert twice == palindromes and len(palindromes) == 256
    first = {s: i for i, s in reversed(list(enumerate(seqs)))}
    last = {s: i for i, s in enumerate(seqs)}
    for s in twice:  # one copy in each half, same label
        assert first[s] < 32_896 <= last[s]
        assert y_ref[first[s], 0] == y_ref[last[s], 0]


def test_other_columns_and_float32_arithmetic_do_not_reproduce_the_labels(tfbind8_dir, design_bench) -> None:
    y_ref = design_bench[1]
    for column in ("Median", "Z-score"):
        _, y = barrera_landscape(tfbind8_dir / RAW_NAME, column=column)
        assert np.abs(y - y_ref).max() > 0.5
    frame = read_barrera_8mers(tfbind8_dir / RAW_NAME)
    e32 = np.tile(frame["E-score"].to_numpy(np.float32), 2)
    y32 = ((e32 - e32.min()) / (e32.max() - e32.min())).reshape(-1, 1)
    assert not np.array_equal(y32, y_ref)  # the float64 normalization is what matches
    assert np.abs(y32 - y_ref).max() <= 6e-8


def test_table_has_every_8mer_once_in_lexicographic_order(tfbind8_dir, design_bench) -> None:
    sequences, scores = barrera_table(tfbind8_dir / RAW_NAME)
    assert len(sequences) == len(set(sequences)) == 65_536
    assert sequences == ["".join(p) for p in itertools.product(ALPHABET, repeat=8)]
    assert scores.dtype == np.float64 and scores.shape == (65_536,)
    lookup = dict(zip(sequences, scores.astype(np.float32)))
    x_ref, y_ref = design_bench
    got = np.array([lookup[s] for s in _strings(x_ref)], dtype=np.float32)
    assert got.tobytes() == y_ref[:, 0].tobytes()


# ----------------------------------------------------------------------------- small files


def _write(tmp_path: Path, lines: list[str], name: str = "T_REF_R1_8mers.txt") -> Path:
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return path


GOOD1 = "AAAAAAAA\tTTTTTTTT\t0.03000\t75038.19\t0.9096"
GOOD2 = "AAAAAAAC\tGTTTTTTT\t-0.12351\t65293.23\t0.2856"
PALINDROME = "AAAATTTT\tAAAATTTT\t0.40000\t90000.00\t5.0000"


def test_small_table_reads_and_builds_both_strands(tmp_path) -> None:
    path = _write(tmp_path, [HEADER, GOOD1, GOOD2, PALINDROME])
    frame = read_barrera_8mers(path)
    assert frame["kmer"].tolist() == ["AAAAAAAA", "AAAAAAAC", "AAAATTTT"]
    assert frame["E-score"].tolist() == [0.03, -0.12351, 0.4]
    x, y = barrera_landscape(path, require_complete=False)
    assert _strings(x) == ["AAAAAAAA", "AAAAAAAC", "AAAATTTT", "TTTTTTTT", "GTTTTTTT", "AAAATTTT"]
    e = np.array([0.03, -0.12351, 0.4])
    expected = ((e - e.min()) / (e.max() - e.min())).astype(np.float32)
    assert y.tobytes() == np.tile(expected, 2).reshape(-1, 1).tobytes()
    sequences, scores = barrera_table(path, require_complete=False)
    assert sequences == ["AAAAAAAA", "AAAAAAAC", "AAAATTTT", "GTTTTTTT", "TTTTTTTT"]
    np.testing.assert_array_equal(scores, ((e - e.min()) / (e.max() - e.min()))[[0, 1, 2, 1, 0]])


def test_headerless_file_uses_default_score_names(tmp_path) -> None:
    frame = read_barrera_8mers(_write(tmp_path, [GOOD1, GOOD2]))
    assert list(frame.columns) == ["kmer", "reverse_complement", "E-score", "Median", "Z-score"]
    assert len(frame) == 2


def test_incomplete_table_is_refused_unless_allowed(tmp_path) -> None:
    path = _write(tmp_path, [HEADER, GOOD1, GOOD2])
    with pytest.raises(InvalidInputError, match=r"covers 4 of the 65,536 8-mers"):
        barrera_landscape(path)
    with pytest.raises(InvalidInputError, match=r"covers 4 of the 65,536 8-mers"):
        barrera_table(path)


def test_unknown_column_and_constant_scores_are_refused(tmp_path) -> None:
    path = _write(tmp_path, [HEADER, GOOD1, GOOD2])
    with pytest.raises(InvalidInputError, match=r"no score column 'E_score'.*'E-score'"):
        barrera_landscape(path, column="E_score", require_complete=False)
    flat = _write(tmp_path, [HEADER, GOOD1, GOOD2.replace("-0.12351", "0.03000")], name="flat.txt")
    with pytest.raises(InvalidInputError, match=r"all 2 values of E-score equal"):
        barrera_table(flat, require_complete=False)


BAD_ROWS = {
    "missing column": ("AAAAAAAC\tGTTTTTTT\t-0.12351\t65293.23", r"4 tab-separated fields, expected 5"),
    "extra column": (GOOD2 + "\t1.0", r"6 tab-separated fields, expected 5"),
    "space instead of tab": ("AAAAAAAC GTTTTTTT -0.12351 65293.23 0.2856", r"1 tab-separated fields"),
    "letter outside ACGT": ("AAAAAANC\tGNTTTTTT\t-0.12351\t65293.23\t0.2856", r"'N' at position 7.*A, C, G, T"),
    "RNA letter": ("AAAAAAUC\tGATTTTTT\t-0.12351\t65293.23\t0.2856", r"'U' at position 7"),
    "k-mer too short": ("AAAAAAC\tGTTTTTT\t-0.12351\t65293.23\t0.2856", r"'AAAAAAC' has length 7, expected 8"),
    "k-mer too long": ("AAAAAAACA\tTGTTTTTTT\t-0.1\t65293.23\t0.2856", r"has length 9, expected 8"),
    "rc too short": ("AAAAAAAC\tGTTTTTT\t-0.12351\t65293.23\t0.2856", r"reverse-complement 8-mer .* length 7"),
    "not the reverse complement": (
        "AAAAAAAC\tCTTTTTTT\t-0.12351\t65293.23\t0.2856",
        r"'CTTTTTTT' is not the reverse complement of 'AAAAAAAC' \(expected 'GTTTTTTT'\)",
    ),
    "reverse instead of reverse complement": (
        "AAAAAAAC\tCAAAAAAA\t-0.12351\t65293.23\t0.2856",
        r"not the reverse complement",
    ),
    "non-numeric E-score": ("AAAAAAAC\tGTTTTTTT\tabc\t65293.23\t0.2856", r"E-score 'abc' is not a number"),
    "empty score": ("AAAAAAAC\tGTTTTTTT\t\t65293.23\t0.2856", r"E-score '' is not a number"),
    "NaN E-score": ("AAAAAAAC\tGTTTTTTT\tNaN\t65293.23\t0.2856", r"E-score is 'NaN'; scores must be finite"),
    "NaN median": ("AAAAAAAC\tGTTTTTTT\t-0.12351\tnan\t0.2856", r"Median is 'nan'"),
    "infinite Z-score": ("AAAAAAAC\tGTTTTTTT\t-0.12351\t65293.23\tinf", r"Z-score is 'inf'"),
    "duplicate 8-mer": (GOOD1.replace("0.03000", "0.5"), r"duplicate 8-mer 'AAAAAAAA', already listed on line 2"),
    "duplicate via reverse complement": (
        "TTTTTTTT\tAAAAAAAA\t0.03000\t75038.19\t0.9096",
        r"duplicate 8-mer 'TTTTTTTT', already listed on line 2",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_row_names_file_line_and_problem(tmp_path, case: str) -> None:
    row, problem = BAD_ROWS[case]
    path = _write(tmp_path, [HEADER, GOOD1, row, PALINDROME])
    with pytest.raises(InvalidInputError) as info:
        read_barrera_8mers(path)
    message = str(info.value)
    assert str(path) in message
    assert ": line 3: " in message
    assert re.search(problem, message), message


def test_bad_header_is_reported_on_line_1(tmp_path) -> None:
    path = _write(tmp_path, ["8-mer\t8-mer\tE-score\tMedian", GOOD1])
    with pytest.raises(InvalidInputError, match=r"line 1 \(header\): 4 tab-separated fields, expected 5"):
        read_barrera_8mers(path)
    path = _write(tmp_path, ["8-mer\t8-mer\tE-score\tE-score\tZ-score", GOOD1], name="dup_header.txt")
    with pytest.raises(InvalidInputError, match=r"line 1 \(header\): score column names"):
        read_barrera_8mers(path)


def test_error_on_headerless_first_line_counts_it_as_line_1(tmp_path) -> None:
    path = _write(tmp_path, ["AAAAAAAA\tTTTTTTTA\t0.03\t1.0\t0.1"])
    with pytest.raises(InvalidInputError, match=r": line 1: second 8-mer"):
        read_barrera_8mers(path)


@pytest.mark.parametrize("content", ["", "\n\n", "   \n"])
def test_empty_file(tmp_path, content: str) -> None:
    path = tmp_path / "empty_8mers.txt"
    path.write_text(content)
    with pytest.raises(InvalidInputError, match=r"empty_8mers.txt: the file is empty"):
        read_barrera_8mers(path)


def test_header_without_rows(tmp_path) -> None:
    path = _write(tmp_path, [HEADER])
    with pytest.raises(InvalidInputError, match=r": line 2: no data rows after the header"):
        read_barrera_8mers(path)


def test_missing_or_unreadable_path_names_it(tmp_path) -> None:
    missing = tmp_path / "nope" / "X_REF_R1_8mers.txt"
    for call in (read_barrera_8mers, barrera_landscape, barrera_table):
        with pytest.raises(InvalidInputError, match=r"X_REF_R1_8mers.txt: no such file"):
            call(missing)
    with pytest.raises(InvalidInputError, match=r"is a directory"):
        read_barrera_8mers(tmp_path)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(InvalidInputError, match=r"binary.txt: not a UTF-8 text file"):
        read_barrera_8mers(binary)


def test_lowercase_crlf_and_trailing_blank_lines_are_accepted(tmp_path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes((HEADER + "\r\n" + GOOD1.lower() + "\r\n" + GOOD2 + "\r\n\r\n").encode())
    frame = read_barrera_8mers(path)
    assert frame["kmer"].tolist() == ["AAAAAAAA", "AAAAAAAC"]
    assert frame["reverse_complement"].tolist() == ["TTTTTTTT", "GTTTTTTT"]
