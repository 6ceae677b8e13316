"""One-line messages from exceptions: pydantic's first error as a key path, and any exception in one line.

:func:`first_error` is how problem files and plugin records name the key of a validation error;
:func:`describe` is how an exception raised by plugin code (a hook, a module that fails to import, a rule's
``apply()``) becomes the one line of a :class:`~tokenplan.errors.PluginError`. A ``ValidationError`` raised
inside plugin code (``Chip(...)`` with a bad figure) names the record's kind, its id and the field: pydantic
keeps the record's input only in the frame that validated it, so :func:`describe` reads it from there.
"""

from __future__ import annotations

import os
import re
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

import pydantic
from pydantic import ValidationError

_PYDANTIC_DIR = os.path.dirname(pydantic.__file__) + os.sep
#: longest message kept from an exception (a plugin's own message can be a page long)
LIMIT = 300


def key_path(loc: Iterable[Any], data: Any = None) -> str:
    """Format a pydantic location as a dotted key path (``workloads[0].tokens_per_day.2027``)."""
    out = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(data, dict):
            element = data[part] if isinstance(data, list) and part < len(data) else None
            label = element.get("id") if isinstance(element, dict) else None
            out += f"[{part}]" if label is None else f"[{label}]"
        else:
            text = str(part)
            out += ("." if out else "") + (f'"{text}"' if "." in text else text)
        data = _step(data, part)
    return out


def _step(data: Any, part: Any) -> Any:
    if isinstance(data, dict):
        return data.get(part, data.get(str(part)))
    if isinstance(data, list) and isinstance(part, int) and part < len(data):
        return data[part]
    return None


def first_error(exc: ValidationError, data: Any) -> tuple[str, str, Any, str]:
    """The first error of a pydantic validation: (key path in ``data``, message, bad value, error type); the
    value is ``...`` (not shown) when the error is about a whole record."""
    errors = exc.errors()
    # a misspelt required key is both missing and unknown: the unknown key (with its suggestion) says more
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = [p for p in err["loc"] if not is_type_tag(p)]
    message, value = err["msg"].removeprefix("Value error, "), err.get("input")
    if isinstance(value, Mapping) and loc and message.split(" ", 1)[0] in value:
        # a check across a record's fields ("year_last 2026 is before ..."): name the field, not the record
        name = message.split(" ", 1)[0]
        loc, value = [*loc, name], value[name]
    elif isinstance(value, Mapping) and "id" in value and err["type"] == "value_error":
        value = ...  # the record as a whole (not shown): the message says what is wrong with it
    return key_path(loc, data), message, value, err["type"]


def unknown_key(exc: ValidationError) -> tuple[Any, ...]:
    """The location of the first unknown key of a validation error (``()`` if none)."""
    return next((e["loc"] for e in exc.errors() if e["type"] == "extra_forbidden"), ())


def known_keys(model: Any, loc: Iterable[Any]) -> list[str]:
    """The keys a pydantic model accepts at ``loc`` inside it (list indices and dict keys are stepped
    through), for "did you mean" on an unknown key; ``[]`` where that is not a model."""
    annotation: Any = model
    for part in loc:
        if is_type_tag(part):
            continue
        annotation = _model_in(annotation)
        if annotation is None:
            return []
        if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
            field = annotation.model_fields.get(str(part))
            if field is None:
                return []
            annotation = field.annotation
        else:  # a list or dict: its element type
            args = typing.get_args(annotation)
            annotation = args[-1] if args else None
    annotation = _model_in(annotation)
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return list(annotation.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    """A model, list or dict inside an annotation (``X | None``, ``Annotated[X, ...]``)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = next((a for a in members if _model_in(a) is not None), None)
        elif origin in (list, dict, tuple) or (isinstance(annotation, type)
                                               and issubclass(annotation, pydantic.BaseModel)):
            return annotation
        else:
            return None


def is_type_tag(part: Any) -> bool:
    """pydantic adds union member and validator names to locations; they are not keys."""
    return isinstance(part, str) and (part.startswith(("function-", "json-or-python")) or "[" in part)


def one_line(text: str, limit: int = LIMIT) -> str:
    """``text`` with every run of whitespace (newlines included) made one space, cut to ``limit``."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def show(value: Any, limit: int = 80) -> str:
    """A short repr of a value, for a message."""
    return one_line(repr(value), limit)


def invalid_record(exc: ValidationError, data: Any = None, kind: str | None = None) -> str:
    """``chip 'acme.a1': tdp_w = 9000: Input should be less than or equal to 5000`` (one line).

    :param data: what was validated (a dict); by default, read from the frame that validated it.
    :param kind: the record's kind (``chip``); by default, from the model's name (``ThroughputModel`` ->
        ``throughput model``).
    """
    if data is None:
        data = _validated_input(exc)
    kind = kind or _words(exc.title)
    where, message, value, error_type = first_error(exc, data)
    record_id = None
    if isinstance(data, Mapping):
        record_id = data.get("id") or data.get("name")
    head = f"{kind} {record_id!r}" if isinstance(record_id, str) and record_id else kind
    if error_type == "missing":
        detail = f"{where}: missing"
    elif error_type == "extra_forbidden":
        detail = f"{where}: unknown field"
    elif where and value is not ...:
        detail = f"{where} = {show(value)}: {message}"
    elif where:
        detail = f"{where}: {message}"
    else:  # a check of the whole record (e.g. year_last before year_available)
        detail = message
    more = len(exc.errors()) - 1
    if more:
        detail += f" (and {more} more error{'s' if more > 1 else ''})"
    return one_line(f"{head}: {detail}")


def describe(exc: BaseException) -> str:
    """An exception in one line: ``RuntimeError: datasheet server down``; a ``ValidationError`` as
    ``ValidationError: chip 'acme.a1': tdp_w = 9000: ...`` (:func:`invalid_record`)."""
    if isinstance(exc, ValidationError):
        return f"ValidationError: {invalid_record(exc)}"
    text = one_line(str(exc))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _validated_input(exc: ValidationError) -> Any:
    """The input of the innermost pydantic frame of the traceback (``BaseModel.__init__``'s keyword
    arguments, ``model_validate``'s object), or None."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename.startswith(_PYDANTIC_DIR):
            for name in ("data", "obj"):
                value = frame.f_locals.get(name)
                if isinstance(value, Mapping):
                    found = value
                    break
        tb = tb.tb_next
    return found


def _words(name: str) -> str:
    """``ThroughputModel`` -> ``throughput model``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()
