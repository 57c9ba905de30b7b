"""Choose tfbind8's recommended [run] settings on development PBM factors, never on SIX6.

Usage:
    SEQMBO_DATA_DIR=../shared/data python scripts/choose_pbm_settings.py screen [--out runs/pbm-dev]
    SEQMBO_DATA_DIR=../shared/data python scripts/choose_pbm_settings.py runs \\
        --settings current,tw05 --generators gflownet,random --seeds 2 [--out runs/pbm-dev]
    python scripts/choose_pbm_settings.py table [--out runs/pbm-dev]

The development data are eight other transcription factors of Barrera et al. (2016), raw PBM
8-mer tables in ``$SEQMBO_DATA_DIR/tfbind8-dev/`` (``ARX ... ZNF200_REF_R1_8mers.txt``). Each
becomes a landscape task built exactly like tfbind8 (format ``barrera``, so double-stranded;
offline split at the 50th percentile; 128 candidates). The task whose figure is reported
(SIX6, ``tfbind8``) is never loaded here.

``screen`` (cheap; uses the dev oracles, which is what development data are for): fit the
ensemble proxy with each option set of :data:`PROXIES` on a factor's offline split, score all
65,536 8-mers, and pick 128 novel designs by each rule of :data:`SELECTIONS` straight from the
proxy's ranking. The oracle's p100/p50 of those picks say how far any generator guided by that
proxy and rule can get; ``rank`` is the true optimum's rank among the novel designs by the
proxy's mean (1 = top).

``runs``: full design runs (:func:`seqmbo.design`) with the settings of :data:`SETTINGS`.
Results are appended to ``OUT/screen.jsonl`` / ``OUT/runs.jsonl`` (finished rows are skipped on
a rerun); ``table`` prints the tables of what is there, a row per factor and the mean.

How the settings in tasks/tfbind8.toml were chosen from these tables (seed 0 of the screen for
all eight factors, GFlowNet runs of ``current`` on seven, 2026-12): the GFlowNet's candidates
matched its proxy's own top-128 on every factor (p100 equal, p50 within 0.003 of the screen), so
the screen predicts what the generator reaches. Mean p100 differed by at most 0.003 between the
proxy option sets and between min_distance 1 and 2 (one seed; single factors swing by 0.03),
while min_distance 1 gave more p50 on every factor (0.017-0.052, mean 0.035). Distance 0 is not
eligible: it keeps a design beside its own reverse complement (one site counted twice). Ties go
to the cheaper setting, so: the default 5-CNN proxy, ``min_distance = 1``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from itertools import product
from pathlib import Path

import numpy as np

FACTORS = ("ARX", "EGR2", "GFI1", "HOXB7", "POU3F4", "SNAI2", "VSX1", "ZNF200")

#: Proxy option sets of the screen (for proxy "ensemble").
PROXIES: dict[str, dict] = {
    "m5": {},  # the defaults: 5 CNNs, unweighted
    "m10-tw1": {"members": 10, "top_weight": 1.0},  # tfbind8's settings before this choice
    "m10-tw0.5": {"members": 10, "top_weight": 0.5},
}
#: Selection rules of the screen: (reward, min_distance).
SELECTIONS: dict[str, tuple[str, int]] = {
    "mean-d0": ("mean", 0), "mean-d1": ("mean", 1), "mean-d2": ("mean", 2), "lcb-d2": ("lcb", 2),
}
#: Other min_distance values at which each run's own proposals are selected again.
RESELECT = (0, 1, 2)
#: Candidate run settings (RunConfig fields) of the full runs.
SETTINGS: dict[str, dict] = {
    "defaults": {},
    "current": {"min_distance": 2, "proxy_options": {"members": 10, "top_weight": 1.0}},  # before this choice
    "d1": {"min_distance": 1},  # the default proxy; each site once (no design beside its reverse complement)
    "m10-tw1-d1": {"min_distance": 1, "proxy_options": {"members": 10, "top_weight": 1.0}},
    "tw05": {"min_distance": 2, "proxy_options": {"members": 10, "top_weight": 0.5}},
    "lcb": {"min_distance": 2, "reward": "lcb", "proxy_options": {"members": 10, "top_weight": 1.0}},
}


def factor_spec(factor: str, data_dir: Path) -> dict:
    """The landscape task spec of one development factor (built like tfbind8-raw)."""
    return {
        "name": f"pbm-{factor.lower()}", "kind": "landscape", "format": "barrera",
        "table": f"{factor}_REF_R1_8mers.txt", "max_percentile": 50, "n_candidates": 128,
        "_base": str(data_dir),
    }


def _pick(order: list[str], reward: dict[str, float], n: int, min_distance: int, space) -> list[str]:
    from seqmbo.gates import select_diverse

    ranked = sorted(order, key=lambda d: -reward[d])
    return select_diverse(ranked, n, min_distance, None, space) if min_distance > 0 else ranked[:n]


def screen_factor(spec: dict, proxy_name: str, seed: int = 0) -> list[dict]:
    """Fit one proxy on a factor's offline split; oracle p100/p50 of its top-128 by each rule."""
    import torch

    from seqmbo.proxies import make_proxy
    from seqmbo.run import set_threads
    from seqmbo.tasks import load_task

    set_threads()
    torch.manual_seed(seed)
    task = load_task(spec)
    t0 = time.perf_counter()
    proxy = make_proxy("ensemble", task.space, seed=seed, **PROXIES[proxy_name])
    with task.oracle.sealed():
        proxy.fit(task.dataset.designs, task.dataset.y)
    return screen_rows(task, proxy, proxy_name, seed, time.perf_counter() - t0)


