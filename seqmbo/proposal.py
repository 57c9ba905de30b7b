"""Design on a user's own data: no oracle, candidates carry the proxy's mean and std.

``seqmbo propose`` and :func:`seqmbo.propose` land here. The input is a table of designs with
measured scores (DNA, protein or molecules); the output is ``n`` new designs, best first.
Problems in the input are handled the way a chemist's or biologist's script expects:

* unparsable SMILES are skipped with a count and their row numbers (an error when none remain);
* salts and multi-fragment entries keep their largest fragment (said, with a count);
* duplicates (after canonicalisation) are merged by their mean score (said, with a count);
* NaN or missing scores, letters outside the alphabet and empty files are errors naming the row.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seqmbo.errors import InvalidInputError

log = logging.getLogger(__name__)


def propose(data: Any, scores: Sequence[float] | None = None, *, kind: str | None = None, n: int = 100,
            generator: Any = "evolution", proxy: Any = "ensemble", seed: int = 0, x: str | None = None,
            y: str | None = None, out: str | Path | None = None, reward: str = "mean", kappa: float = 1.0,
            generator_options: dict | None = None, proxy_options: dict | None = None):
    """Propose ``n`` new designs from scored data.

    Args:
        data: a file (CSV/TSV/FASTA with scores, SDF with a score property), a pandas DataFrame,
            or a list of designs (then give ``scores``).
        scores: the scores of ``data`` when it is a list.
        kind: ``molecule``, ``dna`` or ``protein`` (guessed when omitted).
        n: how many candidates.
        generator, proxy: names or objects (as for :func:`seqmbo.design`).
        seed: seed of every random choice (same seed, same candidates).
        x, y: the design and score columns (or SDF score property).
        out: a folder to write ``candidates.csv`` (and ``candidates.sdf`` for molecules) into.
        reward, kappa: ``mean``, ``lcb`` (mean − kappa·std) or ``ucb``.
        generator_options, proxy_options: settings of the generator and proxy.

    Returns:
        A DataFrame, best first: ``smiles`` or ``sequence``, ``proxy_mean``, ``proxy_std``,
        ``novelty`` (distance to the nearest input design: Tanimoto distance for molecules, edit
        distance for sequences) and, for molecules, ``passes_filters`` (MOSES PAINS/charge/ring filters).
    """
    import torch

    from seqmbo.data.dataset import Dataset
    from seqmbo.gates import AllOf, Novel, Unique, Valid
    from seqmbo.generators import make_generator
    from seqmbo.proxies import ProxyReward, make_proxy
    from seqmbo.run import make_support, set_threads

    designs, y_values, rows, kind, where = _read_input(data, scores, kind, x, y)
    if n < 1:
        raise InvalidInputError(f"n must be >= 1, got {n}")
    space, designs, y_values = (_molecule_data if kind == "molecule" else _sequence_data)(designs, y_values, rows, kind, where)
    dataset = Dataset(designs, y_values, space, where)
    set_threads()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    gen = make_generator(generator, **(generator_options or {}))
    model = make_proxy(proxy, space, seed=seed, **(proxy_options or {})).fit(dataset.designs, dataset.y)
    support = make_support("bigram", space, dataset.designs)
    score = ProxyReward(model, space, reward, kappa, support=support)
    raw = list(gen.propose(score, n, dataset, rng))
    gates = [Valid(space), Unique()] + ([support] if support is not None else []) + [Novel(1, space)]
    kept = [d for d, k in zip(raw, AllOf(*gates)(raw, dataset.designs)) if k]
    if not kept:
        raise InvalidInputError(f"no proposed design passed the gates (valid, unique, novel); {len(raw)} proposed")
    r = score(kept)
    kept = [kept[i] for i in np.argsort(-r, kind="stable")][:n]
    if len(kept) < n:
        log.warning("only %d of %d requested candidates passed the gates", len(kept), n)
    table = _candidate_table(kept, model.predict(kept), dataset, kind)
    if out is not None:
        _write(out, table, kind)
    return table


def _read_input(data, scores, kind, x, y):
    from seqmbo.data.libraries import guess_kind, read_scored

    if isinstance(data, (str, Path)):
        lib = read_scored(data, x, y, kind)
        return lib.designs, lib.y, lib.rows, lib.kind, str(data)
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(data, pd.DataFrame):
        from seqmbo.data.readers import DESIGN_COLUMNS, SCORE_COLUMNS

        xc = x or next((c for c in DESIGN_COLUMNS if c in data.columns), None)
        yc = y or next((c for c in SCORE_COLUMNS if c in data.columns), None)
        if xc is None or yc is None or xc not in data.columns or yc not in data.columns:
            raise InvalidInputError(f"DataFrame: need a design and a score column (x=..., y=...); columns are {list(data.columns)}")
        designs = [str(v) for v in data[xc].tolist()]
        values = pd.to_numeric(data[yc], errors="coerce").to_numpy(dtype=float)
        return _check_scores(designs, values, list(range(1, len(designs) + 1)), kind or guess_kind(designs, xc, "DataFrame"), "DataFrame row")
    if scores is None:
        raise InvalidInputError("give scores with a list of designs (propose(designs, scores, ...))")
    designs = [str(d) for d in data]
    values = np.asarray(scores, dtype=float).reshape(-1)
    if len(designs) != values.shape[0]:
        raise InvalidInputError(f"{len(designs)} designs but {values.shape[0]} scores")
    return _check_scores(designs, values, list(range(1, len(designs) + 1)), kind or guess_kind(designs, "", "designs"), "item")


def _check_scores(designs, values, rows, kind, label):
    if not designs:
        raise InvalidInputError("the input is empty")
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise InvalidInputError(f"{label} {rows[bad[0]]}: the score is missing or not a finite number ({bad.size} such rows)")
    return designs, values, rows, kind, label.split()[0]


def _merge_duplicates(designs: list[str], y: np.ndarray, where: str) -> tuple[list[str], np.ndarray]:
    groups: dict[str, list[float]] = {}
    for d, v in zip(designs, y):
        groups.setdefault(d, []).append(float(v))
    merged = sum(len(v) - 1 for v in groups.values())
    if merged:
        log.warning("%s: %d duplicate rows merged into their first occurrence (mean score)", where, merged)
    return list(groups), np.array([np.mean(v) for v in groups.values()])


def _molecule_data(designs, y, rows, kind, where):
    from seqmbo.spaces.molecule import MoleculeSpace

    try:
        space = MoleculeSpace.from_smiles(designs, standardize=("largest_fragment",), skip_invalid=True)
    except InvalidInputError:  # raised only when no row is a valid molecule
        raise InvalidInputError(f"{where}: none of the {len(designs)} rows is a valid molecule") from None
    prepared = space.prepare(designs)
    if prepared.dropped:
        listed = ", ".join(str(rows[i]) for i, _ in prepared.dropped[:10])
        log.warning("%s: skipped %d of %d rows that are not valid molecules (rows %s%s): %s", where,
                    len(prepared.dropped), len(designs), listed, ", ..." if len(prepared.dropped) > 10 else "",
                    prepared.summary())
    if not prepared.smiles:
        raise InvalidInputError(f"{where}: none of the {len(designs)} rows is a valid molecule")
    multi = sum("." in designs[i] for i in prepared.index)
    if multi:
        log.warning("%s: %d multi-fragment entries (salts, solvents) reduced to their largest fragment", where, multi)
    smiles, values = _merge_duplicates(prepared.smiles, y[prepared.index], where)
    return space, smiles, values


def _sequence_data(designs, y, rows, kind, where):
    from seqmbo.spaces import dna, protein

    lengths = [len(d) for d in designs]
    make = dna if kind == "dna" else protein
    space = make(min_length=min(lengths), max_length=max(lengths)) if len(set(lengths)) > 1 else make(lengths[0])
    for d, r in zip(designs, rows):
        why = space.problem(d)
        if why is not None:
            raise InvalidInputError(f"{where}, row {r}: design {d!r} {why}")
    designs, values = _merge_duplicates(designs, np.asarray(y), where)
    return space, designs, values


def _candidate_table(cands: list[str], pred, dataset, kind: str):
    import pandas as pd

    column = "smiles" if kind == "molecule" else "sequence"
    std = pred.std if pred.std is not None else np.full(len(cands), np.nan)
    table = pd.DataFrame({column: cands, "proxy_mean": pred.mean, "proxy_std": std})
    if kind == "molecule":
        from seqmbo.gates import MedChemFilters

        table["novelty"] = dataset.space.nearest_distance(cands, dataset.designs)
        table["passes_filters"] = MedChemFilters(dataset.space)(cands)
    else:
        from seqmbo.metrics.distance import nearest_distance

        table["novelty"] = nearest_distance(cands, dataset.designs)
    return table


def _write(out, table, kind: str) -> None:
    from seqmbo.io import write_outputs

    writers = {"candidates.csv": lambda p: table.to_csv(p, index=False)}
    if kind == "molecule":
        writers["candidates.sdf"] = lambda p: _write_sdf(p, table)
    write_outputs(out, writers)


def _write_sdf(path: Path, table) -> None:
    from rdkit import Chem

    with Chem.SDWriter(str(path)) as w:
        for rank, row in enumerate(table.itertuples(index=False), start=1):
            mol = Chem.MolFromSmiles(row.smiles)
            mol.SetProp("_Name", f"candidate_{rank}")
            for key in ("proxy_mean", "proxy_std", "novelty", "passes_filters"):
                mol.SetProp(key, str(getattr(row, key)))
            w.write(mol)
