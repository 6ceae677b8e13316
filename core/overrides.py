"""``--set key.path=value`` overrides on the raw problem dict (before validation).

The key is a TOML dotted key (quote segments that contain dots: ``rules."cn.hub_node".rate``); unquoted
ids with dots are also found: at each level the longest run of segments that names an existing key (or,
in a list of tables, an element's ``id``) wins, and in tables keyed by ids the last segment is the field.
The value is a TOML literal (``0.5``, ``[1, 2]``, ``{2027 = 5e13}``, ``true``, ``"text"``); a bare word
that is not one is taken as a string, but a value that starts like an array, a table or a quoted string
must be valid TOML.

The **scale form** ``{scale = 0.7}`` multiplies what is there: a number, or every number of a per-year
table (``hbm.supply.cn={scale=0.7}`` cuts a five-year supply table by 30 %). Scaling a key that has no
value, or a value that is not a number or a table of numbers, is an error.
"""

from __future__ import annotations

import copy
import math
import tomllib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tokenplan.errors import InputError

#: Tables whose keys are ids (which may contain dots): the last path segment is the field.
ID_KEYED = {("rules",), ("chips", "overrides"), ("coolings", "overrides"), ("chips", "supply_accelerators"),
            ("chips", "min_lot_accelerators"), ("hbm", "supply")}


def parse(text: str) -> tuple[list[str], Any]:
    """Split ``key.path=value`` into path segments and a parsed value."""
    if "=" not in text:
        raise InputError("expected KEY=VALUE", key="--set", value=text)
    key, raw = text.split("=", 1)
    key, raw = key.strip(), raw.strip()
    try:
        parsed = tomllib.loads(f"{key} = 0")
    except tomllib.TOMLDecodeError:
        raise InputError("not a valid dotted key", key="--set", value=key) from None
    path: list[str] = []
    node: Any = parsed
    while isinstance(node, dict):
        (name, node), = node.items()
        path.append(name)
    return path, parse_value(raw, key=f"--set {key}")


def parse_value(raw: str, *, key: str = "--set") -> Any:
    """A TOML literal, or the raw text when it is not one; text that starts like an array, a table or a
    quoted string must be valid TOML (``[2026, 2027`` is a typo, not a string)."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except RecursionError:
        raise InputError("not a valid TOML value (nested too deeply)", key=key, value=raw) from None
    except tomllib.TOMLDecodeError as exc:
        if raw.strip()[:1] in ("[", "{", '"', "'"):
            raise InputError(f"not a valid TOML value ({exc})", key=key, value=raw) from None
        return raw


def apply(data: dict[str, Any], overrides: Iterable[str | tuple[Sequence[str], Any]], *,
          prefix: str = "--set ") -> dict[str, Any]:
    """Return a copy of ``data`` with every override applied, in order. ``prefix`` starts the key in error
    messages (``--set``, or the scenario table the override came from)."""
    out = copy.deepcopy(data)
    for item in overrides:
        if isinstance(item, str):
            path, value = parse(item)
            label = item.split("=", 1)[0].strip()
        else:
            path, value = list(item[0]), item[1]
            label = ".".join(path)
        set_path(out, path, value, label=label, prefix=prefix)
    return out


def is_scale(value: Any) -> bool:
    """Is ``value`` the scale form ``{scale = FACTOR}``?"""
    return isinstance(value, dict) and set(value) == {"scale"}


def scaled(current: Any, factor: Any, *, key: str) -> Any:
    """``current`` (a number or a table of numbers) times ``factor``."""
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not math.isfinite(factor) or factor < 0:
        raise InputError("scale must be a finite number >= 0", key=key, value=factor)
    if isinstance(current, bool):
        raise InputError("cannot scale a true/false value", key=key, value=current)
    if isinstance(current, int | float):
        return current * factor
    if isinstance(current, dict) and current:
        return {k: scaled(v, factor, key=f"{key}.{k}") for k, v in current.items()}
    if current is None:
        raise InputError("nothing to scale: the key has no value here (set it first)", key=key)
    raise InputError("only a number or a table of numbers can be scaled", key=key, value=current)


def set_path(data: dict[str, Any], path: Sequence[str], value: Any, *, label: str,
             prefix: str = "--set ") -> None:
    """Set ``value`` at ``path`` in ``data``, creating tables as needed (the scale form multiplies what is
    there)."""
    if is_scale(value):
        def change(current: Any) -> Any:
            return scaled(current, value["scale"], key=prefix + label)
    else:
        def change(current: Any) -> Any:
            return value
    _change(data, path, change, label=label, prefix=prefix)


def _change(data: dict[str, Any], path: Sequence[str], change: Callable[[Any], Any], *, label: str,
            prefix: str) -> None:
    """Replace the value at ``path`` (None where there is none) by ``change(value)``."""
    where = prefix + label
    node: Any = data
    done: list[str] = []
    segments = list(path)
    while segments:
        if isinstance(node, list):
            index, used = _list_index(node, segments, where)
            done.append(".".join(segments[:used]))
            segments = segments[used:]
            if not segments:
                node[index] = change(node[index])
                return
            node = node[index]
            continue
        if not isinstance(node, dict):
            raise InputError(f"cannot set a key inside the value {node!r}", key=where)
        used = _dict_key_length(node, segments, tuple(done))
        key = ".".join(segments[:used])
        segments = segments[used:]
        done.append(key)
        if not segments:
            node[key] = change(node.get(key))
            return
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        elif not isinstance(child, dict | list):
            if _is_year(segments[0]) and isinstance(child, int | float):
                child = node[key] = _expand_scalar(data, child)
            else:
                raise InputError(f"{key} is {child!r}, not a table", key=where)
        node = child


def _dict_key_length(node: dict[str, Any], segments: list[str], done: tuple[str, ...]) -> int:
    for n in range(len(segments), 0, -1):
        if ".".join(segments[:n]) in node:
            return n
    if done in ID_KEYED and len(segments) > 1:
        return len(segments) - 1  # an id not yet in the table: everything but the field
    return 1


def _list_index(node: list[Any], segments: list[str], where: str) -> tuple[int, int]:
    for n in range(len(segments), 0, -1):
        name = ".".join(segments[:n])
        for i, element in enumerate(node):
            if isinstance(element, dict) and element.get("id") == name:
                return i, n
    if segments[0].isdigit() and int(segments[0]) < len(node):
        return int(segments[0]), 1
    ids = [e.get("id") for e in node if isinstance(e, dict)]
    raise InputError(f"no element with id {segments[0]!r} (ids: {', '.join(map(str, ids))})", key=where)


def _is_year(segment: str) -> bool:
    return segment.isdigit() and len(segment) == 4


def _expand_scalar(data: dict[str, Any], value: float) -> dict[str, float]:
    periods = data.get("problem", {}).get("periods", [])
    return {str(year): value for year in periods}
