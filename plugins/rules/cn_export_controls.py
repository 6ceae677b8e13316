"""``cn.export_controls``: which foreign chips may be bought for sites in China, by year, and at what licence fee.

Applies to a chip c, a region r and a period year y when r's country is in ``countries``, c's origin is in
``origins`` and differs from r's country. The first of these that holds decides (globs on chip ids):

1. c matches ``deny`` or its family matches ``deny_families`` -> banned (Blackwell and later: not licensable);
2. c matches ``allow`` and y >= its ``licensed_from`` year -> licensed: its price is multiplied by 1 + fee
   (``fee``, else ``default_fee``), so capex, maintenance and salvage all include the fee;
3. c's TPP (dense TFLOPS x bit length, the highest over its precisions) >= ``tpp_threshold``, or unknown
   -> banned (controlled, no licence);
4. c matches ``licence_required`` and y >= its year -> banned (a licence is required and none is granted);
5. otherwise allowed, no fee.

Bans remove the tuples before the model is built (``data.forbid``), so a banned chip has no variable in a
CN region and can never appear in its plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from tokenplan import hookimpl
from tokenplan.plugins.rules._common import DD, SEED_002, SEED_004, param
from tokenplan.records import Chip, Rule, RuleParams, glob_to_regex

if TYPE_CHECKING:
    from tokenplan.model import Data, ModelContext

#: Bit length of each precision for the TPP (total processing performance) of the US rules.
BITS = {"fp4": 4, "fp6": 6, "fp8": 8, "int8": 8, "fp16": 16, "bf16": 16, "tf32": 32, "fp32": 32, "fp64": 64}

_TPP = (f"US export-control rule of Oct-2023: data-centre parts with 'total processing performance' (TPP) >= 4,800 "
        f"are controlled [R: smbom]; H20 TPP = 2,368 is below ({DD} section 1, note under the table)")
_H20 = (f"{DD} section 1 (NVIDIA H20 row): licence required from 9/14-Apr-2025 (Nvidia $5.5 B charge) [R]; "
        f"licences resumed Aug-2025 with a 15% revenue share [R]")
_H200 = (f"{DD} section 1 (NVIDIA H200 row): Dec-2025 announcement, sales to approved Chinese customers with a 25% "
         f"fee, 50% volume cap, per-chip testing (Commerce rule) [R: gmt8press, introl]")
_BLACKWELL = (f"{SEED_002}, {SEED_004}: Blackwell not allowed (domain-brief.md section 3); {DD} section 1: B200 "
              f"'Yes (not licensable)'")
_FEE = ("The fee is modelled as a price multiplier 1 + fee paid by the buyer (full pass-through of the revenue "
        "share; set a lower fee for partial pass-through)")


@dataclass(frozen=True)
class Decision:
    status: str          # "domestic" | "not controlled" | "allowed" | "licensed" | "banned"
    fee: float = 0.0
    reason: str = ""


def _match(patterns: list[str], text: str | None) -> bool:
    return text is not None and any(glob_to_regex(p.casefold()).match(text.casefold()) for p in patterns)


def _lookup(table: dict[str, Any], chip_id: str) -> Any:
    """The value of the first glob in ``table`` that matches ``chip_id`` (an exact key first), or None."""
    if chip_id in table:
        return table[chip_id]
    for pattern, value in table.items():
        if glob_to_regex(pattern).match(chip_id):
            return value
    return None


def tpp(chip: Chip) -> float | None:
    """Total processing performance: dense TFLOPS x bit length, the highest over the chip's precisions."""
    values = [tf * BITS[p] for p, tf in chip.tflops.items() if p in BITS]
    return max(values) if values else None


class ExportControlsParams(RuleParams):
    countries: list[str] = param(["CN"], "Countries of the regions the controls apply to", _TPP)
    origins: list[str] = param(["US"], "Origins (designer countries) of the controlled chips", _TPP)
    tpp_threshold: float = param(4800.0, "TPP at or above which a chip is controlled (no licence unless in "
                                         "'allow')", _TPP, gt=0)
    deny: list[str] = param([], "Chip id globs that are never allowed (what-if bans)", "the rule (what-if)")
    deny_families: list[str] = param(["Blackwell*", "Rubin*", "Feynman*"],
                                     "Chip family globs that are never allowed: Blackwell and later", _BLACKWELL)
    allow: list[str] = param(["nvidia.h20", "nvidia.h200"], "Chip id globs sold under licence (with a fee)",
                             f"{_H20}; {_H200}")
    licensed_from: dict[str, int] = param({"nvidia.h20": 2025, "nvidia.h200": 2026},
                                          "Chip id glob -> first year a licence is granted (absent: every year)",
                                          f"{_H20}; {_H200}")
    fee: dict[str, Annotated[float, Field(ge=0, le=10)]] = param({"nvidia.h20": 0.15, "nvidia.h200": 0.25},
                                  "Chip id glob -> licence fee as a share of the price", f"{_H20}; {_H200}; {_FEE}")
    default_fee: float = param(0.25, "Fee of a licensed chip that 'fee' does not name", f"{_H200}; {_FEE}", ge=0,
                               le=10)
    licence_required: dict[str, int] = param({"nvidia.h20": 2025},
                                             "Chip id glob -> year from which a chip below the TPP threshold needs "
                                             "a licence (banned unless licensed)", _H20)


