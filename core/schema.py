"""The problem file: pydantic models of the TOML contract (design section 8).

Unknown keys are errors everywhere (``extra="forbid"``). Quantities carry their unit in the key name;
per-year values are a number (every year) or a table keyed by period year. ``tokenplan schema`` prints the
JSON Schema of :class:`Problem`.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, create_model, field_validator

from tokenplan.records import ID_PATTERN, PRECISIONS, CapPerYear, Chip, Cooling, Currency, PerYear, Region, at_most


class Strict(BaseModel):
    #: unknown keys are errors; so are NaN and infinities (a NaN cap once read as "no cap", issue 11)
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


class ProblemSection(Strict):
    """``[problem]``: the horizon, the money and the solver settings."""

    name: str = "tokenplan"
    description: str | None = None
    currency: Currency = Field("CNY", description="All money in the result is in this currency")
    fx: dict[str, float] = Field(default_factory=dict,
                                 description="Exchange rates into `currency`, e.g. {USD = 7.1}")
    periods: list[int] = Field(min_length=1, description="First year of each period, increasing")
    discount_rate: float = Field(0.08, ge=0, lt=1)
    throughput_model: str = Field("roofline", description="'roofline' (default) or 'flops'")
    time_limit_s: float = Field(60.0, gt=0, le=7 * 86400, description="Wall-clock limit of the solve")
    mip_gap: float = Field(0.001, ge=0, lt=1, description="Relative MIP gap at which to stop")
    threads: int = Field(1, ge=1, le=256, description="HiGHS threads (fixed for determinism)")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="HiGHS random seed (HiGHS takes 0 to 2^31 - 1)")
    load_factor: float = Field(0.7, gt=0, le=1, description="Average load as a share of IT power")
    maintenance_rate: float = Field(0.03, ge=0, le=1, description="Share of accelerator capex per year")
    last_period_years: int = Field(1, ge=1, le=50, description="Length of the last period, years")
    facility_lifetime_years: float = Field(20.0, gt=0, le=100)

    @field_validator("periods")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        for a, b in itertools.pairwise(value):
            if b <= a:
                raise ValueError(f"periods must increase strictly, got {a} then {b}")
        for year in value:
            if not 1990 <= year <= 2200:
                raise ValueError(f"period {year} is not a plausible year")
        return value

    @field_validator("fx")
    @classmethod
    def _positive_rates(cls, value: dict[str, float]) -> dict[str, float]:
        for key, rate in value.items():
            if len(key) != 3 or not key.isupper():
                raise ValueError(f"fx key {key!r} is not an ISO 4217 currency code")
            if not 1e-6 <= rate <= 1e6:
                raise ValueError(f"fx.{key} must be in [1e-06, 1e+06], got {rate:g}")
        return value


class Workload(Strict):
    """``[[workloads]]``: a token demand and what serving one token takes."""

    id: str = Field(pattern=ID_PATTERN)
    name: str | None = None
    tokens_per_day: Annotated[PerYear, at_most(1e20, "tokens per day")] = Field(
        description="Tokens to serve per day (average), per year")
    peak_to_average: float = Field(1.0, ge=1.0, le=20.0, description="Capacity needed over the average")
    precision: str | None = Field(None, description=f"Numeric format: one of {', '.join(PRECISIONS)}")
    # flops mode
    flops_per_token: float | None = Field(None, gt=0, le=1e18)
    utilisation: float | None = Field(None, gt=0, le=1, description="Share of peak FLOPS achieved (flops)")
    # roofline mode
    active_params_b: float | None = Field(None, gt=0, le=100_000)
    total_params_b: float | None = Field(None, gt=0, le=100_000)
    kv_bytes_per_token: float | None = Field(None, ge=0, le=1e9)
    context_tokens: int | None = Field(None, ge=1, le=100_000_000)
    output_fraction: float | None = Field(None, ge=0, le=1,
                                          description="Share of tokens generated (decode); rest is prompt")
    # serving (roofline mode; all optional)
    prefix_cache_hit: float | None = Field(None, ge=0, lt=1, description="Share of the prompt tokens served "
                                           "from a prefix cache: they cost no prefill (roofline)")
    tpot_ms: float | None = Field(None, gt=0, le=1e6, description="Latency target: time per output token, ms, "
                                  "at the percentile the model's latency_tail assumes (p99); bounds the batch")
    ttft_ms: float | None = Field(None, gt=0, le=1e7, description="Latency target: time to first token, ms "
                                  "(same percentile); bounds the batch and the replica's prefill time")

    @field_validator("precision")
    @classmethod
    def _known_precision(cls, value: str | None) -> str | None:
        if value is not None and value not in PRECISIONS:
            raise ValueError(f"unknown precision {value!r} (known: {', '.join(PRECISIONS)})")
        return value

    @field_validator("tokens_per_day")
    @classmethod
    def _non_negative(cls, value: PerYear) -> PerYear:
        for v in value.values() if isinstance(value, dict) else [value]:
            if v < 0:
                raise ValueError(f"must be >= 0, got {v}")
        return value


def _partial(model: type[BaseModel], name: str, drop: tuple[str, ...] = (),
             extra: dict[str, Any] | None = None) -> type[BaseModel]:
    """A model with the same fields as ``model``, all optional (None = not given)."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        if field_name in drop:
            continue
        fields[field_name] = (info.annotation | None, Field(None, description=info.description))
    fields.update(extra or {})
    return create_model(name, __config__=ConfigDict(extra="forbid", allow_inf_nan=False, strict=True), **fields)


