"""What ``seqmbo tasks`` shows: one row per built-in task, read from its spec without loading data."""

from __future__ import annotations

from typing import Any

ORACLE_KIND = {"landscape": "exact", "ehrlich": "closed-form", "molecules": "rdkit", "learned": "learned",
               "regex": "closed-form"}


def task_rows() -> list[dict[str, Any]]:
    from seqmbo.data.fetch import is_present
    from seqmbo.tasks.spec import builtin_names, load_spec

    rows = []
    for name in builtin_names():
        spec = load_spec(name)
        kind = spec["kind"]
        row: dict[str, Any] = {"name": spec["name"], "kind": kind, "oracle": ORACLE_KIND.get(kind, kind)}
        if kind == "ehrlich":
            row["design"] = "sequence"
            row["space"] = f"{spec['dim']} x {spec['num_states']} states"
            row["offline"] = str(spec.get("offline_size", 2000))
            row["data"] = "built-in"
        elif kind == "regex":
            row["design"] = "protein"
            row["space"] = f"{spec.get('min_length', 32)}-{spec.get('max_length', 36)} x 20 amino acids"
            row["offline"] = f"worse fronts of {spec.get('offline_size', 10000)} drawn"
            row["data"] = "built-in"
            row["oracle"] = f"closed-form: counts of {', '.join(spec.get('patterns', ['AV', 'VC', 'CA']))}"
        elif kind in ("landscape", "learned"):
            alphabet = spec.get("alphabet", "ACGT")
            row["design"] = {"ACGT": "dna", "ACDEFGHIKLMNPQRSTVWY": "protein"}.get(alphabet, "sequence")
            letters = {"ACGT": "ACGT", "ACDEFGHIKLMNPQRSTVWY": "20 amino acids"}.get(alphabet, alphabet)
            row["space"] = f"{spec['length']} x {letters}" if "length" in spec else letters
            rule = f"score < {spec['offline_below']}" if "offline_below" in spec else f"<= p{spec.get('max_percentile', 50)}"
            row["offline"] = f"{spec['offline_rows']} ({rule})" if "offline_rows" in spec else rule
            ds = spec.get("dataset")
            row["data"] = ("present" if is_present(ds) else f"missing ({ds})") if ds else "file"
            if kind == "learned":
                row["oracle"] = f"learned oracle (held-out Spearman {spec.get('oracle_spearman', '?')})"
        else:
            row["design"] = "molecule"
            row["space"] = "SMILES (SELFIES tokens)"
            rule = f"<= p{spec.get('max_percentile', 50)}"
            row["offline"] = f"{rule} of {spec['subsample']} sampled" if "subsample" in spec else rule
            lib = spec.get("library", "")
            from seqmbo.data.registry import DATASETS

            if lib == "nci":
                row["data"] = "built-in"
            elif lib in DATASETS:
                row["data"] = "present" if is_present(lib) else f"missing ({lib})"
            else:
                row["data"] = "file"
            row["oracle"] = f"rdkit: {spec.get('oracle') or ', '.join(spec.get('objectives', ['?']))}"
            if kind == "molecules-mo":
                row["offline"] = f"worse fronts of {spec['subsample']} sampled" if "subsample" in spec else "worse fronts"
        rows.append(row)
    return rows
