"""The ``seqmbo`` command. User errors become one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence

from seqmbo.errors import SeqmboError

EXIT_USER_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    quiet, verbose = getattr(args, "quiet", False), getattr(args, "verbose", False)
    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="seqmbo: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USER_ERROR
    from seqmbo.progress import set_enabled

    set_enabled(False if quiet else None)
    try:
        if args.command in ("design", "propose", "evaluate", "bench", "pretrain"):
            from seqmbo.run import set_threads

            set_threads()
        return int(args.func(args) or 0)
    except SeqmboError as e:
        print(f"seqmbo {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"seqmbo {args.command}: interrupted; nothing half-written was left", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    from seqmbo import __version__

    p = argparse.ArgumentParser(prog="seqmbo", description="Offline model-based optimization of DNA, proteins and molecules.")
    p.add_argument("--version", action="version", version=f"seqmbo {__version__}")
    sub = p.add_subparsers(dest="command")

    t = sub.add_parser("tasks", help="list the built-in tasks")
    t.add_argument("--json", action="store_true", help="machine-readable output")
    t.set_defaults(func=cmd_tasks)

    d = sub.add_parser("design", help="one offline design run on a benchmark task")
    d.add_argument("task", nargs="?", default=None, help="built-in task name or path to a .toml spec (default: the built-in default)")
    _run_options(d, n_help="candidates to keep (default: the task's)",
                 out_help="run directory (default: runs/<task>_<generator>_seed<S>)")
    _online_options(d)
    d.set_defaults(func=cmd_design)

    pr = sub.add_parser("propose", help="a design run on your own scored table (no oracle)")
    pr.add_argument("data", nargs="?", default=None,
                    help="CSV/TSV/FASTA with scores, or SDF with a score property (or give --config)")
    pr.add_argument("--x", default=None, help="the design column (default: sequence/smiles/...)")
    pr.add_argument("--y", action="append", default=None,
                    help="the score column or SDF property (default: score/y/fitness/...); repeat it for several "
                         "objectives, each COLUMN or COLUMN:min / COLUMN:max")
    pr.add_argument("--kind", choices=("dna", "protein", "molecule"), default=None)
    pr.add_argument("--minimize", action="append", nargs="?", const="", default=None, metavar="COLUMN",
                    help="lower scores are better (IC50, Kd, toxicity); with several --y, name the objective "
                         "to minimize (repeatable); the default is higher-is-better")
    pr.add_argument("--constraint", action="append", default=None, metavar="EXPR",
                    help='a constraint, e.g. "sa<=4", "qed>=0.5", "mw<500" (a computed property: a gate) or '
                         '"logS>=-5" (a column of the table: predicted feasibility); repeatable')
    _run_options(pr, n_help="candidates to keep (default: 100)", out_help="run directory (default: proposals/)")
    pr.set_defaults(func=cmd_propose)

    ev = sub.add_parser("evaluate", help="metrics and a report of a generated library")
    ev.add_argument("library", help="CSV with a smiles/sequence column, .smi, SDF, FASTA or text")
    ev.add_argument("--reference", default=None, help="designs to compare against (novelty, SNN, Frag, Scaf, W1)")
    ev.add_argument("--oracle", action="append", default=[], help="an oracle to score with (repeatable)")
    ev.add_argument("--kind", choices=("dna", "protein", "molecule"), default=None)
    ev.add_argument("--out", default="evaluation", help="output folder (default: evaluation/)")
    ev.add_argument("--jobs", type=int, default=None,
                    help="worker processes for molecule metrics (default 1; with --executor: workers, default all cores)")
    ev.add_argument("--executor", choices=("local", "ray"), default=None,
                    help="evaluate a molecular library in shards on local processes or Ray (default: one process)")
    ev.add_argument("--address", default=None, help="join this Ray cluster (default: start a local Ray)")
    ev.add_argument("--shard-size", type=int, default=20_000, help="SMILES a shard (default 20000)")
    _verbosity(ev)
    ev.set_defaults(func=cmd_evaluate)

    b = sub.add_parser("bench", help="a grid of design runs on local processes or Ray; results.csv and summary.md")
    b.add_argument("--tasks", default=None, help="comma-separated task names or spec paths")
    b.add_argument("--generators", default=None, help="comma-separated generators (random is always added)")
    b.add_argument("--proxies", default="ensemble", help="comma-separated proxies (default: ensemble)")
    b.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 of every cell (default 8)")
    b.add_argument("--preset", default=None, help="a named grid: smoke, readme (the README's benchmark table)")
    b.add_argument("--executor", choices=("local", "ray"), default="local")
    b.add_argument("--workers", type=int, default=None, help="local processes at once (default: cores / cpus-per-run)")
    b.add_argument("--address", default=None, help="join this Ray cluster (default: start a local Ray)")
    b.add_argument("--cpus-per-run", type=int, default=1)
    b.add_argument("--gpus-per-run", type=float, default=0.0)
    b.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    b.add_argument("--out", default="bench", help="output folder (default: bench/); a rerun skips finished cells")
    b.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a setting of every run")
    _verbosity(b)
    b.set_defaults(func=cmd_bench)

    from seqmbo.pretrain import add_parser as add_pretrain

    add_pretrain(sub)
    data = sub.add_parser("data", help="the dataset registry: list, pull, verify")
    dsub = data.add_subparsers(dest="data_command")
    dl = dsub.add_parser("list", help="registered datasets and whether they are present")
    dl.set_defaults(func=cmd_data_list)
    dp = dsub.add_parser("pull", help="download a dataset (sha256-checked)")
    dp.add_argument("id")
    dp.add_argument("--dest", default=None, help="base folder (default: the user cache)")
    dp.set_defaults(func=cmd_data_pull)
    dv = dsub.add_parser("verify", help="check the sha256 of local copies")
    dv.add_argument("ids", nargs="*")
    dv.set_defaults(func=cmd_data_verify)
    data.set_defaults(func=lambda a: (data.print_help(), EXIT_USER_ERROR)[1])
    return p


def _verbosity(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", "-q", action="store_true", help="no progress output, errors only")
    p.add_argument("--verbose", "-v", action="store_true", help="say more about each step")


def _run_options(p: argparse.ArgumentParser, n_help: str, out_help: str) -> None:
    """The options of every command that runs the design loop (design, propose)."""
    from seqmbo.generators import GENERATORS
    from seqmbo.proxies.resolve import PROXIES

    p.add_argument("--generator", "-g", default=None, help=f"one of {', '.join(GENERATORS)} (default: evolution)")
    p.add_argument("--proxy", "-p", default=None, help=f"one of {', '.join(PROXIES)} (default: ensemble)")
    p.add_argument("--n", type=int, default=None, help=n_help)
    p.add_argument("--seed", type=int, default=None, help="seed of every random choice (default 0)")
    p.add_argument("--device", default=None, choices=("auto", "cpu", "cuda"),
                   help="where models run (default auto: a GPU when present)")
    p.add_argument("--out", default=None, help=out_help)
    p.add_argument("--force", action="store_true", help="replace an earlier run in --out")
    p.add_argument("--config", default=None, help="a config.toml of an earlier run to repeat")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting: reward=lcb, kappa=2, min_distance=2, generator.generations=10, proxy.members=3 ...")
    _verbosity(p)


def _online_options(p: argparse.ArgumentParser) -> None:
    """``design``'s online rounds (seqmbo.online): label each round's batch with the oracle, refit, go on."""
    p.add_argument("--rounds", type=int, default=None, help="online: design rounds, the oracle labelling each batch")
    p.add_argument("--batch", type=int, default=None, help="online: designs labelled per round (default: --n or the task's)")
    p.add_argument("--budget", type=int, default=None, help="online: most oracle calls in all (start pool included)")
    p.add_argument("--start", type=int, default=None,
                   help="online: start from this many offline designs drawn at random and labelled from the budget")
    p.add_argument("--resume", default=None, metavar="DIR", help="go on with the interrupted online run in DIR")


def cmd_online(args: argparse.Namespace, cfg) -> int:
    """``design --rounds`` / ``design --resume``: an online run, and its per-round table."""
    from seqmbo.online import online, resume

    if args.resume:
        result = resume(args.resume, rounds=args.rounds)
    else:
        batch = args.batch or cfg.n
        if batch is None:
            from seqmbo.tasks import load_task

            batch = load_task(cfg.task).n_candidates
        out = args.out or _fresh_folder(f"runs/{_slug(cfg.task)}_{cfg.generator}_online_seed{cfg.seed}")
        result = online(config=cfg, rounds=args.rounds, batch=batch, budget=args.budget, start=args.start,
                        out=out, force=args.force)
    _summary(result)
    for row in result.metrics["rounds_table"]:
        print(f"  round {row['round']:>3}  oracle calls {row['oracle_calls']:>6}  best {_f(row['best'])}"
              f"  top-10 mean {_f(row['top10_mean'])}  proxy spearman {_f(row['proxy_spearman'])}  {row['time_s']:.1f} s")
    if result.metrics.get("auc_top10") is not None:
        print(f"  AUC top-10 {_f(result.metrics['auc_top10'])} over a budget of {result.metrics['budget']} calls")
    return 0


def _run_config(args: argparse.Namespace, **fields):
    """A RunConfig from ``--config``, the command's fields, the task's ``[run]`` defaults and ``--set``."""
    from seqmbo.run import RunConfig, parse_setting

    cfg = RunConfig.from_toml(args.config) if args.config else RunConfig()
    for key, value in fields.items():
        if value is not None:
            setattr(cfg, key, value)
    for key in ("generator", "proxy", "n", "seed", "device"):
        if getattr(args, key) is not None:
            setattr(cfg, key, getattr(args, key))
    if not args.config:  # a written config.toml already holds the task's defaults, resolved
        cfg.apply_task_defaults()
    for item in args.set:
        cfg.set(*parse_setting(item))
    return cfg


def _summary(result) -> None:
    m = result.metrics
    print(f"task {m['task']} | generator {m['generator']} | proxy {m['proxy']} | seed {m['seed']}")
    if "score_norm_p100" in m:
        print(f"  candidates {m['n_candidates']}  score_norm p100 {_f(m['score_norm_p100'])}  p50 {_f(m['score_norm_p50'])}"
              f"  (dataset best {_f(m['dataset_best_norm'])})")
    else:
        print(f"  candidates {m['n_candidates']}  predicted best {_f(float(result.candidates['proxy_mean'].max()))}"
              f"  (offline rows {m['n_offline']})")
    print(f"  diversity {_f(m['diversity'])}  novelty {_f(m['novelty'])}  novelty distance {_f(m['novelty_distance'])}"
          f"  validity {_f(m['validity'])}")
    if "proxy_spearman" in m:
        print(f"  proxy spearman {_f(m['proxy_spearman'])}  overestimate {_f(m['proxy_overestimate'])}"
              f"  oracle calls during design {m['oracle_calls_design']}")
    if m.get("proxy_heldout_spearman") is not None:
        print(f"  proxy on held-out rows: spearman {_f(m['proxy_heldout_spearman'])}  rmse {_f(m.get('proxy_heldout_rmse'))}"
              f"  90% coverage {_f(m.get('proxy_heldout_coverage90'))}")
    print(f"  time {m['time_total_s']:.1f} s  peak RSS {m['peak_rss_mb']:.0f} MB")
    print(f"outputs: {result.out}/")


def cmd_tasks(args: argparse.Namespace) -> int:
    from seqmbo.catalog import task_rows

    rows = task_rows()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    cols = ["name", "design", "space", "offline", "oracle", "data"]
    width = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.ljust(width[c]) for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).ljust(width[c]) for c in cols))
    return 0


def cmd_design(args: argparse.Namespace) -> int:
    from seqmbo.run import execute

    if args.resume:
        return cmd_online(args, None)
    cfg = _run_config(args, task=args.task)
    if args.rounds is not None:
        return cmd_online(args, cfg)
    out = args.out or _fresh_folder(f"runs/{_slug(cfg.task if cfg.data is None else cfg.data)}_{cfg.generator}_seed{cfg.seed}")
    _summary(execute(cfg, out, force=args.force))
    return 0


def cmd_propose(args: argparse.Namespace) -> int:
    from seqmbo.run import execute

    if args.data is None and args.config is None:
        raise SeqmboError("give the scored table to propose from (CSV/TSV/FASTA/SDF), or --config of an earlier run")
    cfg = _run_config(args, data=args.data, x=args.x, y=_objectives(args.y, args.minimize), kind=args.kind,
                      direction="min" if args.minimize is not None and "" in args.minimize else None,
                      constraints=args.constraint)
    _summary(execute(cfg, args.out or _fresh_folder("proposals"), force=args.force))
    return 0


def _objectives(ys: list[str] | None, minimize: list[str] | None):
    """``--y`` values with ``--minimize COLUMN`` folded in as ``COLUMN:min`` (one plain column stays a string)."""
    names = [m for m in minimize or () if m]
    if not names:
        return ys[0] if ys and len(ys) == 1 else ys
    from seqmbo.objectives import parse_objectives

    return [f"{o.name}:{o.direction}" for o in parse_objectives(ys or [], minimize=names)]


def _fresh_folder(base: str) -> str:
    """``base``, or ``base_2``, ``base_3``, ... : the first that holds no earlier run."""
    from pathlib import Path

    from seqmbo.run import RUN_FILES

    k, path = 1, base
    while any((Path(path) / f).exists() for f in RUN_FILES):
        k += 1
        path = f"{base}_{k}"
    return path


def cmd_bench(args: argparse.Namespace) -> int:
    from seqmbo.bench import GridOptions, make_grid, preset_grid, run_grid
    from seqmbo.run import RunConfig, parse_setting

    settings: dict = {}
    probe = RunConfig()
    for item in args.set:  # each cell applies them with RunConfig.set, as design does
        key, value = parse_setting(item)
        probe.set(key, value)  # checks the name and type now, before any cell runs
        settings[key] = value
    if args.preset is not None:
        cells = preset_grid(args.preset, settings, args.seeds)
    elif args.tasks and args.generators:
        cells = make_grid(args.tasks.split(","), args.generators.split(","), args.proxies.split(","), args.seeds or 8,
                          settings)
    else:
        raise SeqmboError("give --tasks and --generators, or a --preset")
    opts = GridOptions(args.executor, args.workers, args.cpus_per_run, args.gpus_per_run, args.address, 1, args.device)
    table = run_grid(cells, args.out, opts)
    failed = int((table["status"] == "failed").sum())
    print(open(f"{args.out}/summary.md").read())
    print(f"{len(table)} cells, {failed} failed; wrote {args.out}/results.csv and {args.out}/summary.md")
    return 1 if failed else 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from seqmbo.evaluation import evaluate

    from seqmbo.sharding import ShardOptions

    workers = max(1, args.jobs or os.cpu_count() or 1)
    sharding = ShardOptions(args.executor, workers, max(1, args.shard_size), args.address) if args.executor else None
    m = evaluate(args.library, reference=args.reference, oracle=args.oracle, kind=args.kind, out=args.out,
                 n_jobs=args.jobs or 1, sharding=sharding)
    for key, value in m.items():
        print(f"{key:24s} {_f(value) if isinstance(value, float) else value}")
    print(f"wrote {args.out}/ (metrics.json, scores.csv, report.png)")
    return 0


def cmd_data_list(args: argparse.Namespace) -> int:
    from seqmbo.data.fetch import is_present
    from seqmbo.data.registry import DATASETS

    for info in DATASETS.values():
        print(f"{info.id:12s} {'present' if is_present(info.id) else 'missing':8s} {info.description}")
        print(f"{'':12s} source: {info.source}; licence: {info.licence}")
        print(f"{'':12s} cite: {info.citation}")
    return 0


def cmd_data_pull(args: argparse.Namespace) -> int:
    from seqmbo.data.fetch import pull

    for path in pull(args.id, args.dest):
        print(path)
    return 0


def cmd_data_verify(args: argparse.Namespace) -> int:
    from seqmbo.data.fetch import verify
    from seqmbo.data.registry import DATASETS, get_dataset_info

    ids = args.ids or list(DATASETS)
    bad = 0
    for i in ids:
        get_dataset_info(i)
        for f, path, status in verify(i):
            print(f"{i:12s} {f.name:40s} {status:10s} {path or ''}")
            bad += status == "bad sha256" or (bool(args.ids) and status == "missing")
    return 1 if bad else 0


def _slug(task: object) -> str:
    from pathlib import Path

    return Path(str(task)).stem


def _f(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


if __name__ == "__main__":
    sys.exit(main())