#: ``[[regions]]``: a region; with ``extends`` it starts from a region of a region pack.
RegionSpec = _partial(Region, "RegionSpec", extra={
    "extends": (str | None, Field(None, description="Id of a catalog region to start from")),
})
RegionSpec.__doc__ = "A region in a problem file: Region fields, all optional when `extends` is given."
ChipOverride = _partial(Chip, "ChipOverride", drop=("id",))
ChipOverride.__doc__ = "Fields to change on a catalog chip."
CoolingOverride = _partial(Cooling, "CoolingOverride", drop=("id",))
CoolingOverride.__doc__ = "Fields to change on a catalog cooling option."


class ChipsSection(Strict):
    """``[chips]``: which chips may be bought, inline chips, overrides and supply caps."""

    allow: list[str] = Field(default_factory=lambda: ["*"], description="Glob patterns on chip ids")
    deny: list[str] = Field(default_factory=list, description="Glob patterns on chip ids")
    allow_cloud_only: bool = Field(False, description="Let cloud-only chips be bought (what-if studies)")
    custom: list[Chip] = Field(default_factory=list, description="Chips defined inline")
    overrides: dict[str, ChipOverride] = Field(default_factory=dict,  # type: ignore[valid-type]
                                               description="Chip id -> fields to change")
    supply_accelerators: dict[str, Annotated[CapPerYear, at_most(1e10, "supply caps (accelerators)")]] = Field(
        default_factory=dict, description="Chip id -> most accelerators that can be bought per period")
    min_lot_accelerators: dict[str, Annotated[int, Field(ge=1, le=10_000_000)]] = Field(
        default_factory=dict, description="Chip id (or '*' for every chip) -> least accelerators of one purchase "
                                          "(a chip, cooling, region and period) when it is made")


class CoolingsSection(Strict):
    """``[coolings]``: which cooling options may be used, inline options and overrides."""

    allow: list[str] = Field(default_factory=lambda: ["*"])
    deny: list[str] = Field(default_factory=list)
    custom: list[Cooling] = Field(default_factory=list)
    overrides: dict[str, CoolingOverride] = Field(default_factory=dict)  # type: ignore[valid-type]


class HbmSection(Strict):
    """``[hbm]``: HBM supply per pool and year (absent pool or year = unlimited)."""

    unit: Literal["stacks", "GB"] = "stacks"
    supply: dict[str, Annotated[CapPerYear, at_most(1e12, "HBM supplies")]] = Field(
        default_factory=dict, description="Pool -> supply per period")


class BudgetSection(Strict):
    """``[budget]``: an optional cap on capex per period (before subsidies)."""

    capex_per_period: Annotated[CapPerYear | None, at_most(1e18, "budgets")] = None


class SupplyCap(Strict):
    """``[[supply_caps]]``: a delivery cap by supply group and year that may span several chips and regions
    (vendor allocation, an import approval): accelerators of the group's chips bought in the group's regions
    in a period <= the cap of that period (absent year = no cap that period)."""

    id: str = Field(pattern=ID_PATTERN)
    chips: list[str] = Field(min_length=1, description="Chip ids the cap covers (together)")
    regions: list[str] | None = Field(None, min_length=1,
                                      description="Region ids the cap covers (absent: every region)")
    accelerators: Annotated[CapPerYear, at_most(1e10, "supply caps (accelerators)")] = Field(
        description="Most accelerators of the group bought per period (a number or a table by year)")
    source: str | None = Field(None, description="Where the cap comes from")
    note: str | None = None