def screen_rows(task, proxy, proxy_name: str, seed: int, fit_s: float) -> list[dict]:
    """Rank all novel designs of ``task`` by a fitted proxy; the oracle's p100/p50 of 128 picks per rule.

    Returns:
        One row per rule of :data:`SELECTIONS`, with ``rank``: the true optimum's rank among the
        novel designs by the proxy's mean (1 = top).
    """
    from seqmbo.proxies.reward import combine

    space = task.space
    offline = set(task.dataset.designs)
    every = ("".join(letters) for letters in product(space.alphabet, repeat=space.max_length))
    novel = [d for d in every if d not in offline]
    pred = proxy.predict(novel)
    truth = task.normalize(task.oracle(novel))
    by_mean = np.argsort(-pred.mean, kind="stable")
    best = np.flatnonzero(truth >= truth.max() - 1e-12)
    rank = int(np.flatnonzero(np.isin(by_mean, best))[0]) + 1
    score = dict(zip(novel, truth.tolist()))
    rows = []
    for rule, (kind, min_distance) in SELECTIONS.items():
        reward = dict(zip(novel, combine(pred, kind, 1.0).tolist()))
        picks = np.array([score[d] for d in _pick(novel, reward, 128, min_distance, space)])
        rows.append({"factor": task.name, "proxy": proxy_name, "rule": rule, "seed": seed,
                     "p100": float(picks.max()), "p50": float(np.percentile(picks, 50)),
                     "rank": rank, "fit_s": fit_s})
    return rows


class _Recorder:
    """A generator wrapper that keeps the raw proposals and the reward of its last ``propose``."""

    def __init__(self, inner) -> None:
        self.inner, self.raw, self.reward = inner, [], None

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def propose(self, reward, n, dataset, rng) -> list[str]:
        self.raw, self.reward = list(self.inner.propose(reward, n, dataset, rng)), reward
        return self.raw


class _NoProxy:
    """A proxy that learns nothing: the random baseline ignores its proxy, so it need not fit one."""

    def fit(self, designs, y) -> "_NoProxy":
        return self

    def predict(self, designs):
        from seqmbo.proxies.base import Prediction

        return Prediction(np.zeros(len(designs)))


