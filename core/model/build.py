"""``build(data) -> model``: the shared sets, variables and expressions, every family of ``FAMILIES``, the
core cost terms, each rule's ``apply``, and the objective (the sum of the cost terms, and nothing else)."""

from __future__ import annotations

import pyomo.core as pyo

from tokenplan.coefficients import Data
from tokenplan.model import costs, families, grid, installed, rentals, shared
from tokenplan.model.context import ModelContext
from tokenplan.model.family import Elastic, Family
from tokenplan.model.reads import DataView, Recorder


def build(data: Data, *, elastic: Elastic | None = None, family_list: tuple[Family, ...] | None = None,
          record: bool = False) -> pyo.ConcreteModel:
    """Build the model: the shared sets, variables and expressions, the families of ``family_list`` (default:
    ``tokenplan.model.families.FAMILIES``, read at each call), the core cost terms, the rules, the objective.
    With ``elastic`` ("demand" or "cap"), the rows of every family with that role (rules' included) get
    slacks, and the objective minimises the total relative violation instead of cost: the diagnosis model
    (each slack is weighted by one over its row's right-hand side). With ``record``, ``ctx.reads`` says who
    read which coefficients (:mod:`tokenplan.model.reads`, for fast re-solves)."""
    recorder = Recorder() if record else None
    m = pyo.ConcreteModel(name=data.problem.problem.name)
    ctx = ModelContext(m, DataView(data, recorder) if recorder is not None else data, elastic)
    m.tp_ctx = ctx

    def reading(consumer: str) -> None:
        if recorder is not None:
            recorder.consumer = consumer

    shared.define(ctx)
    for family in families.FAMILIES if family_list is None else family_list:
        reading(f"family:{family.name}")
        ctx.add_family(family)
    reading("shared")
    costs.define(ctx)
    installed.define_costs(ctx)
    rentals.define_costs(ctx)
    grid.define_costs(ctx)
    for rule in data.selection.rules:
        reading(f"rule:{rule.id}")
        with data.selection.blame(rule, "apply()"):
            rule.apply(ctx)
    reading("shared")
    define_objective(ctx)
    ctx.data = data
    ctx.reads = recorder
    return m


def define_objective(ctx: ModelContext) -> None:
    """Minimise the net present cost: the sum of the cost terms (or, elastic, the relative violation)."""
    m = ctx.model
    for i, term in enumerate(ctx.cost_terms):
        m.add_component(f"cost_{i}_{term.name}", pyo.Expression(expr=term.expr))
    if ctx.elastic is not None:
        m.npc = pyo.Objective(expr=pyo.quicksum(
            w[i] * var[i] for parts in ctx.slacks.values() for var, w in parts for i in var), sense=pyo.minimize)
    else:
        m.npc = pyo.Objective(expr=pyo.quicksum(t.expr for t in ctx.cost_terms), sense=pyo.minimize)


def input_key(row: object) -> str | None:
    """The problem key whose value made a row's numbers (None if its family declares none)."""
    if row is None:
        return None
    ctx = row.model().tp_ctx  # type: ignore[attr-defined]
    family = ctx.family(row.parent_component().local_name)  # type: ignore[attr-defined]
    return None if family is None else family.key_of(row.index())  # type: ignore[attr-defined]
