"""The typed records that plugins contribute and problem files define inline.

Chips, cooling options and regions are pydantic models with units in the field names; validation rejects
impossible values. Every figure may carry a source (``sources``: field name -> citation) and an estimate
flag (``estimate``: names of the fields whose value is an estimate). Rules are classes (see :class:`Rule`).
"""

from __future__ import annotations

import functools
import math
import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    field_validator,
    model_validator,
)

if TYPE_CHECKING:
    from tokenplan.coefficients import Data
    from tokenplan.diagnose import Cause
    from tokenplan.model import ModelContext

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
PRECISIONS = ("fp4", "fp6", "fp8", "int8", "fp16", "bf16", "tf32", "fp32", "fp64")
#: Formats a chip falls back to when it lacks native support for a workload's precision: the same width first
#: (fp8 <-> int8: an 8-bit workload runs W8A8 in either, as Ascend parts serve), then wider ones.
PRECISION_FALLBACK = {
    "fp4": ("fp6", "fp8", "int8", "bf16", "fp16"),
    "fp6": ("fp8", "int8", "bf16", "fp16"),
    "fp8": ("int8", "bf16", "fp16"),
    "int8": ("fp8", "bf16", "fp16"),
    "bf16": ("fp16",),
    "fp16": ("bf16",),
    "tf32": ("fp32",),
    "fp32": (),
    "fp64": (),
}



def _per_year(value: Any) -> float | dict[int, float]:
    """Accept a number (every year) or a table ``{year = number}`` (TOML keys are strings)."""
    def number(v: Any, where: str) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError(f"{where}expected a number, got {v!r}")
        if not math.isfinite(v):
            raise ValueError(f"{where}expected a finite number, got {v!r}")
        return float(v)

    if isinstance(value, dict):
        out: dict[int, float] = {}
        for key, v in value.items():
            try:
                year = int(key)
            except (TypeError, ValueError):
                raise ValueError(f"table keys must be years, got {key!r}") from None
            if not 1900 <= year <= 2200:
                raise ValueError(f"table keys must be years, got {key!r}")
            out[year] = number(v, f"year {year}: ")
        return dict(sorted(out.items()))
    return number(value, "")


#: A per-year quantity: a scalar (every year) or a table keyed by period year.
PerYear = Annotated[
    float | dict[int, float],
    PlainValidator(_per_year),
    WithJsonSchema({"anyOf": [
        {"type": "number"},
        {"type": "object", "patternProperties": {"^[0-9]{4}$": {"type": "number"}},
         "additionalProperties": False}],
        "description": "A number (every year) or a table keyed by year"}),
]


def _cap_per_year(value: Any) -> float | dict[int, float]:
    """:func:`_per_year`, and every value >= 0 (a cap or a supply)."""
    out = _per_year(value)
    for year, v in (out.items() if isinstance(out, dict) else [(None, out)]):
        if v < 0:
            raise ValueError(f"{'' if year is None else f'year {year}: '}a cap must be >= 0, got {v:g}")
    return out


def at_most(high: float, what: str) -> AfterValidator:
    """A per-year value (or a number) no larger than ``high``: the largest magnitude tokenplan takes for
    ``what``, so that no coefficient of the model leaves the range HiGHS solves reliably (1e-9 to 1e15 after
    scaling); a value beyond it is a typo (``1e30`` for ``1e3``), refused at load with the range."""
    def check(value: Any) -> Any:
        for year, v in (value.items() if isinstance(value, dict) else [(None, value)]):
            if v is not None and v > high:
                where = "" if year is None else f"year {year}: "
                raise ValueError(f"{where}{v:g} is out of range: tokenplan takes {what} up to {high:g}")
        return value
    return AfterValidator(check)


#: a cap or a supply per year: :data:`PerYear`, never negative
CapPerYear = Annotated[
    float | dict[int, float],
    PlainValidator(_cap_per_year),
    WithJsonSchema({"anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "object", "patternProperties": {"^[0-9]{4}$": {"type": "number", "minimum": 0}},
         "additionalProperties": False}],
        "description": "A number >= 0 (every year) or a table keyed by year"}),
]

Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2 country code")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code")]