def reselect(task, recorder: _Recorder, min_distance: int, n: int = 128) -> dict:
    """The oracle's p100/p50 of a run's raw proposals selected again at another ``min_distance``.

    Same gates as a run (valid, unique, on the reward's support, novel), best first by the
    run's reward, then :func:`~seqmbo.gates.select_diverse`; the proposals (the generator's
    work) are the run's own, so only the selection rule differs.
    """
    from seqmbo.gates import AllOf, Novel, Unique, Valid

    raw = recorder.raw
    gates = AllOf(Valid(task.space), Unique(), Novel(1, task.space))
    kept = [d for d, k in zip(raw, gates(raw, task.dataset.designs)) if k]
    reward = dict(zip(kept, recorder.reward(kept).tolist()))
    kept = [d for d in kept if np.isfinite(reward[d])]
    picks = task.normalize(task.oracle(_pick(kept, reward, n, min_distance, task.space)))
    return {"score_norm_p100": float(picks.max()), "score_norm_p50": float(np.percentile(picks, 50))}


def run_factor(spec: dict, generator: str, setting: str, seed: int) -> tuple[list[dict], list[dict]]:
    """One full design run (oracle after design) on a factor with one candidate setting.

    The run's own fitted proxy is then screened (:func:`screen_rows`), and its raw proposals
    selected again at the other distances of :data:`RESELECT` (rows ``SETTING@dK``), so one
    run gives those comparisons without a second fit or generation.

    Returns:
        The run's rows and its screen rows (none for ``random``, which ignores the proxy).
    """
    import seqmbo
    from seqmbo.generators import make_generator
    from seqmbo.proxies import make_proxy
    from seqmbo.tasks import load_task

    keep = ("score_norm_p100", "score_norm_p50", "diversity", "novelty", "time_total_s")
    head = {"factor": spec["name"], "generator": generator, "seed": seed}
    if generator == "random":  # its 128 designs are all kept and the proxy is not used
        run = seqmbo.design(spec, generator=generator, proxy=_NoProxy(), seed=seed, calibration=False)
        return [{**head, "setting": setting, **{k: run.metrics[k] for k in keep}}], []
    options = dict(SETTINGS[setting])
    proxy_options = options.pop("proxy_options", {})
    task = load_task(spec)
    proxy = make_proxy("ensemble", task.space, seed=seed, **proxy_options)
    recorder = _Recorder(make_generator(generator))
    run = seqmbo.design(spec, generator=recorder, proxy=proxy, seed=seed, calibration=False, **options)
    rows = [{**head, "setting": setting, **{k: run.metrics[k] for k in keep}}]
    for d in RESELECT:
        if d != options.get("min_distance", 0):
            rows.append({**head, "setting": f"{setting}@d{d}", **reselect(task, recorder, d)})
    name = next((k for k, v in PROXIES.items() if v == proxy_options), str(proxy_options))
    return rows, screen_rows(task, proxy, name, seed, run.metrics["time_fit_s"])