class ExportControls(Rule):
    id = "cn.export_controls"
    description = ("US export controls for sites in China: H20 (15% fee) and H200 (25% fee, from 2026) licensed, "
                   "Blackwell and later banned, other US chips with TPP >= 4,800 banned")
    Params = ExportControlsParams
    params: ExportControlsParams

    def decide(self, chip: Chip, country: str, year: int) -> Decision:
        """What the controls say about buying ``chip`` for a site in ``country`` in ``year``."""
        p = self.params
        if chip.origin == country:
            return Decision("domestic")
        if country not in p.countries or chip.origin not in p.origins:
            return Decision("not controlled")
        if _match(p.deny, chip.id):
            return Decision("banned", reason="denied (deny)")
        if _match(p.deny_families, chip.family):
            return Decision("banned", reason=f"family {chip.family} is not licensable")
        if _match(p.allow, chip.id):
            first = _lookup(p.licensed_from, chip.id)
            if first is None or year >= first:
                fee = _lookup(p.fee, chip.id)
                return Decision("licensed", fee=p.default_fee if fee is None else float(fee),
                                reason="licensed" + (f" from {first}" if first is not None else ""))
        power = tpp(chip)
        if power is None:
            return Decision("banned", reason="TPP unknown (no TFLOPS figure): treated as controlled")
        if power >= p.tpp_threshold:
            return Decision("banned", reason=f"TPP {power:,.0f} >= {p.tpp_threshold:,.0f}, no licence"
                            + (f" before {_lookup(p.licensed_from, chip.id)}" if _match(p.allow, chip.id) else ""))
        since = _lookup(p.licence_required, chip.id)
        if since is not None and year >= since:
            return Decision("banned", reason=f"licence required since {since}, none granted")
        return Decision("allowed", reason=f"TPP {power:,.0f} < {p.tpp_threshold:,.0f}")

    def adjust(self, data: Data) -> None:
        self._decisions: dict[tuple[str, str, int], Decision] = {}
        by_country: dict[tuple[str, str], list[Decision]] = {}  # the decision depends on the site's country only
        # (chip, region, period) -> anything allowed before the controls (a ban below touches its own pair only)
        allowed = data.allowed.any(axis=1)
        for c, chip in enumerate(data.chips):
            for r, region in enumerate(data.regions):
                key = (chip.id, region.country)
                if key not in by_country:
                    by_country[key] = [self.decide(chip, region.country, y) for y in data.periods]
                decisions = by_country[key]
                if decisions[0].status in ("domestic", "not controlled"):
                    continue
                whole = all(d.status == "banned" for d in decisions) and len({d.reason for d in decisions}) == 1 \
                    and bool(allowed[c, r, :].any())
                if whole:
                    data.forbid(c, r, None, reason=f"{self.id}: {decisions[0].reason}")
                for t, d in enumerate(decisions):
                    self._decisions[chip.id, region.id, data.periods[t]] = d
                    if d.status == "banned":
                        if not whole and allowed[c, r, t]:
                            data.forbid(c, r, t, reason=f"{self.id}: {d.reason}")
                    elif d.status == "licensed":
                        data.price_multiplier[c, r, t] *= 1.0 + d.fee

    def report(self, ctx: ModelContext) -> dict[str, Any] | None:
        """Banned and licensed chips, licence fees paid per purchase; None when no chip is controlled here."""
        decisions = getattr(self, "_decisions", {})
        if not decisions:
            return None
        banned: dict[tuple[str, str], dict[str, Any]] = {}
        licensed: dict[tuple[str, float], dict[str, Any]] = {}
        for (chip, region, year), d in decisions.items():
            if d.status == "banned":
                entry = banned.setdefault((chip, d.reason), {"chip": chip, "reason": d.reason, "regions": [],
                                                             "periods": []})
            elif d.status == "licensed":
                entry = licensed.setdefault((chip, d.fee), {"chip": chip, "fee": d.fee, "regions": [],
                                                            "periods": []})
            else:
                continue
            if region not in entry["regions"]:
                entry["regions"].append(region)
            if year not in entry["periods"]:
                entry["periods"].append(year)
        rows = []
        for pu in ctx.purchases:
            d = decisions.get((pu.chip, pu.region, pu.year))
            units = round(ctx.value(pu.var))
            if d is None or d.status != "licensed" or not units:
                continue
            fee = pu.capex_accel * d.fee / (1.0 + d.fee) * units
            rows.append({"chip": pu.chip, "region": pu.region, "period": pu.year, "fee": d.fee,
                         "accelerators_bought": units * pu.accelerators, "fee_paid": fee * ctx.money,
                         "fee_paid_pv": ctx.df(pu.year) * fee * ctx.money})
        currency = ctx.currency
        paid = sum(row["fee_paid"] for row in rows)
        summary = (f"{len({b['chip'] for b in banned.values()})} chip(s) banned, "
                   f"{len({v['chip'] for v in licensed.values()})} licensed in {', '.join(self.params.countries)} "
                   f"regions; licence fees paid {paid:,.0f} {currency} nominal")
        actions = [{"action": "licence fee", "chip": r["chip"], "region": r["region"], "period": r["period"],
                    "amount": r["fee_paid"], "note": f"{r['fee']:.0%} of the price on "
                                                     f"{r['accelerators_bought']:,} accelerators"} for r in rows]
        return {"summary": summary, "parameters": self.params.model_dump(), "fee_paid": paid,
                "money": ["fee_paid", "fee_paid_pv"], "banned": list(banned.values()),
                "licensed": list(licensed.values()), "licensed_purchases": rows, "actions": actions}


@hookimpl
def tokenplan_rules() -> list[type[Rule]]:
    return [ExportControls]