class Record(BaseModel):
    """Common base: unknown keys are errors; figures carry sources and estimate flags."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)

    id: str = Field(pattern=ID_PATTERN, description="Unique id, e.g. 'nvidia.h200'")
    sources: dict[str, str] = Field(
        default_factory=dict, description="Provenance: field name -> citation ('*' for the whole record)")
    estimate: list[str] = Field(
        default_factory=list, description="Names of fields whose value is an estimate, not a published figure")
    notes: str | None = None

    @model_validator(mode="after")
    def _provenance_names_fields(self) -> Record:
        names = set(type(self).model_fields) | {"*"}
        for key in self.sources:
            if key.split(".")[0] not in names:
                raise ValueError(f"sources names unknown field {key!r}")
        for key in self.estimate:
            if key.split(".")[0] not in names:
                raise ValueError(f"estimate names unknown field {key!r}")
        return self

    def is_estimate(self, field: str) -> bool:
        return field in self.estimate or field.split(".")[0] in self.estimate


#: the parts of a purchasable unit's system bill besides the accelerator (issue 13): ``server`` (chassis, CPUs,
#: memory, baseboard), ``scale_up`` (NVLink/UB switches and cables of the scale-up domain), ``scale_out`` (NICs
#: and switches of the cluster fabric), ``optics`` (optical modules of the fabric: a count per accelerator x a
#: price each), ``storage`` (the share of the cluster's storage)
BILL_PARTS = ("server", "scale_up", "scale_out", "optics", "storage")
#: what a catalog price of each ``price_basis`` already includes: the bill adds only the other parts
BASIS_INCLUDES: dict[str, tuple[str, ...]] = {"accelerator": (), "server": ("server", "scale_up"),
                                              "system": ("server", "scale_up")}


class BillLine(BaseModel):
    """One part of a chip's system bill: ``count_per_accel`` x ``price_each`` (the chip's price currency) and
    x ``w_each`` (watts), per accelerator."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)

    count_per_accel: float = Field(1.0, ge=0, le=1000, description="Items per accelerator (optical modules: "
                                   "e.g. 2 per GPU on a two-tier 800G fabric)")
    price_each: float = Field(0.0, ge=0, le=1e9, description="Price of one item, the chip's price currency")
    w_each: float = Field(0.0, ge=0, le=5000, description="Power of one item, W")


def _known_keys(value: dict[str, Any], known: Any, what: str) -> dict[str, Any]:
    """``value`` when every key is one of ``known``; else a ValueError naming the first that is not."""
    for key in value:
        if key not in known:
            raise ValueError(f"unknown {what} {key!r} (known: {', '.join(known)})")
    return value


