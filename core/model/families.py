"""The core constraint families, in the order they are built (rows in the model follow it). Adding a family
is one module with a ``Family`` and one line here."""

from __future__ import annotations

from tokenplan.model import (
    assignment,
    budget,
    chip_supply,
    cooling,
    demand,
    grid,
    hbm,
    installed,
    lots,
    power,
    rentals,
    supply_caps,
)
from tokenplan.model.family import Family

FAMILIES: tuple[Family, ...] = (
    demand.FAMILY,
    assignment.FAMILY,
    power.POWER,
    power.POWER_CAP,
    grid.FAMILY,
    hbm.FAMILY,
    chip_supply.FAMILY,
    supply_caps.FAMILY,
    cooling.FAMILY,
    budget.FAMILY,
    lots.MIN_LOT,
    lots.LOT_OPEN,
    installed.RETIRE,
    rentals.CAP,
    lots.RENT_MIN,
    lots.RENT_OPEN,
)
