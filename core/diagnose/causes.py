"""A cause of infeasibility in a planner's words: what, where, by how much, and what to change.

Both the pre-solve checks and the elastic re-solves report :class:`Cause` objects; ``as_dict`` is their form in
the JSON ``diagnosis`` (``causes``), and the shortfalls of older results are the causes' amounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Cause:
    """One reason a plan is impossible.

    :param family: the check or constraint family (``availability``, ``rack_density``, ``pue_cap``,
        ``rule:<rule id>``, ``throughput``, ``power_cap``, ``hbm``, ``budget``, ``chip_supply``, ``demand``, ...).
    :param message: one line, with the numbers.
    :param fix: the option or key to change.
    :param constraint: the constraint family that must give (``demand`` for an unserved demand).
    :param where: the family's index in domain words (``{"workload": "chat", "period": 2026}``).
    :param amount: how much must give, in ``unit`` (``None`` when it is not a quantity).
    :param share: ``amount`` over the row's right-hand side, where that means something.
    """

    family: str
    message: str
    fix: str
    constraint: str | None = None
    where: dict[str, Any] = field(default_factory=dict)
    amount: float | None = None
    unit: str | None = None
    share: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"family": self.family, "message": self.message, "fix": self.fix, "constraint": self.constraint,
                "where": self.where, "amount": self.amount, "unit": self.unit, "share": self.share}

    def shortfall(self) -> dict[str, Any] | None:
        """The older ``shortfalls`` entry (constraint, where, amount, unit, share), if this is a quantity."""
        if self.constraint is None or self.amount is None:
            return None
        return {"constraint": self.constraint, "where": self.where, "amount": self.amount, "unit": self.unit,
                "share": self.share}


def diagnosis(causes: list[Cause], method: str, *, summary: str | None = None, **extra: Any) -> dict[str, Any]:
    """The JSON ``diagnosis``: ``summary`` (one line), ``causes``, ``shortfalls`` and ``method``."""
    shortfalls = [s for s in (c.shortfall() for c in causes) if s is not None]
    return {"summary": summary if summary is not None else "; ".join(c.message for c in causes),
            "causes": [c.as_dict() for c in causes], "shortfalls": shortfalls, "method": method, **extra}