class Chip(Record):
    """An accelerator as it is bought: specs per accelerator, sold in units of ``unit_size``."""

    vendor: str
    name: str | None = Field(None, description="Display name, e.g. 'NVIDIA H200 SXM'")
    family: str | None = None
    origin: Country = Field(description="Country of the designer; a chip is domestic where it equals the "
                                        "region's country")
    year_available: int = Field(ge=1990, le=2100)
    year_last: int | None = Field(None, ge=1990, le=2100, description="Last year it can be bought")
    quarter_available: int | None = Field(None, ge=1, le=4, description="Quarter of year_available in which it "
                                          "ships: a purchase in that year serves (5 - q) / 4 of it (absent: all)")
    lead_time_months: float = Field(0.0, ge=0, le=120, description="Order (or shipping) to online, months: a "
                                    "purchase serves its period less this time")
    tflops: dict[str, Annotated[float, Field(gt=0, le=100_000)]] = Field(
        default_factory=dict, description="Dense peak TFLOPS by precision (no sparsity)")
    gemm_tflops: dict[str, Annotated[float, Field(gt=0, le=100_000)]] = Field(
        default_factory=dict, description="Measured sustained dense GEMM TFLOP/s by precision (an independent "
        "microbenchmark of the chip and its software stack, not a datasheet peak); at most the peak at that "
        "precision; the roofline model computes at it where given")
    hbm_gb: float | None = Field(None, ge=0, le=10_000)
    hbm_stacks: int | None = Field(None, ge=0, le=64)
    hbm_pool: str | None = Field(None, description="HBM supply pool, e.g. 'global' or 'cn'")
    mem_bw_tbs: float | None = Field(None, gt=0, le=100)
    tdp_w: float | None = Field(None, gt=0, le=5000)
    host_w_per_accel: float = Field(0.0, ge=0, le=5000, description="Server overhead per accelerator, W")
    unit_size: int = Field(1, ge=1, le=100_000, description="Accelerators per purchasable unit")
    price_per_accel: float | None = Field(None, gt=0, le=1e9)
    price_currency: Currency | None = Field(None, description="Currency of the price (default: the problem's)")
    price_year: int | None = Field(None, ge=1990, le=2100)
    cooling: list[str] = Field(min_length=1, description="Cooling kinds the chip supports")
    rack_kw: float | None = Field(None, gt=0, le=2000,
                                  description="Rack power; default: IT kW of one purchasable unit")
    lifetime_years: float = Field(5.0, gt=0, le=30)
    cloud_only: bool = Field(False, description="Rented only, not purchasable unless the problem allows it")
    price_basis: Literal["accelerator", "server", "system"] | None = Field(
        None, description="What price_per_accel includes: the bare accelerator, its share of a server (with its "
        "in-server scale-up), or of a whole rack/super-node system; the bill adds the rest")
    bill: dict[str, BillLine] = Field(default_factory=dict, description=f"System bill: part ({', '.join(BILL_PARTS)}) "
                                      "-> count, price and power per accelerator")

    @field_validator("tflops", "gemm_tflops")
    @classmethod
    def _known_precisions(cls, value: dict[str, float]) -> dict[str, float]:
        return _known_keys(value, PRECISIONS, "precision")

    @model_validator(mode="after")
    def _gemm_within_peak(self) -> Chip:
        for precision, measured in self.gemm_tflops.items():
            peak = self.tflops.get(precision)
            if peak is not None and measured > peak:
                raise ValueError(f"gemm_tflops {precision} = {measured:g} is above the dense peak (tflops "
                                 f"{precision} = {peak:g}): a measured sustained rate cannot exceed it")
        return self

    @field_validator("bill")
    @classmethod
    def _known_parts(cls, value: dict[str, BillLine]) -> dict[str, BillLine]:
        return _known_keys(value, BILL_PARTS, "bill part")

    @model_validator(mode="after")
    def _bill_needs_basis(self) -> Chip:
        if self.bill and self.price_basis is None:
            raise ValueError("a bill needs price_basis (accelerator, server or system): what the price includes")
        return self

    def bill_added(self) -> list[str]:
        """The bill's parts the price does not include (``BASIS_INCLUDES``), in ``BILL_PARTS`` order."""
        included = BASIS_INCLUDES.get(self.price_basis or "", ())
        return [p for p in BILL_PARTS if p in self.bill and p not in included]

    @property
    def bill_price_per_accel(self) -> float:
        """Price per accelerator the bill adds to ``price_per_accel`` (its currency)."""
        return sum(self.bill[p].count_per_accel * self.bill[p].price_each for p in self.bill_added())

    @property
    def bill_w_per_accel(self) -> float:
        """Power per accelerator the bill adds to ``tdp_w + host_w_per_accel``, W."""
        return sum(self.bill[p].count_per_accel * self.bill[p].w_each for p in self.bill_added())

    @model_validator(mode="after")
    def _years_ordered(self) -> Chip:
        if self.year_last is not None and self.year_last < self.year_available:
            raise ValueError(f"year_last {self.year_last} is before year_available {self.year_available}")
        return self

    @property
    def it_kw_per_accel(self) -> float | None:
        """IT kW per accelerator: (tdp + host overhead + the bill's added parts) / 1000."""
        if self.tdp_w is None:
            return None
        return (self.tdp_w + self.host_w_per_accel + self.bill_w_per_accel) / 1000.0

    def effective_tflops(self, precision: str) -> tuple[float, str] | None:
        """Peak TFLOPS at ``precision``, or at the next wider precision the chip supports."""
        for candidate in (precision, *PRECISION_FALLBACK.get(precision, ())):
            if candidate in self.tflops:
                return self.tflops[candidate], candidate
        return None


