"""Check that the README's benchmark table is the one a ``seqmbo bench`` results.csv gives.

The table sits in README.md between ``<!-- readme-table:begin -->`` and
``<!-- readme-table:end -->``; ``seqmbo bench --preset readme --out DIR`` writes the same table to
``DIR/readme_table.md``. The table rows (lines starting with ``|``) are compared with the rows
:func:`seqmbo.bench.readme_table` makes from ``DIR/results.csv``; the script prints every row that
differs and exits 1, or 0 when they agree. ``--write`` puts the table (and the grid's wall time
and hardware line from ``readme_table.md``) into the README instead.

Example::

    python scripts/check_readme_table.py bench/results.csv README.md
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

BEGIN, END = "<!-- readme-table:begin -->", "<!-- readme-table:end -->"


def table_block(text: str, where: str) -> tuple[int, int]:
    """Character span of the text between the markers."""
    i, j = text.find(BEGIN), text.find(END)
    if i < 0 or j < i:
        raise SystemExit(f"error: {where} has no table between {BEGIN} and {END}")
    return i + len(BEGIN), j


def expected_table(results: Path) -> str:
    """The README table (and the footer of ``readme_table.md`` beside the results, if any)."""
    import pandas as pd

    from seqmbo.bench import readme_table

    table = readme_table(pd.read_csv(results))
    written = results.parent / "readme_table.md"
    footer = [line for line in written.read_text().splitlines() if line.startswith("Grid:")] if written.is_file() else []
    return table + ("\n" + footer[0] + "\n" if footer else "")


def compare(readme_text: str, results: Path, where: str = "README.md") -> list[str]:
    """The differing table rows (unified diff lines); empty when the tables agree."""
    i, j = table_block(readme_text, where)
    shown = [line.strip() for line in readme_text[i:j].splitlines() if line.strip().startswith("|")]
    want = [line for line in expected_table(results).splitlines() if line.startswith("|")]
    if shown == want:
        return []
    return list(difflib.unified_diff(shown, want, "README", str(results), lineterm="", n=0))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", type=Path, help="results.csv of seqmbo bench --preset readme")
    ap.add_argument("readme", type=Path, nargs="?", default=Path("README.md"))
    ap.add_argument("--write", action="store_true", help="write the table into the README")
    args = ap.parse_args(argv)
    text = args.readme.read_text()
    if args.write:
        i, j = table_block(text, str(args.readme))
        args.readme.write_text(text[:i] + "\n" + expected_table(args.results) + text[j:])
        print(f"wrote the table of {args.results} into {args.readme}")
        return 0
    diff = compare(text, args.results, str(args.readme))
    if diff:
        print(f"{args.readme}'s table differs from {args.results}:")
        print("\n".join(diff))
        return 1
    print(f"{args.readme}'s table agrees with {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
