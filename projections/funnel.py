"""The funnel: open opportunities per stage (count, amount, weighted amount) and the lead funnel."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from projections.base import Envelope, Fold, updating
from projections.filters import ReportFilter
from projections.pipelines import record_pipeline, stage_order, stages_of
from projections.state import Doc, DocState

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


class FunnelProjection(Fold):
    """Folds opportunities' stage, amount and owner, and each lead's furthest funnel step."""

    name = "funnel"

    def __init__(self) -> None:
        self.handlers = {
            "PipelineDefined": record_pipeline,
            "OpportunityOpened": _opportunity_opened,
            "OpportunityStageChanged": updating(OPP, _set("stage", "to_stage")),
            "OpportunityAmountChanged": updating(OPP, _set_amount),
            "OpportunityReassigned": updating(OPP, _set("owner", "to_rep")),
            "OpportunityWon": updating(OPP, _won),
            "OpportunityLost": updating(OPP, _lost),
            "OpportunityReopened": updating(OPP, _reopened),
            "LeadCaptured": _lead_captured,
            "LeadClaimed": updating(LEAD, _set("rep", "rep")),
            "LeadAssigned": updating(LEAD, _set("rep", "rep")),
            "LeadFollowedUp": updating(LEAD, _reached("contacted")),
            "LeadQualified": updating(LEAD, _reached("qualified")),
            "LeadConverted": updating(LEAD, _reached("converted")),
        }


def _opportunity_opened(state: DocState, envelope: Envelope) -> None:
    data = envelope["data"]
    state.put(
        OPP + envelope["aggregate_id"],
        {
            "owner": data["owner"],
            "product_line": data["product_line"],
            "stage": data["stage"],
            "amount": str(data["amount"]),
            "open": True,
        },
    )


def _set(field: str, data_field: str) -> Callable[[Doc, Envelope], None]:
    def change(doc: Doc, envelope: Envelope) -> None:
        doc[field] = envelope["data"][data_field]

    return change


def _set_amount(doc: Doc, envelope: Envelope) -> None:
    doc["amount"] = str(envelope["data"]["amount"])


def _won(doc: Doc, envelope: Envelope) -> None:
    doc.update(open=False, stage="won", amount=str(envelope["data"]["amount"]))


def _lost(doc: Doc, envelope: Envelope) -> None:
    doc.update(open=False, stage="lost")


def _reopened(doc: Doc, envelope: Envelope) -> None:
    doc.update(open=True, stage=envelope["data"]["stage"])


def _lead_captured(state: DocState, envelope: Envelope) -> None:
    state.put(LEAD + envelope["aggregate_id"], {"rep": None, "step": "captured"})


def _reached(step: str) -> Callable[[Doc, Envelope], None]:
    def change(doc: Doc, envelope: Envelope) -> None:
        doc["step"] = _furthest(doc["step"], step)

    return change


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