class Cooling(Record):
    """A cooling option for a site: efficiency, density limit and costs per kW of IT load."""

    name: str | None = None
    pue: float = Field(ge=1.0, le=3.0)
    max_rack_kw: float = Field(gt=0, le=2000)
    capex_per_kw_it: float = Field(ge=0, le=1e7)
    opex_per_kw_it_year: float = Field(ge=0, le=1e6)
    site_fixed_cost: float = Field(0.0, ge=0, le=1e12, description="Paid once per site that uses it")
    water_l_per_kwh: float | None = Field(None, ge=0, le=100)
    currency: Currency | None = Field(None, description="Currency of the costs (default: the problem's)")


class Region(Record):
    """A site or region where accelerators can be installed."""

    name: str | None = None
    country: Country
    tags: list[str] = Field(default_factory=list)
    power_mw: Annotated[PerYear | None, at_most(1e6, "grid caps (MW)")] = Field(
        None, description="Grid connection cap, MW (per year)")
    existing_mw: float = Field(0.0, ge=0, le=1e6)
    block_mw: float = Field(10.0, ge=1e-4, le=1e5, description="Facility build granularity, MW (at least 100 W: "
                                                                  "smaller blocks make numbers HiGHS drops)")
    facility_capex_per_mw: float | None = Field(None, ge=0, le=1e12)
    block_lead_years: float = Field(0.0, ge=0, le=20, description="Build-out lead time of a facility block, "
                                    "years: a block ordered (and paid) in a period serves from its year + this")
    grid_increase_mw: float | None = Field(None, gt=0, le=1e5, description="Size of one grid-connection "
                                           "increase, MW: with it the grid cap can be raised, step by step")
    grid_increase_max_mw: float | None = Field(None, ge=0, le=1e6, description="Most MW the grid connection can "
                                               "be raised by over the horizon")
    grid_capex_per_mw: float | None = Field(None, ge=0, le=1e12, description="Cost of raising the grid "
                                            "connection, per MW (paid when ordered)")
    grid_lead_years: float = Field(0.0, ge=0, le=20, description="Lead time of a grid increase, years: ordered "
                                   "(and paid) in a period, it is energised from its year + this")
    power_price_per_kwh: Annotated[PerYear | None, at_most(1e5, "power prices (per kWh)")] = None
    pue_cap: float | None = Field(None, ge=1.0, le=3.0, description="Regulatory PUE ceiling")
    pue_factor: float = Field(1.0, gt=0.5, le=2.0, description="Climate factor on the cooling's PUE")
    currency: Currency | None = Field(None, description="Currency of the money fields (default: the problem's)")

    @field_validator("power_mw", "power_price_per_kwh")
    @classmethod
    def _non_negative(cls, value: PerYear | None) -> PerYear | None:
        values = value.values() if isinstance(value, dict) else [value]
        for v in values:
            if v is not None and v < 0:
                raise ValueError(f"must be >= 0, got {v}")
        return value


class ThroughputModel(BaseModel):
    """A throughput model a plugin provides (``tokenplan_throughput_models``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    workload_fields: list[str] = Field(description="Workload keys the model needs")
    params: dict[str, Any] = Field(default_factory=dict, description="Default parameters")
    param_bounds: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="Parameter -> (lowest, highest) accepted value (checked by the core)")


class RuleParams(BaseModel):
    """Base of a rule's parameter model: unknown keys are errors; ``enabled`` switches the rule."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)

    enabled: bool = True