def _done(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


def _append(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


def _mean_table(rows: list[dict], column: str, value: str, fmt: str = "{:.3f}", best=max) -> str:
    """A markdown table: a row per factor, a column per ``column`` value, cells the mean of ``value``.

    The mean row is over the factors every column has (named when some are missing), and the
    table ends with the column that wins on it (``best``: ``max`` or ``min``).
    """
    factors = sorted({r["factor"] for r in rows})
    columns = [c for c in dict.fromkeys(r[column] for r in rows) if any(r[column] == c and value in r for r in rows)]
    cell = {}
    for c in columns:
        for f in factors:
            vals = [r[value] for r in rows if r[column] == c and r["factor"] == f and value in r]
            cell[f, c] = float(np.mean(vals)) if vals else float("nan")
    common = [f for f in factors if all(np.isfinite(cell[f, c]) for c in columns)]
    lines = [f"| factor | {' | '.join(columns)} |", "|---" * (len(columns) + 1) + "|"]
    for f in factors:
        lines.append(f"| {f} | " + " | ".join(fmt.format(cell[f, c]) for c in columns) + " |")
    means = {c: float(np.mean([cell[f, c] for f in common])) for c in columns}
    missing = ", ".join(sorted(set(factors) - set(common)))
    label = f"**mean of {len(common)}** (all but {missing})" if missing else "**mean**"
    lines.append(f"| {label} | " + " | ".join(fmt.format(means[c]) for c in columns) + " |")
    lines.append(f"\nbest on the mean: {best(columns, key=means.__getitem__)}")
    return "\n".join(lines)


def print_tables(out: Path) -> None:
    """Print the screen's and the runs' tables from what ``out`` holds."""
    screen = _done(out / "screen.jsonl")
    if screen:
        for r in screen:
            r["setting"] = f"{r['proxy']} {r['rule']}"
        print("## Screen: oracle of the proxy's 128 picks (seed 0)\n")
        for value in ("p100", "p50"):
            print(f"### {value}\n\n{_mean_table(screen, 'setting', value)}\n")
        ranks = [r for r in screen if r["rule"] == "mean-d0"]
        print(f"### rank of the optimum among novel designs\n\n{_mean_table(ranks, 'proxy', 'rank', '{:.0f}', min)}\n")
    runs = _done(out / "runs.jsonl")
    if runs:
        for r in runs:
            r["label"] = "random" if r["generator"] == "random" else f"{r['generator']} {r['setting']}"
            r["found"] = float(r["score_norm_p100"] >= 1.0 - 1e-9)
        print("## Design runs (mean over seeds)\n")
        for value in ("score_norm_p100", "score_norm_p50", "found", "diversity"):
            print(f"### {value}\n\n{_mean_table(runs, 'label', value)}\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=("screen", "runs", "table"))
    ap.add_argument("--factors", default=",".join(FACTORS))
    ap.add_argument("--proxies", default=",".join(PROXIES), help="screen: option sets of PROXIES")
    ap.add_argument("--settings", default="defaults,current", help="runs: names in SETTINGS")
    ap.add_argument("--generators", default="gflownet,random")
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--out", default="runs/pbm-dev")
    args = ap.parse_args()
    out = Path(args.out)
    data_dir = Path(os.environ.get("SEQMBO_DATA_DIR", "data")) / "tfbind8-dev"
    specs = [factor_spec(f, data_dir) for f in args.factors.split(",")]
    if args.what == "screen":
        done = {(r["factor"], r["proxy"]) for r in _done(out / "screen.jsonl") if r["seed"] == 0}
        for spec in specs:
            for name in args.proxies.split(","):
                if (spec["name"], name) not in done:
                    rows = screen_factor(spec, name)
                    _append(out / "screen.jsonl", rows)
                    print(" ".join(f"{r['factor']} {name} {r['rule']}: {r['p100']:.3f}/{r['p50']:.3f} "
                                   f"rank {r['rank']}" for r in rows[:1]), f"({rows[0]['fit_s']:.0f} s fit)", flush=True)
    elif args.what == "runs":
        done = {(r["factor"], r["generator"], r["setting"], r["seed"]) for r in _done(out / "runs.jsonl")}
        jobs = [(s, g, name, seed) for g in args.generators.split(",")
                for name in (["-"] if g == "random" else args.settings.split(","))
                for seed in range(args.seeds) for s in specs]
        for spec, gen, name, seed in jobs:
            if (spec["name"], gen, name, seed) not in done:
                rows, screen = run_factor(spec, gen, name, seed)
                _append(out / "runs.jsonl", rows)
                _append(out / "screen.jsonl", screen)
                for row in rows:
                    print(f"{row['factor']} {gen} {row['setting']} seed {seed}: p100 {row['score_norm_p100']:.3f} "
                          f"p50 {row['score_norm_p50']:.3f} ({row.get('time_total_s', 0):.0f} s)", flush=True)
    print_tables(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
