"""The settings of one design run (:class:`RunConfig`) and the ``--set KEY=VALUE`` parser.

A :class:`RunConfig` decides a run completely: ``design`` (a benchmark task) and ``propose``
(the user's own table, ``data``) share it, and ``config.toml`` in a run directory is this
dataclass written out, so ``seqmbo design --config DIR/config.toml`` repeats either kind of run.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqmbo.errors import InvalidInputError

log = logging.getLogger(__name__)

DEFAULT_TASK = "nci-qed"  # the no-download molecule task (QED over the NCI molecules bundled with RDKit)
OPTION_TABLES = ("generator_options", "proxy_options")


@dataclass
class RunConfig:
    """Everything that decides a design run; written to ``config.toml`` so a run can be repeated.

    Attributes:
        task: a built-in task name or a path to a spec (benchmark runs).
        data: the user's scored table (CSV/TSV/FASTA/SDF; ``propose`` runs): when set, the run
            has no oracle and ``task`` is ignored.
        x, y, kind: the design column, the score column (or SDF property) and the kind of
            design (``dna``, ``protein``, ``molecule``; guessed when empty) of ``data``; ``y``
            may be a list of objectives, each ``COLUMN``, ``COLUMN:max`` or ``COLUMN:min``.
        constraints: ``"sa<=4"``-style constraints of a ``propose`` run (:mod:`seqmbo.objectives`).
        direction: ``max`` (higher is better, the default) or ``min`` (lower is better: IC50,
            Kd, toxicity) for the user's score; benchmark tasks are always maximized.
        generator: a generator name.
        proxy: a proxy name.
        n: candidates to keep (default: the task's ``n_candidates``; 100 for user data).
        seed: the seed of every random choice (same seed, same candidates on CPU).
        device: ``auto`` (a GPU when present), ``cpu`` or ``cuda``.
        reward: ``mean``, ``lcb`` or ``ucb`` of the proxy's prediction (unset: the default of
            the kind of design, see :func:`with_kind_defaults`).
        kappa: the confidence-bound weight of ``lcb``/``ucb``.
        novel: keep only candidates not in the offline set (the baselines ``random`` and
            ``dataset-top`` skip this and the support gate).
        min_distance: diverse selection: pick candidates at this distance or more from better
            picks, in the space's distance (Hamming/edit for sequences, Tanimoto distance for
            molecules; 0: off, plain top-n by reward).
        diverse: with ``min_distance``, how many picks must be diverse; the rest are the best
            remaining by reward (0: all ``n``).
        support: ``bigram`` keeps sequence designs on the offline data's support (every adjacent
            letter pair seen offline; out-of-support designs get reward ``-inf``), ``none`` turns it off.
        filters: molecules only: drop candidates that fail the medicinal-chemistry filters
            (MOSES: PAINS, charges, rings); unset: on for molecules.
        chemistry: molecules only: the gates derived from the offline molecules (their elements,
            ring sizes 3..8 or seen, atom environments seen, SA score at most ``sa_max``; see
            :mod:`seqmbo.gates.realism`); unset: on for molecules.
        alerts: molecules only: drop candidates that match a structural alert (RDKit's Brenk and
            NIH lists: reactive and unstable groups) that at most 1% of the offline molecules
            carry (see :mod:`seqmbo.gates.alerts`); unset: the molecule default of
            :mod:`seqmbo.gates.realism` (on).
        allow_elements: molecules: elements allowed beyond the offline data's (``"P,Si"`` or
            ``["P", "Si"]``).
        sa_max: molecules: the SA-score bound (unset: the offline data's 95th percentile).
        trust_region: molecules: the smallest Tanimoto similarity of a candidate to its nearest
            offline molecule (0: off; unset: the molecule default of :mod:`seqmbo.gates.realism`).
        calibration: also fit two proxies of the same configuration on splits of the offline data
            (random 10% held out; top 10% by score held out) and record their rank correlation,
            NLL, 90% coverage and calibration error (``proxy_heldout_*``, ``proxy_ood_*``).
        generator_options: settings of the generator (``--set generator.KEY=VALUE``).
        proxy_options: settings of the proxy (``--set proxy.KEY=VALUE``).
    """

    task: str = DEFAULT_TASK
    data: str | None = None
    x: str | None = None
    y: str | list | None = None
    constraints: list = field(default_factory=list)
    kind: str | None = None
    direction: str = "max"
    generator: str = "evolution"
    proxy: str = "ensemble"
    n: int | None = None
    seed: int = 0
    device: str = "auto"
    reward: str | None = None
    kappa: float = 1.0
    novel: bool = True
    min_distance: float = 0
    diverse: int = 0
    support: str = "bigram"
    filters: bool | None = None
    chemistry: bool | None = None
    alerts: bool | None = None
    allow_elements: str | list = ""
    sa_max: float | None = None
    trust_region: float | None = None
    calibration: bool = True
    generator_options: dict[str, Any] = field(default_factory=dict)
    proxy_options: dict[str, Any] = field(default_factory=dict)

    def set(self, key: str, value: Any) -> None:
        """Apply one ``KEY=VALUE`` (``generator.X`` / ``proxy.X`` go to the options tables).

        Raises:
            InvalidInputError: an unknown key (with a "did you mean") or a value of the wrong type.
        """
        head, _, rest = key.partition(".")
        if rest and head in ("generator", "proxy"):
            getattr(self, f"{head}_options")[rest] = value
            return
        if key in OPTION_TABLES:
            if not isinstance(value, dict):
                raise InvalidInputError(f"{key} must be a table of settings, got {value!r}")
            getattr(self, key).update(value)
            return
        names = setting_names()
        if key not in names:
            raise InvalidInputError(f"--set {key}: unknown setting{_did_you_mean(key, names)}; settings: "
                                    f"{', '.join(sorted(names))}, generator.<name>, proxy.<name>")
        setattr(self, key, check_type(key, value))

    def apply_task_defaults(self) -> "RunConfig":
        """Apply the settings the task's spec recommends (its ``[run]`` table), under what is set later.

        A spec's ``[run]`` may hold any setting but ``task``, ``n`` and ``seed``;
        ``proxy_options``/``generator_options`` are merged key by key. ``proxy`` there names the
        proxy its ``proxy_options`` are for (default ``"ensemble"``): a run with another proxy
        does not get them; likewise ``generator`` names the generator its ``generator_options``
        are for (default: any). Neither chooses the run's proxy or generator. Call it once the run's proxy is chosen and before its own settings
        (``--set``), which then win. A run on user data (``data``) has no task: nothing to apply.
        """
        if self.data is not None:
            return self
        from seqmbo.tasks.spec import load_spec

        spec = load_spec(self.task)
        table = spec.get("run", {})
        where = spec.get("_path", spec["name"])
        if not isinstance(table, dict):
            raise InvalidInputError(f"{where}: 'run' must be a table of run settings, got {table!r}")
        names = ({f.name for f in dataclasses.fields(self)} - {"task", "n", "seed"})
        unknown = sorted(set(table) - names)
        if unknown:
            raise InvalidInputError(f"{where}: unknown run setting(s) {unknown} in [run]; settings: {sorted(names)}")
        for key, value in table.items():
            if key in ("proxy", "generator"):
                continue
            if key == "proxy_options" and name_of(self.proxy) != table.get("proxy", "ensemble"):
                log.info("%s: [run] proxy_options are for proxy %r, not %r: not applied", where,
                         table.get("proxy", "ensemble"), name_of(self.proxy))
                continue
            generator = getattr(self.generator, "name", None) or name_of(self.generator)
            if key == "generator_options" and generator != table.get("generator", generator):
                log.info("%s: [run] generator_options are for generator %r, not %r: not applied", where,
                         table["generator"], generator)
                continue
            self.set(key, dict(value) if isinstance(value, dict) else value)
        return self

    @classmethod
    def from_toml(cls, path: str | Path) -> "RunConfig":
        """Read a ``config.toml`` written by a run (its ``[resolved]`` record is ignored)."""
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text())
        except FileNotFoundError:
            raise InvalidInputError(f"{path}: no such config file") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise InvalidInputError(f"{path}: not a readable TOML config ({e})") from None
        data.pop("resolved", None)
        cfg = cls()
        names = {f.name for f in dataclasses.fields(cls)}
        for key, value in data.items():
            if key not in names:
                raise InvalidInputError(f"{path}: unknown config key {key!r}{_did_you_mean(key, names)}")
            if key in OPTION_TABLES:
                cfg.set(key, value)
            else:
                setattr(cfg, key, check_type(key, value, where=str(path)))
        return cfg


SEQUENCE_DEFAULTS: dict[str, Any] = {"reward": "mean"}


def with_kind_defaults(cfg: RunConfig, kind: str) -> RunConfig:
    """``cfg`` with its unset settings given the defaults of designs of ``kind``: for sequences
    :data:`SEQUENCE_DEFAULTS`, for molecules :data:`seqmbo.gates.realism.MOLECULE_DEFAULTS`
    (chosen on development tasks)."""
    from seqmbo.gates.realism import MOLECULE_DEFAULTS

    defaults = MOLECULE_DEFAULTS if kind == "molecule" else SEQUENCE_DEFAULTS
    changes = {k: v for k, v in defaults.items() if getattr(cfg, k) is None}
    return dataclasses.replace(cfg, **changes) if changes else cfg


def setting_names() -> set[str]:
    """The plain (non-table) settings of :class:`RunConfig`."""
    return {f.name for f in dataclasses.fields(RunConfig)} - set(OPTION_TABLES)


def check_type(key: str, value: Any, where: str = "--set") -> Any:
    """``value`` checked (and widened, int -> float) against the type of setting ``key``.

    Raises:
        InvalidInputError: e.g. ``kappa=abc`` ("kappa must be a number, got 'abc'").
    """
    hint = typing.get_type_hints(RunConfig)[key]
    allowed = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is None and type(None) in allowed:
        return value
    if float in allowed and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value if int in allowed and isinstance(value, int) else float(value)
    for t in allowed:
        if t is not type(None) and isinstance(value, t) and not (t is int and isinstance(value, bool)):
            return value
    what = {str: "a text", int: "a whole number", float: "a number", bool: "true or false"}
    want = " or ".join(what.get(t, t.__name__) for t in allowed if t is not type(None))
    raise InvalidInputError(f"{where} {key}: must be {want}, got {value!r}")


def parse_value(text: str) -> Any:
    """A ``--set`` value: TOML scalar syntax (``3``, ``0.5``, ``true``, ``"x"``), else the raw string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_setting(item: str) -> tuple[str, Any]:
    """A ``--set KEY=VALUE`` item as ``(key, value)`` with :func:`parse_value`; malformed items raise."""
    key, eq, value = item.partition("=")
    if not eq or not key.strip():
        raise InvalidInputError(f"--set {item!r}: expected KEY=VALUE")
    return key.strip(), parse_value(value.strip())


def name_of(obj: Any) -> str:
    """A generator's or proxy's name: the string itself, or the class name of an object."""
    return obj if isinstance(obj, str) else type(obj).__name__


def _did_you_mean(key: str, names: set[str]) -> str:
    close = difflib.get_close_matches(key, sorted(names), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
