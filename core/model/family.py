"""The contract of a constraint family and of a cost term.

A :class:`Family` is everything tokenplan knows about a set of rows, declared once: its name and index
labels, its sense, the unit of its right-hand side, how its rows are made, its role in the elastic
diagnosis, whether its rows are scaled, the problem key behind its numbers, and a one-line doc. The
machinery that turns rows into Pyomo constraints (scaling, slacks, empty rows) is written once, in
:meth:`tokenplan.model.ModelContext.add_family`; shadow prices, the binding table and the elastic diagnosis
read the families, and nothing else holds facts about them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from tokenplan.model.context import ModelContext

Category = Literal["capex", "opex", "subsidy", "salvage"]
#: ``demand``: what is asked (given slack when the diagnosis asks how much demand falls short);
#: ``cap``: a limit (given slack when the diagnosis asks which caps must grow, and by how much)
Elastic = Literal["demand", "cap"]
Sense = Literal["<=", ">="]


@dataclass(frozen=True)
class Row:
    """One row: ``lhs sense rhs``, both in model units (unscaled). ``lhs`` is a linear Pyomo expression,
    or a number when no variable takes part (the row is then checked, not built)."""

    lhs: Any
    rhs: float


@dataclass(frozen=True)
class Family:
    """A constraint family (see the module doc). Units are templates: ``{cur}`` the problem currency,
    ``{hbm}`` / ``{hbm_one}`` the HBM unit in plural / singular ("HBM stacks" / "HBM stack")."""

    name: str
    index: tuple[str, ...]
    sense: Sense
    #: unit of the right-hand side and of a shortfall (plural): "tokens/s", "MW", "{hbm}", "{cur}"
    unit: str
    #: what a shadow price is per (singular): "token/s", "MW", "{hbm_one}", "{cur} of budget"
    per: str
    #: ctx -> {index tuple: Row}; rows with an infinite right-hand side are left out by the family
    rows: Callable[[ModelContext], dict[tuple[Any, ...], Row]]
    doc: str
    elastic: Elastic | None = None
    #: rows scaled by a power of ten so that the largest right-hand side lies in [100, 1000)
    scaled: bool = False
    #: domain units per model unit of the right-hand side (money families: MONEY)
    model_unit: float = 1.0
    #: the problem key whose value makes the rows' numbers, formatted with the row's index
    input_key: str | None = None
    #: show the rows' shadow prices in the result (off for bookkeeping rows such as links to a binary)
    report_duals: bool = True
    #: ctx -> {index tuple: right-hand side}: the rows' index and right-hand sides alone, exactly as ``rows``
    #: gives them, without making the left-hand sides (a fast re-solve sets new right-hand sides in place)
    rhs: Callable[[ModelContext], dict[tuple[Any, ...], float]] | None = None
    #: the ``Data`` fields that enter only the right-hand sides (and which rows exist), never a coefficient:
    #: a change of these alone is a change of bounds, given ``rhs``
    rhs_reads: tuple[str, ...] = ()

    def label(self, template: str, currency: str, hbm_unit: str) -> str:
        plural, one = ("HBM stacks", "HBM stack") if hbm_unit == "stacks" else ("GB of HBM", "GB of HBM")
        return template.format(cur=currency, hbm=plural, hbm_one=one)

    def where(self, index: Any) -> dict[str, Any]:
        """Index labels -> values of one row's index."""
        index = index if isinstance(index, tuple) else (index,)
        return dict(zip(self.index, index))

    def key_of(self, index: Any) -> str | None:
        if self.input_key is None:
            return None
        index = index if isinstance(index, tuple) else (index,)
        return self.input_key.format(*index)


@dataclass
class CostTerm:
    """One addend of the objective: a present value in model money, signed (subsidies and salvage negative)."""

    name: str
    category: Category
    expr: Any
    #: the term split by (region or None, period year): present values that sum to ``expr``, for the result's
    #: money tables (``costs_by_period``, the plan's subsidies); None: not split (shown apart)
    parts: dict[tuple[str | None, int], Any] | None = None
    #: when the parts are paid: ``"at"`` the period's first year (capex, a capex subsidy), ``"over"`` every
    #: year of the period (opex, an electricity discount)
    timing: str = "at"
