"""Which parts of the model read which coefficients: the map a fast re-solve needs.

``build(data, record=True)`` gives the context a :class:`DataView` of the data while the model is built:
it records, for every field of :class:`~tokenplan.coefficients.Data` read, who read it: ``"shared"`` (the
context, the shared sets, variables and expressions, the core cost terms, the objective), ``"family:NAME"``
(a core family's rows) or ``"rule:ID"`` (a rule's ``apply``, with every family, cost term and expression it
adds). Methods and properties of ``Data`` run against the view, so what they read is recorded too.

A change of coefficients that only core families read can be applied to a built model by remaking those
families' rows (:meth:`tokenplan.model.ModelContext.refresh`); anything else needs a rebuild.
"""

from __future__ import annotations

import inspect
import types
from collections import defaultdict
from typing import Any


class Recorder:
    def __init__(self) -> None:
        self.consumer = "shared"
        self.reads: dict[str, set[str]] = defaultdict(set)

    def readers(self, field: str) -> set[str]:
        return set(self.reads.get(field, set()))


#: per class, per name: a property, a method or a field (looked up once)
_KINDS: dict[type, dict[str, tuple[str, Any]]] = {}


class DataView:
    """Stands in for a ``Data`` while the model is built; see the module doc."""

    __slots__ = ("_data", "_recorder")

    def __init__(self, data: Any, recorder: Recorder) -> None:
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "_recorder", recorder)

    def __getattr__(self, name: str) -> Any:
        data = object.__getattribute__(self, "_data")
        kinds = _KINDS.setdefault(type(data), {})
        kind = kinds.get(name)
        if kind is None:
            static = inspect.getattr_static(type(data), name, None)
            kind = kinds[name] = (("property", static.fget) if isinstance(static, property) else
                                  ("method", static) if isinstance(static, types.FunctionType) else ("field", None))
        if kind[0] == "property":
            return kind[1](self)
        if kind[0] == "method":
            return types.MethodType(kind[1], self)
        recorder = object.__getattribute__(self, "_recorder")
        recorder.reads[name].add(recorder.consumer)
        return getattr(data, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_data"), name, value)


def unwrap(data: Any) -> Any:
    """The ``Data`` behind a view (or ``data`` itself)."""
    if isinstance(data, DataView):
        return object.__getattribute__(data, "_data")
    return data
