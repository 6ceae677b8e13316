"""The optimisation model (``import tokenplan.model``): constraint families, cost terms and the context rules
build with.

- :class:`Family`, :class:`Row`, :class:`CostTerm`: the contract of a constraint family and of a cost term;
- :class:`ModelContext`, :class:`Purchase`: what families, cost terms and rules build the model with;
- :data:`FAMILIES`: the core families, in build order; :func:`build`: the model of a problem;
- :class:`Data` (the coefficients a rule's ``adjust`` changes) and :data:`MONEY` (the model's money unit).

One module per family (``demand``, ``assignment``, ``power``, ``hbm``, ``chip_supply``, ``cooling``,
``budget``), ``shared`` for the sets, variables and shared expressions, ``costs`` for the core cost terms;
``installed`` (the installed fleet: ``retire`` variables, ``installed_retire`` rows, their cost terms) and
``rentals`` (``rent_start`` variables, ``rental_cap`` rows, their cost terms).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# the contract is importable without Pyomo (rule plugins import it at load time); the rest on first use
from tokenplan.model.family import Category, CostTerm, Elastic, Family, Row

_LAZY = {
    "MONEY": "tokenplan.coefficients", "Data": "tokenplan.coefficients", "build": "tokenplan.model.build",
    "input_key": "tokenplan.model.build", "ModelContext": "tokenplan.model.context",
    "Purchase": "tokenplan.model.context", "FAMILIES": "tokenplan.model.families",
}

if TYPE_CHECKING:
    from tokenplan.coefficients import MONEY, Data
    from tokenplan.model.build import build, input_key
    from tokenplan.model.context import ModelContext, Purchase
    from tokenplan.model.families import FAMILIES


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tokenplan.model' has no attribute {name!r}")

__all__ = ["FAMILIES", "MONEY", "Category", "CostTerm", "Data", "Elastic", "Family", "ModelContext", "Purchase",
           "Row", "build", "input_key"]