class Rule:
    """A rule plugin: parameters plus the components and cost terms it adds to the model.

    Subclasses set ``id``, ``description`` and ``Params`` (a :class:`RuleParams` subclass whose fields have
    defaults and, in ``json_schema_extra={"source": ...}``, their sources) and override any of:

    - :meth:`adjust` (before the model is built): change coefficients in ``data`` — forbid tuples
      (``data.forbid``), scale prices (``data.price_multiplier``);
    - :meth:`apply` (while it is built): add to the model through the :class:`tokenplan.model.ModelContext`
      ``ctx``: rows with ``ctx.add_family`` (they get shadow prices and, with an elastic role, a place in the
      diagnosis), objective terms with ``ctx.add_cost``, variables with ``ctx.add_variable``; never edit the
      objective;
    - :meth:`report` (after the solve, values loaded): a dict for the result's ``rules`` section;
    - :meth:`check` (before the build): causes of infeasibility visible without solving, for the diagnosis;
    - :meth:`refresh` with :attr:`patchable` (fast re-solves): take new values of some parameters into a model
      already built, instead of a rebuild.
    """

    id: ClassVar[str]
    description: ClassVar[str] = ""
    Params: ClassVar[type[RuleParams]] = RuleParams
    #: Parameters whose change :meth:`refresh` can take into a model the rule already built (a fast re-solve
    #: patches the compiled model instead of building it again). A change of any other parameter, or of a
    #: rule that declares none (the default), rebuilds the model.
    patchable: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, params: RuleParams | None = None) -> None:
        self.params = params if params is not None else self.Params()

    def adjust(self, data: Data) -> None:  # pragma: no cover - default does nothing
        """Change coefficients before the model is built."""

    def apply(self, ctx: ModelContext) -> None:  # pragma: no cover - default does nothing
        """Add rows, variables and cost terms to the model."""

    def report(self, ctx: ModelContext) -> dict[str, Any] | None:  # pragma: no cover
        """Summarise what the rule did in the solved model (``ctx.value`` reads the solved values)."""
        return None

    def check(self, data: Data) -> list[Cause]:
        """Before the model is built (after every rule's :meth:`adjust`): causes that make the problem
        infeasible whatever the solver does, as :class:`tokenplan.diagnose.Cause` objects with the rule's
        numbers and a fix (e.g. a share no allowed chip can meet). The default finds none."""
        return []

    def refresh(self, ctx: ModelContext, old: RuleParams) -> bool:
        """Take this rule's parameters into the model it built with ``old`` (they differ only in
        :attr:`patchable` ones; the sets and every coefficient the rule reads are the same): remake the rows
        of its families with ``ctx.refresh_family`` and the bounds of its variables with ``ctx.set_bounds``,
        exactly as :meth:`apply` would have made them with these parameters. Return False, having changed
        nothing, when the change is structural (a family, a row, a variable or a cost term would appear,
        vanish or change): the model is then rebuilt. The default returns False."""
        return False

    def __repr__(self) -> str:
        return f"<Rule {self.id}>"


#: Chip fields that need a source whenever they are set (``host_w_per_accel``, ``lead_time_months`` only when
#: not 0).
CHIP_FIGURES = ("year_available", "year_last", "hbm_gb", "hbm_stacks", "mem_bw_tbs", "tdp_w", "host_w_per_accel",
                "unit_size", "price_per_accel", "rack_kw", "lifetime_years", "hbm_pool", "cooling",
                "quarter_available", "lead_time_months")
COOLING_FIGURES = ("pue", "max_rack_kw", "capex_per_kw_it", "opex_per_kw_it_year", "water_l_per_kwh")
REGION_FIGURES = ("power_price_per_kwh", "pue_cap")


def missing_sources(record: Record) -> list[str]:
    """Names of the figures of ``record`` that are set but have no source (``tflops.fp8`` style for TFLOPS).

    ``tokenplan.testing`` re-exports this for plugin authors' tests."""
    def sourced(name: str) -> bool:
        return bool(record.sources.get(name) or record.sources.get("*"))

    missing = []
    figures = {Chip: CHIP_FIGURES, Cooling: COOLING_FIGURES, Region: REGION_FIGURES}.get(type(record), ())
    for name in figures:
        value = getattr(record, name)
        if value is None or (name in ("host_w_per_accel", "lead_time_months") and value == 0):
            continue
        if not sourced(name):
            missing.append(name)
    if isinstance(record, Chip):
        for field in ("tflops", "gemm_tflops"):
            missing += [f"{field}.{p}" for p in getattr(record, field)
                        if not (sourced(f"{field}.{p}") or sourced(field))]
    return missing


@functools.lru_cache(maxsize=4096)
def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """Compile an fnmatch-style glob on ids (``*`` and ``?``; case-sensitive); compiled once per pattern."""
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("^" + "".join(out) + "$")
