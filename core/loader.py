"""Load a problem: TOML file (or dict) -> scenarios -> overrides -> validated :class:`~tokenplan.schema.Problem`.

Every error is an :class:`~tokenplan.errors.InputError` naming the file, the key path and the value.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tokenplan import overrides as _overrides
from tokenplan import scenarios as _scenarios
from tokenplan.errors import InputError, did_you_mean
from tokenplan.messages import first_error, is_type_tag, known_keys, unknown_key
from tokenplan.provenance import OF_DATA, OF_FILE, canonical_sha256
from tokenplan.schema import Problem


def load(source: str | PathLike[str] | Mapping[str, Any], overrides: Iterable[Any] = (),
         scenarios: Iterable[str] = ()) -> Problem:
    """Load and validate a problem.

    :param source: a path to a TOML problem file, or the same content as a dict.
    :param overrides: ``key.path=value`` strings (or ``(path, value)`` pairs) applied before validation
        (``--set``), after the scenarios.
    :param scenarios: names of the file's ``[scenarios.NAME]`` tables, applied in order (a later one wins).
    """
    if isinstance(source, Mapping):
        return load_data(source, "<problem>", overrides, scenarios)
    data, sha256 = read_hashed(Path(source))
    return _load(data, str(source), overrides, scenarios, {"sha256": sha256, "of": OF_FILE})


def load_data(data: Mapping[str, Any], source: str, overrides: Iterable[Any] = (),
              scenarios: Iterable[str] = ()) -> Problem:
    """:func:`load` of a problem file's content (``source`` names it in errors). The problem's hash
    (provenance) is that of the data as canonical JSON, before the scenarios and overrides."""
    return _load(data, source, overrides, scenarios, None)


def _load(data: Mapping[str, Any], source: str, overrides: Iterable[Any], scenarios: Iterable[str],
          digest: dict[str, str] | None) -> Problem:
    overrides, scenarios = list(overrides), list(scenarios)
    screen(data, source)
    raw = dict(data)
    _scenarios.table(raw, source=source)
    raw = _scenarios.apply(raw, scenarios, source=source)
    raw = _overrides.apply(raw, overrides)
    screen(raw, source)  # and what the scenarios and overrides gave
    try:
        problem = parse(raw, source=source)
    except InputError as exc:
        name = _from_scenario(exc.key, data.get("scenarios", {}), scenarios, overrides)
        if name is None:
            raise
        raise InputError(exc.reason, file=source, key=f"{exc.key} (from scenario {name!r})", value=exc.value) from None
    problem._applied = {"scenarios": scenarios, "overrides": [_label(o) for o in overrides]}
    problem._digest = digest if digest is not None else _data_digest(data)
    return problem


def _data_digest(data: Mapping[str, Any]) -> dict[str, str]:
    """The hash of a problem given as a dict (after :func:`screen`: nested at most :data:`MAX_DEPTH` deep)."""
    try:
        return {"sha256": canonical_sha256(data), "of": OF_DATA}
    except (TypeError, ValueError):  # keys JSON cannot sort (an int beside a str): no hash rather than no problem
        return {}


def _from_scenario(key: str | None, tables: Any, scenarios: list[str], overrides: list[Any]) -> str | None:
    """The last applied scenario that set ``key`` (or a key under it, or above it), unless ``--set`` did."""
    if not key or not isinstance(tables, Mapping):
        return None

    def norm(k: str) -> str:
        return re.sub(r"\[([^\]]*)\]", r".\1", k).replace('"', "")

    def touches(given: str) -> bool:
        a, b = norm(given), norm(key)
        return a == b or a.startswith(b + ".") or b.startswith(a + ".")

    if any(touches(o.split("=", 1)[0].strip() if isinstance(o, str) else ".".join(o[0])) for o in overrides):
        return None
    for name in reversed(scenarios):
        table = tables.get(name)
        if isinstance(table, Mapping) and any(touches(str(k)) for k in table):
            return name
    return None


def _label(override: Any) -> str:
    if isinstance(override, str):
        return override
    path, value = override
    return f"{'.'.join(path)}={value!r}"


def read_toml(path: Path) -> dict[str, Any]:
    return read_hashed(path)[0]


def read_hashed(path: Path) -> tuple[dict[str, Any], str]:
    """:func:`read_toml`, and the sha256 of the bytes read (provenance)."""
    try:
        raw = path.read_bytes()
        # as read_text: UTF-8, universal newlines
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except FileNotFoundError:
        raise InputError("no such file", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", file=str(path)) from None
    try:
        return tomllib.loads(text), hashlib.sha256(raw).hexdigest()
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from None
    except RecursionError:
        raise InputError(f"not a problem file: arrays or tables nested too deeply (at most {MAX_DEPTH})",
                         file=str(path)) from None


#: deepest nesting of tables and arrays a problem file may have (the schema needs 5)
MAX_DEPTH = 16


def screen(data: Any, source: str, key: str = "", depth: int = 0) -> None:
    """Refuse what no problem file holds before validating: nesting deeper than :data:`MAX_DEPTH` (a
    1,000-deep array once crashed the validator) and control characters in text (a terminal escape code in a
    name would reach the console)."""
    if depth > MAX_DEPTH:
        raise InputError(f"nested more than {MAX_DEPTH} tables or arrays deep", file=source, key=key or None)
    if isinstance(data, Mapping):
        for name, value in data.items():
            where = f"{key}.{name}" if key else str(name)
            _printable(str(name), source, where)
            screen(value, source, where, depth + 1)
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            label = value.get("id") if isinstance(value, Mapping) else None
            screen(value, source, f"{key}[{label if isinstance(label, str) else i}]", depth + 1)
    elif isinstance(data, str):
        _printable(data, source, key)


#: control characters: C0 but tab and newline, DEL and C1
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(text: str, source: str, key: str) -> None:
    found = _CONTROL.search(text)
    if found is not None:
        ch = found.group()
        raise InputError(f"contains the control character {ch!r} (a terminal escape code?); text must be "
                             f"printable", file=source, key=key)


def parse(data: Mapping[str, Any], *, source: str = "<problem>") -> Problem:
    """Validate a problem dict; check ids and years; name the key of the first error."""
    try:
        problem = Problem.model_validate(data)
    except ValidationError as exc:
        raise _input_error(exc, source, data) from None
    problem._source = source
    check(problem)
    return problem


def _input_error(exc: ValidationError, source: str, data: Mapping[str, Any]) -> InputError:
    key, message, value, kind = first_error(exc, data)
    if kind == "extra_forbidden":
        loc = [p for p in unknown_key(exc) if not is_type_tag(p)]
        hint = did_you_mean(str(loc[-1]), known_keys(Problem, loc[:-1])) if loc else ""
        message = f"unknown key{hint} (not in the problem schema; see `tokenplan schema`)"
        return InputError(message, file=source, key=key)
    if kind == "missing":
        return InputError("missing required key", file=source, key=key)
    more = len(exc.errors()) - 1
    if more:
        message += f" (and {more} more error{'s' if more > 1 else ''})"
    return InputError(message, file=source, key=key, value=value)


def check(problem: Problem) -> None:
    """Cross-field checks: unique ids, per-year tables keyed by periods and covering them where needed."""
    src = problem.source
    periods = problem.periods
    for name, items in (("workloads", problem.workloads), ("regions", problem.regions),
                        ("chips.custom", problem.chips.custom), ("coolings.custom", problem.coolings.custom)):
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item.id is None:
                raise InputError("missing required key", file=src, key=f"{name}[{i}].id")
            if item.id in seen:
                raise InputError("duplicate id", file=src, key=f"{name}[{i}].id", value=item.id)
            seen.add(item.id)

    def years(value: Any, key: str, *, complete: bool) -> None:
        if not isinstance(value, dict):
            return
        for year in value:
            if year not in periods:
                raise InputError(f"year {year} is not a period (periods: {', '.join(map(str, periods))})",
                                 file=src, key=f"{key}.{year}", value=value[year])
        if complete:
            missing = [y for y in periods if y not in value]
            if missing:
                raise InputError(f"no value for period{'s' if len(missing) > 1 else ''} "
                                 f"{', '.join(map(str, missing))}", file=src, key=key)

    for w in problem.workloads:
        years(w.tokens_per_day, f"workloads[{w.id}].tokens_per_day", complete=True)
    for r in problem.regions:
        years(r.power_mw, f"regions[{r.id}].power_mw", complete=True)
        years(r.power_price_per_kwh, f"regions[{r.id}].power_price_per_kwh", complete=True)
    for pool, value in problem.hbm.supply.items():
        years(value, f"hbm.supply.{pool}", complete=False)
    years(problem.budget.capex_per_period, "budget.capex_per_period", complete=False)
    for chip_id, value in problem.chips.supply_accelerators.items():
        years(value, f'chips.supply_accelerators."{chip_id}"', complete=False)
