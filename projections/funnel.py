"""The funnel: open opportunities per stage (count, amount, weighted amount) and the lead funnel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from projections.base import Envelope
from projections.filters import ReportFilter
from projections.pipelines import record_pipeline, stage_order, stages_of
from projections.state import DocState

OPP = "opp:"
LEAD = "lead:"


@dataclass(frozen=True)
class FunnelStage:
    stage: str
    count: int
    amount: Decimal
    weighted_amount: Decimal


@dataclass(frozen=True)
class LeadFunnel:
    captured: int = 0
    contacted: int = 0
    qualified: int = 0
    converted: int = 0


@dataclass(frozen=True)
class FunnelReport:
    stages: list[FunnelStage] = field(default_factory=list)
    leads: LeadFunnel = field(default_factory=LeadFunnel)


class FunnelProjection:
    """Folds opportunities' stage, amount and owner, and each lead's furthest funnel step."""

    name = "funnel"

    def apply(self, state: DocState, envelope: Envelope) -> None:
        kind, data = envelope["type"], envelope["data"]
        if kind == "PipelineDefined":
            record_pipeline(state, envelope)
        elif envelope["aggregate_type"] == "opportunity":
            self._apply_opportunity(state, OPP + envelope["aggregate_id"], kind, data)
        elif envelope["aggregate_type"] == "lead":
            self._apply_lead(state, LEAD + envelope["aggregate_id"], kind, data)

    @staticmethod
    def _apply_opportunity(state: DocState, key: str, kind: str, data: dict) -> None:
        if kind == "OpportunityOpened":
            state.put(
                key,
                {
                    "owner": data["owner"],
                    "product_line": data["product_line"],
                    "stage": data["stage"],
                    "amount": str(data["amount"]),
                    "open": True,
                },
            )
            return
        doc = state.get(key)
        if doc is None:
            return
        if kind == "OpportunityStageChanged":
            doc["stage"] = data["to_stage"]
        elif kind == "OpportunityAmountChanged":
            doc["amount"] = str(data["amount"])
        elif kind == "OpportunityReassigned":
            doc["owner"] = data["to_rep"]
        elif kind == "OpportunityWon":
            doc.update(open=False, stage="won", amount=str(data["amount"]))
        elif kind == "OpportunityLost":
            doc.update(open=False, stage="lost")
        elif kind == "OpportunityReopened":
            doc.update(open=True, stage=data["stage"])
        else:
            return
        state.put(key, doc)

    @staticmethod
    def _apply_lead(state: DocState, key: str, kind: str, data: dict) -> None:
        if kind == "LeadCaptured":
            state.put(key, {"rep": None, "step": "captured"})
            return
        doc = state.get(key)
        if doc is None:
            return
        if kind in ("LeadClaimed", "LeadAssigned"):
            doc["rep"] = data["rep"]
        elif kind == "LeadFollowedUp":
            doc["step"] = _furthest(doc["step"], "contacted")
        elif kind == "LeadQualified":
            doc["step"] = _furthest(doc["step"], "qualified")
        elif kind == "LeadConverted":
            doc["step"] = "converted"
        else:
            return
        state.put(key, doc)


LEAD_STEPS = ("captured", "contacted", "qualified", "converted")


def _furthest(current: str, reached: str) -> str:
    return max(current, reached, key=LEAD_STEPS.index)


def funnel_report(
    state: DocState, filters: ReportFilter, teams: Mapping[str, str | None]
) -> FunnelReport:
    """Open opportunities per stage, and leads per funnel step (cumulative: a converted lead
    counts as contacted and qualified too). Leads are filtered by their holder, not product line.
    """
    by_stage: dict[str, list[Decimal]] = {}
    product_lines: set[str] = set()
    for _, opp in state.scan(OPP):
        if not opp["open"] or not filters.matches(opp["owner"], opp["product_line"], teams):
            continue
        probabilities = {s["key"]: s["probability"] for s in stages_of(state, opp["product_line"])}
        amount = Decimal(opp["amount"])
        weighted = amount * Decimal(str(probabilities.get(opp["stage"], 0)))
        totals = by_stage.setdefault(opp["stage"], [Decimal(0), Decimal(0), Decimal(0)])
        totals[0] += 1
        totals[1] += amount
        totals[2] += weighted
        product_lines.add(opp["product_line"])
    lines = [filters.product_line] if filters.product_line else sorted(product_lines)
    order = stage_order(state, lines)
    order += sorted(s for s in by_stage if s not in order)
    stages = [
        FunnelStage(s, int(t[0]), t[1], t[2].quantize(Decimal("0.01")))
        for s in order
        for t in [by_stage.get(s, [Decimal(0)] * 3)]
    ]
    return FunnelReport(stages, _lead_funnel(state, filters, teams))


def _lead_funnel(
    state: DocState, filters: ReportFilter, teams: Mapping[str, str | None]
) -> LeadFunnel:
    reached = dict.fromkeys(LEAD_STEPS, 0)
    for _, lead in state.scan(LEAD):
        if not filters.matches(lead["rep"], None, teams):
            continue
        for step in LEAD_STEPS[: LEAD_STEPS.index(lead["step"]) + 1]:
            reached[step] += 1
    return LeadFunnel(**reached)
