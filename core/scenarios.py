"""Named scenarios in a problem file: ``[scenarios.NAME]`` tables of overrides (Calliope-style).

A scenario's entries are ``--set`` overrides written as TOML: ``"hbm.supply.cn" = {scale = 0.7}`` or
``rules."cn.ai_city_subsidy".rate = 0.7``. Keys have the same meaning as ``--set`` keys (ids with dots,
elements of lists by id, a year under a number); tables in a scenario merge: each leaf given is set, the
keys not given keep their values (a scale form ``{scale = F}`` is a leaf). Priority, lowest first: the
file's own values, the scenarios in the order they are named (a later one wins), then ``--set``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from tokenplan import overrides as _overrides
from tokenplan.errors import InputError

KEY = "scenarios"


def table(data: Mapping[str, Any], *, source: str) -> dict[str, dict[str, Any]]:
    """The file's ``[scenarios]`` table (name -> overrides table), checked to be tables."""
    scenarios = data.get(KEY, {})
    if not isinstance(scenarios, dict):
        raise InputError("must be a table of scenario tables ([scenarios.NAME])", file=source, key=KEY,
                         value=scenarios)
    for name, body in scenarios.items():
        if not isinstance(body, dict):
            raise InputError("a scenario must be a table of overrides", file=source, key=f"{KEY}.{name}",
                             value=body)
        if not body:
            raise InputError("a scenario must override at least one key", file=source, key=f"{KEY}.{name}")
    return scenarios


def leaves(body: Mapping[str, Any]) -> list[tuple[list[str], Any]]:
    """A scenario table as (path, value) overrides: nested tables are walked down to their leaves (a scale
    form is a leaf); a quoted key with dots is read as a dotted ``--set`` key."""
    out: list[tuple[list[str], Any]] = []

    def walk(prefix: list[str], node: Mapping[str, Any]) -> None:
        for key, value in node.items():
            path = [*prefix, *_split(key)]
            if isinstance(value, dict) and value and not _overrides.is_scale(value):
                walk(path, value)
            else:
                out.append((path, value))

    walk([], body)
    return out


def _split(key: str) -> list[str]:
    if "." not in key:
        return [key]
    try:
        path, _ = _overrides.parse(f"{key}=0")
    except InputError:
        return [key]
    return path


def apply(data: dict[str, Any], names: Iterable[str], *, source: str) -> dict[str, Any]:
    """``data`` with the named scenarios applied in order (the ``[scenarios]`` table itself is kept)."""
    names = list(names)
    if not names:
        return data
    scenarios = table(data, source=source)
    for name in names:
        if name not in scenarios:
            raise InputError(unknown(name, scenarios), file=source, key="--scenario", value=name)
        data = _overrides.apply(data, leaves(scenarios[name]), prefix=f"{KEY}.{name}.")
    return data


def unknown(name: str, scenarios: Iterable[str]) -> str:
    """``no scenario NAME`` with a did-you-mean and the list of the file's scenarios."""
    known = sorted(scenarios)
    if not known:
        return "the problem file has no [scenarios] tables"
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"no such scenario{hint}; scenarios: {', '.join(known)}"
