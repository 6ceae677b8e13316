"""What a study runs: a study file (or an ad hoc ``--grid``) -> a validated :class:`StudySpec` -> its
scenarios, each a list of overrides on the base problem with a content hash as its id.

A study file (TOML, ``problems/studies/``)::

    [study]
    name = "hbm-crunch"
    problem = "../cn-2030.toml"      # relative to the study file
    type = "sweep"                   # or "pareto": one varied key, the cost curve and its knee
    combine = "grid"                 # cartesian product of the [[vary]] axes; "zip": element by element
    scenarios = []                   # the problem file's named scenarios, applied to every run
    set = {}                         # --set overrides applied to every run
    kpis = []                        # KPIs to collect (empty: all)
    time_limit_s = 60                # per scenario (default: the problem's)

    [[vary]]
    name = "hbm"                     # the column in the summary (default: the key)
    key = "hbm.supply.cn"            # a --set key
    scale = [0.5, 0.7, 1.0, 1.2]     # or values = [...], or range = {start, stop, step} (stop included),
                                     # or scenarios = [[], ["no-h200"]] (named scenarios; no key)
    labels = []                      # what the summary shows for each value (default: the value)

Every error names the file and the key (exit 2), as for problem files.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tokenplan import overrides as _overrides
from tokenplan.errors import InputError, did_you_mean
from tokenplan.provenance import canonical_sha256

#: the reserved ``--grid`` key for named scenarios of the problem file
SCENARIO_KEY = "scenario"
#: study types
KINDS = ("sweep", "pareto")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Range(_Strict):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)

    start: float
    stop: float
    step: float = Field(gt=0)


class Axis(_Strict):
    """``[[vary]]``: one varied parameter."""

    name: str | None = None
    key: str | None = None
    values: list[Any] | None = None
    scale: list[float] | None = None
    range: Range | None = None
    scenarios: list[list[str]] | None = None
    labels: list[str] | None = None


class StudySection(_Strict):
    name: str = "study"
    description: str = ""
    problem: str
    type: Literal["sweep", "pareto"] = "sweep"
    combine: Literal["grid", "zip"] = "grid"
    scenarios: list[str] = Field(default_factory=list)
    set: dict[str, Any] = Field(default_factory=dict)
    kpis: list[str] = Field(default_factory=list)
    time_limit_s: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    mip_gap: float | None = Field(default=None, ge=0, lt=1, allow_inf_nan=False)
    #: the scenario the deltas of ``tokenplan study show`` are against: column -> label (default: the first)
    base: dict[str, Any] = Field(default_factory=dict)


class StudyFile(_Strict):
    study: StudySection
    vary: list[Axis] = Field(min_length=1)


@dataclass(frozen=True)
class Level:
    """One value of an axis: what the summary shows, and what it does to the problem."""

    label: Any
    overrides: tuple[tuple[tuple[str, ...], Any], ...] = ()
    scenarios: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """One run of a study: the base problem with ``scenarios`` then ``overrides`` applied."""

    id: str
    position: int
    params: dict[str, Any]
    scenarios: tuple[str, ...]
    overrides: tuple[tuple[tuple[str, ...], Any], ...]

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.params.items())


@dataclass
class StudySpec:
    name: str
    source: str                      # the study file (or the problem file of an ad hoc study)
    problem_path: str
    problem_data: dict[str, Any]     # the base problem file's content
    kind: str
    combine: str
    axes: list[tuple[str, list[Level]]]
    scenarios: tuple[str, ...] = ()
    overrides: tuple[tuple[tuple[str, ...], Any], ...] = ()
    kpis: list[str] = field(default_factory=list)
    time_limit_s: float | None = None
    mip_gap: float | None = None
    base: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    #: the sha256 of the problem file's bytes, and of the study file's (an ad hoc study: the problem file's)
    problem_sha256: str | None = None
    source_sha256: str | None = None

    @functools.cached_property
    def problem_hash(self) -> str:
        return _hash(self.problem_data)

    def expand(self, solve: dict[str, Any] | None = None) -> list[Scenario]:
        """The scenarios in run order: the grid in odometer order (the last axis moves fastest), so that
        neighbours differ in one value and share plans; or the axes zipped. A scenario's id hashes the
        problem, its scenarios and overrides, and ``solve`` (the options it is solved with: limit, gap,
        threads, plugins disabled, MIP starts); two grid points that make the same scenario are an error."""
        names = [name for name, _ in self.axes]
        levels = [lv for _, lv in self.axes]
        combos = itertools.product(*levels) if self.combine == "grid" else zip(*levels)
        out = []
        for position, combo in enumerate(combos):
            scenarios = self.scenarios + tuple(s for level in combo for s in level.scenarios)
            overrides = self.overrides + tuple(o for level in combo for o in level.overrides)
            params = {name: level.label for name, level in zip(names, combo)}
            options = solve if solve is not None else {"time_limit_s": self.time_limit_s, "mip_gap": self.mip_gap}
            ident = _hash({"problem": self.problem_hash, "scenarios": scenarios, "overrides": overrides,
                           "solve": options})[:16]
            out.append(Scenario(ident, position, params, scenarios, overrides))
        seen: dict[str, Scenario] = {}
        for s in out:
            if s.id in seen:
                raise InputError(f"{seen[s.id].describe()} and {s.describe()} are the same scenario (two values of "
                                 "an axis change the problem alike)", file=self.source, key="vary")
            seen[s.id] = s
        return out

    def base_scenario(self, scenarios: Sequence[Scenario]) -> Scenario | None:
        """The scenario deltas are shown against: the one matching ``base`` (default: the first)."""
        if not scenarios:
            return None
        if not self.base:
            return scenarios[0]
        for s in scenarios:
            if all(str(s.params.get(k)) == str(v) for k, v in self.base.items()):
                return s
        return scenarios[0]


def _hash(value: Any) -> str:
    return canonical_sha256(value)


def is_study_file(data: Mapping[str, Any]) -> bool:
    return "study" in data and "problem" not in data


def from_file(path: str | Path) -> StudySpec:
    """Read and validate a study file."""
    from tokenplan.loader import read_hashed
    from tokenplan.messages import first_error, known_keys, unknown_key

    path = Path(path)
    data, source_sha256 = read_hashed(path)
    try:
        parsed = StudyFile.model_validate(data)
    except ValidationError as exc:
        key, message, value, kind = first_error(exc, data)
        if kind == "extra_forbidden":
            loc = [p for p in unknown_key(exc) if isinstance(p, int) or "[" not in str(p)]
            hint = did_you_mean(str(loc[-1]), known_keys(StudyFile, loc[:-1])) if loc else ""
            raise InputError(f"unknown key{hint} (not in the study schema; see docs/studies.md)", file=str(path),
                             key=key) from None
        if kind == "missing":
            raise InputError("missing required key", file=str(path), key=key) from None
        raise InputError(message, file=str(path), key=key, value=value) from None
    s = parsed.study
    problem_path = (path.parent / s.problem).resolve() if not Path(s.problem).is_absolute() else Path(s.problem)
    if not problem_path.is_file():
        raise InputError("no such problem file", file=str(path), key="study.problem", value=s.problem)
    axes = [_axis(axis, i, str(path)) for i, axis in enumerate(parsed.vary)]
    problem_data, problem_sha256 = read_hashed(problem_path)
    spec = StudySpec(
        name=s.name, source=str(path), problem_path=str(problem_path), problem_data=problem_data,
        kind=s.type, combine=s.combine, axes=axes, scenarios=tuple(s.scenarios),
        overrides=tuple(_parsed_set(k, v, str(path), f"study.set.{k}") for k, v in s.set.items()),
        kpis=list(s.kpis), time_limit_s=s.time_limit_s, mip_gap=s.mip_gap, base=dict(s.base),
        description=s.description, problem_sha256=problem_sha256, source_sha256=source_sha256)
    _check(spec, {f"vary[{i}]": axis for i, axis in enumerate(parsed.vary)})
    return spec


def ad_hoc(problem: str | Path, grid: Iterable[str], *, zipped: bool = False, scenarios: Iterable[str] = (),
           overrides: Iterable[str] = (), kind: str = "sweep") -> StudySpec:
    """A study from the command line: ``--grid key=a,b,c`` (values are TOML literals; ``scenario=a,b`` for
    the problem file's named scenarios, ``-`` for none)."""
    from tokenplan.loader import read_hashed

    path = Path(problem)
    axes = []
    for text in grid:
        if "=" not in text:
            raise InputError("expected KEY=VALUE,VALUE,...", key="--grid", value=text)
        key, raw = (part.strip() for part in text.split("=", 1))
        values = _values(raw)
        if not values:
            raise InputError("no values", key=f"--grid {key}", value=raw)
        if key == SCENARIO_KEY:
            levels = [Level(str(v), (), () if v in ("-", "", "base") else (str(v),)) for v in values]
        else:
            path_key, _ = _overrides.parse(f"{key}=0")
            levels = [Level(_label(v), ((tuple(path_key), v),)) for v in values]
        axes.append((key, levels))
    if not axes:
        raise InputError("a study varies at least one key: give --grid KEY=VALUE,VALUE,...", key="--grid")
    parsed_overrides = []
    for text in overrides:
        p, v = _overrides.parse(text)
        parsed_overrides.append((tuple(p), v))
    data, sha256 = read_hashed(path)
    spec = StudySpec(
        name=path.stem, source=str(path), problem_path=str(path), problem_data=data, kind=kind,
        combine="zip" if zipped else "grid", axes=axes, scenarios=tuple(scenarios),
        overrides=tuple(parsed_overrides), problem_sha256=sha256, source_sha256=sha256)
    _check(spec, {f"--grid {name}": None for name, _ in axes})
    return spec


def _values(raw: str) -> list[Any]:
    """``a,b,c`` as TOML literals (``0.5,{scale=0.7},[1, 2]``); words that are not literals are strings."""
    try:
        return list(tomllib.loads(f"v = [{raw}]")["v"])
    except tomllib.TOMLDecodeError:
        return [_overrides.parse_value(part.strip()) for part in raw.split(",")]


def _label(value: Any) -> Any:
    if _overrides.is_scale(value):
        return f"x{value['scale']:g}"
    if isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _parsed_set(key: str, value: Any, source: str, where: str) -> tuple[tuple[str, ...], Any]:
    try:
        path, _ = _overrides.parse(f"{key}=0")
    except InputError:
        raise InputError("not a valid dotted key", file=source, key=where) from None
    return tuple(path), value


def _axis(axis: Axis, i: int, source: str) -> tuple[str, list[Level]]:
    where = f"vary[{i}]"
    given = [k for k in ("values", "scale", "range", "scenarios") if getattr(axis, k) is not None]
    if len(given) != 1:
        raise InputError("give exactly one of values, scale, range, scenarios", file=source, key=where,
                         value=given or None)
    kind = given[0]
    if kind == "scenarios":
        if axis.key is not None:
            raise InputError("an axis of named scenarios has no key", file=source, key=f"{where}.key",
                             value=axis.key)
        raw: list[Any] = [list(names) for names in axis.scenarios or []]
        default_labels = ["+".join(names) or "base" for names in raw]
    else:
        if axis.key is None:
            raise InputError("missing required key", file=source, key=f"{where}.key")
        if kind == "range":
            r = axis.range
            assert r is not None
            n = math.floor((r.stop - r.start) / r.step + 1e-9)
            if n < 0 or n > 10_000:
                raise InputError("the range is empty or has more than 10,000 values", file=source,
                                 key=f"{where}.range", value=r.model_dump())
            raw = [round(r.start + j * r.step, 12) for j in range(n + 1)]
        elif kind == "scale":
            raw = list(axis.scale or [])
            for j, factor in enumerate(raw):
                if not math.isfinite(factor) or factor < 0:
                    raise InputError("scale must be a finite number >= 0", file=source, key=f"{where}.scale[{j}]",
                                     value=factor)
        else:
            raw = list(axis.values or [])
        default_labels = [f"x{v:g}" if kind == "scale" else _label(v) for v in raw]
    if not raw:
        raise InputError("no values", file=source, key=f"{where}.{kind}")
    labels = axis.labels or default_labels
    if len(labels) != len(raw):
        raise InputError(f"{len(labels)} labels for {len(raw)} values", file=source, key=f"{where}.labels")
    if len(set(map(str, labels))) != len(labels):
        raise InputError("labels must be distinct (give labels = [...])", file=source, key=f"{where}.labels")
    if kind == "scenarios":
        levels = [Level(label, (), tuple(names)) for label, names in zip(labels, raw)]
        return axis.name or "scenario", levels
    path, _ = _parsed_set(axis.key, 0, source, f"{where}.key")
    levels = [Level(label, ((path, {"scale": v} if kind == "scale" else v),)) for label, v in zip(labels, raw)]
    return axis.name or str(axis.key), levels


def _check(spec: StudySpec, where: dict[str, Any]) -> None:
    names = [name for name, _ in spec.axes]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise InputError("two axes have the same name (give name = ...)", file=spec.source, key="vary",
                         value=sorted(dupes)[0])
    if spec.combine == "zip":
        sizes = {name: len(levels) for name, levels in spec.axes}
        if len(set(sizes.values())) > 1:
            raise InputError("zipped axes must have as many values each", file=spec.source, key="study.combine",
                             value=sizes)
    if spec.kind == "pareto" and len(spec.axes) != 1:
        raise InputError("a pareto study varies exactly one key (the epsilon constraint)", file=spec.source,
                         key="vary", value=len(spec.axes))
    if spec.base:
        unknown = [k for k in spec.base if k not in names]
        if unknown:
            raise InputError(f"not an axis (axes: {', '.join(names)})", file=spec.source,
                             key=f"study.base.{unknown[0]}")