class InstalledEntry(Strict):
    """``[[fleet.installed]]``: accelerators already owned at a region (design: issue 13 item 1)."""

    id: str | None = Field(None, pattern=ID_PATTERN, description="Name of the entry (default: installed-N)")
    region: str = Field(description="Region id where the units run")
    chip: str = Field(description="Chip id (the catalog's or an inline chip)")
    cooling: str = Field(description="Cooling id the units run on (must be one the chip supports)")
    count: int = Field(ge=1, le=100_000_000, description="Accelerators owned (not purchasable units)")
    year_bought: int = Field(ge=1990, le=2200, description="Year bought; <= the first period")
    book_value: float = Field(ge=0, le=1e15, description="Book value of the whole entry at the start of the "
                              "first period, in `currency` (default: the problem's)")
    currency: Currency | None = Field(None, description="Currency of book_value (converted with problem.fx)")
    retirable: bool | None = Field(None, description="May units of this entry be retired early (default: "
                                   "fleet.allow_retirement)")


class FleetSection(Strict):
    """``[fleet]``: the installed fleet and whether it may be retired early (absent: an empty fleet)."""

    allow_retirement: bool = Field(False, description="Early retirement of installed units is a decision")
    installed: list[InstalledEntry] = Field(default_factory=list, description="Accelerators already owned")


class RentalOffer(Strict):
    """``[[rentals]]``: cloud capacity offered for rent (issue 13 item 2)."""

    id: str = Field(pattern=ID_PATTERN, description="Name of the offer")
    chip: str = Field(description="Chip id the rented accelerators are (their tokens/s come from the catalog)")
    region: str = Field(description="Region id where the rented accelerators run (the rules see this region)")
    price_per_accel_hour: float = Field(gt=0, le=1e6, description="Price per accelerator and hour, in `currency`")
    currency: Currency | None = Field(None, description="Currency of the price (default: the problem's)")
    min_term_years: int = Field(1, ge=1, le=50, description="A rental started in a period runs at least this many "
                                "years (and at least that period); paid for the whole term")
    max_accelerators: Annotated[CapPerYear | None, at_most(1e10, "rental caps (accelerators)")] = Field(
        None, description="Most accelerators rented from the offer in a period (number or per year; absent: none)")
    origin: str | None = Field(None, description="Country code the rules see as the capacity's origin "
                               "(default: the chip's origin)")


class PluginsSection(Strict):
    """``[plugins]``: plugin switches."""

    disable: list[str] = Field(default_factory=list, description="Plugin names not to load")


class Problem(Strict):
    """A planning problem: everything ``tokenplan solve`` needs."""

    problem: ProblemSection
    workloads: list[Workload] = Field(min_length=1)
    regions: list[RegionSpec] = Field(min_length=1)  # type: ignore[valid-type]
    chips: ChipsSection = Field(default_factory=ChipsSection)
    coolings: CoolingsSection = Field(default_factory=CoolingsSection)
    hbm: HbmSection = Field(default_factory=HbmSection)
    budget: BudgetSection = Field(default_factory=BudgetSection)
    supply_caps: list[SupplyCap] = Field(default_factory=list,
                                         description="Delivery caps by supply group (chips, regions) and year")
    fleet: FleetSection = Field(default_factory=FleetSection)
    rentals: list[RentalOffer] = Field(default_factory=list, description="Cloud capacity offered for rent")
    plugins: PluginsSection = Field(default_factory=PluginsSection)
    rules: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Rule id -> parameters (validated by the rule's plugin)")
    throughput: dict[str, Any] = Field(
        default_factory=dict, description="Parameters of the throughput model (validated by its plugin)")
    scenarios: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Scenario name -> overrides (same keys as --set; applied with "
        "--scenario NAME, in order, before --set)")

    _source: str = PrivateAttr("<problem>")
    _applied: dict[str, list[str]] = PrivateAttr(default_factory=lambda: {"scenarios": [], "overrides": []})
    #: the hash the loader kept: ``{"sha256": hex, "of": what was hashed}`` (``tokenplan.provenance``)
    _digest: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def source(self) -> str:
        """The file the problem came from (for error messages)."""
        return self._source

    @property
    def applied(self) -> dict[str, list[str]]:
        """The scenarios and ``--set`` overrides applied when the problem was loaded (provenance)."""
        return self._applied

    @property
    def periods(self) -> list[int]:
        return self.problem.periods


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the problem file."""
    schema = Problem.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "tokenplan problem file"
    return schema
