import numpy as np
import pytest

from seqmbo.data.readers import check_unique, read_scored_table
from seqmbo.errors import InvalidInputError


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_csv_and_tsv(tmp_path):
    t = read_scored_table(write(tmp_path, "a.csv", "sequence,score\nACGT,1.5\nTTTT,-2\n"))
    assert t.designs == ["ACGT", "TTTT"] and t.y.tolist() == [1.5, -2.0] and t.lines == [2, 3]
    t = read_scored_table(write(tmp_path, "a.tsv", "id\tseq\tfitness\n1\tAC\t0.1\n"))
    assert t.designs == ["AC"] and t.y.tolist() == [0.1] and t.x_column == "seq" and t.y_column == "fitness"


def test_fasta_scores(tmp_path):
    p = write(tmp_path, "a.fasta", ">s1 score=0.5\nACG\nT\n>s2 other 2.5\nGGGG\n")
    t = read_scored_table(p)
    assert t.designs == ["ACGT", "GGGG"] and t.y.tolist() == [0.5, 2.5]


@pytest.mark.parametrize(
    "text,match",
    [
        ("sequence,score\nACGT,nan\n", r"line 2: score is nan"),
        ("sequence,score\nACGT,\n", r"line 2: the score is missing"),
        ("sequence,score\nACGT,abc\n", r"line 2: score 'abc' is not a number"),
        ("sequence,score\n", r"header but no rows"),
        ("seq_x,value_y\nACGT,1\n", r"cannot tell which column holds the designs"),
        ("sequence,score\nACGT,1\n,2\n", r"line 3: the design in column 'sequence' is empty"),
        ("\n\n", r"the file is empty"),
    ],
)
def test_bad_tables(tmp_path, text, match):
    with pytest.raises(InvalidInputError, match=match):
        read_scored_table(write(tmp_path, "t.csv", text))


def test_empty_and_unreadable_paths(tmp_path):
    with pytest.raises(InvalidInputError, match="the file is empty"):
        read_scored_table(write(tmp_path, "e.csv", ""))
    with pytest.raises(InvalidInputError, match="no such file"):
        read_scored_table(tmp_path / "missing.csv")
    with pytest.raises(InvalidInputError, match="is a folder"):
        read_scored_table(tmp_path)
    with pytest.raises(InvalidInputError, match="no column 'fit'"):
        read_scored_table(write(tmp_path, "c.csv", "sequence,score\nA,1\n"), y="fit")


def test_duplicates_name_both_lines():
    with pytest.raises(InvalidInputError, match=r"line 4: design 'AC' duplicates line 2"):
        check_unique(["AC", "GT", "AC"], [2, 3, 4], "t.csv")
    check_unique(["AC", "GT"], [2, 3], "t.csv")
    assert np.isfinite(1.0)


def test_tables_as_people_have_them(tmp_path, caplog):
    """Excel's ';' separator, a byte-order mark, blank lines and censored values."""
    p = tmp_path / "excel.csv"
    p.write_bytes("\ufeffsmiles;pIC50\nCCO;5,5\n\nCCN;>9\nCCC;6\n".replace("5,5", "5.5").encode("utf-8"))
    t = read_scored_table(p)
    assert t.x_column == "smiles" and t.designs == ["CCO", "CCC"] and t.y.tolist() == [5.5, 6.0]
    assert t.lines == [2, 5]
    assert "dropped 1 censored scores" in caplog.text and "lines 4" in caplog.text
    p.write_text("smiles;pIC50\nCCO;>9\n")
    with pytest.raises(InvalidInputError, match="no row with a measured score"):
        read_scored_table(p)


def test_excel_without_openpyxl_says_what_to_do(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "openpyxl" else real(name, *a))
    p = tmp_path / "t.xlsx"
    p.write_bytes(b"PK\x03\x04not really")
    with pytest.raises(InvalidInputError, match="needs openpyxl .* or save the sheet as CSV"):
        read_scored_table(p)


def test_lowercase_sequences_are_read_as_uppercase(tmp_path, caplog):
    from seqmbo.tasks.user_data import user_task

    p = write(tmp_path, "low.csv", "sequence,score\nacgt,1\nACGA,2\nttga,3\n")
    task = user_task(str(p))
    assert task.dataset.designs == ["ACGT", "ACGA", "TTGA"] and task.space.kind == "dna"
    assert "2 designs with lowercase letters read as uppercase" in caplog.text
