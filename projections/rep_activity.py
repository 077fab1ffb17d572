"""Rep activity per rep and ISO week (DESIGN.md §2)."""

from __future__ import annotations

import bisect
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from domain.scoring import DEFAULT_RULES, ScoringRules
from projections.base import Envelope, Fold
from projections.filters import ReportFilter
from projections.pipelines import record_pipeline, stage_rank
from projections.state import Doc, DocState

LEAD = "lead:"
OPP = "opp:"
WEEK = "week:"
FOLLOW_UPS = ("LeadFollowedUp", "OpportunityFollowedUp")


@dataclass(frozen=True)
class RepWeek:
    rep: str
    leads_assigned: int = 0
    leads_claimed: int = 0
    follow_ups: dict[str, int] = field(default_factory=dict)
    touched: int = 0
    first_contacts: int = 0
    first_contact_within_sla: float | None = None
    opportunities_opened: int = 0
    stage_advances: int = 0
    won_count: int = 0
    won_amount: Decimal = Decimal(0)
    lost_count: int = 0
    last_activity_at: str | None = None


def iso_week(at: datetime) -> str:
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}"


@functools.lru_cache(maxsize=4096)
def _week_of_day(day: str) -> str:
    return iso_week(datetime.fromisoformat(day))


def week_of(occurred_at: str) -> str:
    """The ISO week of an event's timestamp text: its date part (the date where it was
    recorded, as `iso_week` of the parsed time gives), looked up once per day."""
    return _week_of_day(occurred_at[:10])


class RepActivityProjection(Fold):
    """Folds each rep's week: what they were given, whom they contacted, what they moved and won.

    Work on an opportunity (advances, wins, losses) counts for its owner at the time; claims,
    assignments and follow-ups for the rep named in the event; touches and last activity for
    the acting user.
    """

    name = "rep_activity"

    def __init__(self, rules: ScoringRules = DEFAULT_RULES) -> None:
        self.rules = rules
        self.handlers = {
            "PipelineDefined": record_pipeline,
            "LeadCaptured": self._on_LeadCaptured,
            "LeadScored": self._on_LeadScored,
            "LeadClaimed": self._on_LeadClaimed,
            "LeadAssigned": self._on_LeadAssigned,
            "LeadFollowedUp": self._on_LeadFollowedUp,
            "OpportunityOpened": self._on_OpportunityOpened,
            "OpportunityReassigned": self._on_OpportunityReassigned,
            "OpportunityStageChanged": self._on_OpportunityStageChanged,
            "OpportunityFollowedUp": self._on_OpportunityFollowedUp,
            "OpportunityWon": self._on_OpportunityWon,
            "OpportunityLost": self._on_OpportunityLost,
        }

    def apply(self, state: DocState, envelope: Envelope) -> None:
        # Every event but a pipeline's counts as a touch by its actor, whatever its type.
        if envelope["type"] != "PipelineDefined":
            self._touch(state, envelope, week_of(envelope["occurred_at"]))
        super().apply(state, envelope)

    def _touch(self, state: DocState, envelope: Envelope, week: str) -> None:
        row = _row(state, envelope["actor"], week)
        touched, aggregate_id = row["touched"], envelope["aggregate_id"]
        at = bisect.bisect_left(touched, aggregate_id)
        if at == len(touched) or touched[at] != aggregate_id:
            # Kept sorted: events of different aggregates reach a Kafka projector in any order,
            # and the document must not depend on it.
            touched.insert(at, aggregate_id)
        row["last_activity_at"] = max(row["last_activity_at"] or "", envelope["occurred_at"])
        _save_row(state, envelope["actor"], week, row)

    # --- leads ---

    def _on_LeadCaptured(self, state: DocState, envelope: Envelope) -> None:
        lead_id, data, week, at = _facts(envelope)
        state.put(LEAD + lead_id, {"tier": None, "holder": None, "held_since": None})

    def _on_LeadScored(self, state: DocState, envelope: Envelope) -> None:
        lead_id, data, week, at = _facts(envelope)
        self._update_lead(state, lead_id, tier=data["tier"])

    def _on_LeadClaimed(self, state: DocState, envelope: Envelope) -> None:
        lead_id, data, week, at = _facts(envelope)
        self._take(state, lead_id, data["rep"], at)
        _count(state, data["rep"], week, "leads_claimed")

    def _on_LeadAssigned(self, state: DocState, envelope: Envelope) -> None:
        lead_id, data, week, at = _facts(envelope)
        self._take(state, lead_id, data["rep"], at)
        _count(state, data["rep"], week, "leads_assigned")

    def _on_LeadFollowedUp(self, state: DocState, envelope: Envelope) -> None:
        lead_id, data, week, at = _facts(envelope)
        self._count_follow_up(state, data, week)
        lead = state.get(LEAD + lead_id)
        if lead is None or lead.get("contacted") or lead["held_since"] is None:
            return
        # The first contact since the rep got the lead: the SLA clock starts when they got it.
        row = _row(state, data["rep"], week)
        row["first_contacts"] += 1
        sla_hours = self.rules.sla_hours(lead["tier"])
        if sla_hours is not None:
            row["sla_first_contacts"] += 1
            waited = datetime.fromisoformat(at) - datetime.fromisoformat(lead["held_since"])
            if waited <= timedelta(hours=sla_hours):
                row["sla_met"] += 1
        _save_row(state, data["rep"], week, row)
        self._update_lead(state, lead_id, contacted=True)

    def _take(self, state: DocState, lead_id: str, rep: str, at: str) -> None:
        self._update_lead(state, lead_id, holder=rep, held_since=at, contacted=False)

    @staticmethod
    def _update_lead(state: DocState, lead_id: str, **changes: object) -> None:
        lead = state.get(LEAD + lead_id)
        if lead is not None:
            lead.update(changes)
            state.put(LEAD + lead_id, lead)

    # --- opportunities ---

    def _on_OpportunityOpened(self, state: DocState, envelope: Envelope) -> None:
        opp_id, data, week, at = _facts(envelope)
        state.put(OPP + opp_id, {"owner": data["owner"], "product_line": data["product_line"]})
        _count(state, data["owner"], week, "opportunities_opened")

    def _on_OpportunityReassigned(self, state: DocState, envelope: Envelope) -> None:
        opp_id, data, week, at = _facts(envelope)
        opp = state.get(OPP + opp_id)
        if opp is not None:
            opp["owner"] = data["to_rep"]
            state.put(OPP + opp_id, opp)

    def _on_OpportunityStageChanged(self, state: DocState, envelope: Envelope) -> None:
        opp_id, data, week, at = _facts(envelope)
        opp = state.get(OPP + opp_id)
        if opp is None:
            return
        line = opp["product_line"]
        if stage_rank(state, line, data["to_stage"]) > stage_rank(state, line, data["from_stage"]):
            _count(state, opp["owner"], week, "stage_advances")

    def _on_OpportunityFollowedUp(self, state: DocState, envelope: Envelope) -> None:
        opp_id, data, week, at = _facts(envelope)
        self._count_follow_up(state, data, week)

    def _on_OpportunityWon(self, state: DocState, envelope: Envelope) -> None:
        opp_id, data, week, at = _facts(envelope)
        opp = state.get(OPP + opp_id)
        if opp is None:
            return
        row = _row(state, opp["owner"], week)
        row["won_count"] += 1
        row["won_amount"] = str(Decimal(row["won_amount"]) + Decimal(str(data["amount"])))
        _save_row(state, opp["owner"], week, row)

    def _on_OpportunityLost(self, state: DocState, envelope: Envelope) -> None:
        opp_id, data, week, at = _facts(envelope)
        opp = state.get(OPP + opp_id)
        if opp is not None:
            _count(state, opp["owner"], week, "lost_count")

    @staticmethod
    def _count_follow_up(state: DocState, data: Doc, week: str) -> None:
        row = _row(state, data["rep"], week)
        row["follow_ups"][data["method"]] = row["follow_ups"].get(data["method"], 0) + 1
        _save_row(state, data["rep"], week, row)


def _facts(envelope: Envelope) -> tuple[str, Doc, str, str]:
    """What a handler works with: the aggregate id, the data, the ISO week and the time."""
    at = envelope["occurred_at"]
    return envelope["aggregate_id"], envelope["data"], week_of(at), at


def _row(state: DocState, rep: str, week: str) -> Doc:
    return state.get(f"{WEEK}{week}:{rep}") or {
        "leads_assigned": 0,
        "leads_claimed": 0,
        "follow_ups": {},
        "touched": [],
        "first_contacts": 0,
        "sla_first_contacts": 0,
        "sla_met": 0,
        "opportunities_opened": 0,
        "stage_advances": 0,
        "won_count": 0,
        "won_amount": "0",
        "lost_count": 0,
        "last_activity_at": None,
    }


def _save_row(state: DocState, rep: str, week: str, row: Doc) -> None:
    state.put(f"{WEEK}{week}:{rep}", row)


def _count(state: DocState, rep: str, week: str, counter: str) -> None:
    row = _row(state, rep, week)
    row[counter] += 1
    _save_row(state, rep, week, row)


def rep_activity_report(
    state: DocState, week: str, filters: ReportFilter, teams: Mapping[str, str | None]
) -> list[RepWeek]:
    """One row per rep with any activity in the ISO week, ordered by rep."""
    rows = []
    for key, doc in state.scan(f"{WEEK}{week}:"):
        rep = key.removeprefix(f"{WEEK}{week}:")
        if not filters.matches(rep, None, teams):
            continue
        sla = doc["sla_first_contacts"]
        rows.append(
            RepWeek(
                rep=rep,
                leads_assigned=doc["leads_assigned"],
                leads_claimed=doc["leads_claimed"],
                follow_ups=dict(sorted(doc["follow_ups"].items())),
                touched=len(doc["touched"]),
                first_contacts=doc["first_contacts"],
                first_contact_within_sla=round(100 * doc["sla_met"] / sla, 1) if sla else None,
                opportunities_opened=doc["opportunities_opened"],
                stage_advances=doc["stage_advances"],
                won_count=doc["won_count"],
                won_amount=Decimal(doc["won_amount"]),
                lost_count=doc["lost_count"],
                last_activity_at=doc["last_activity_at"],
            )
        )
    return sorted(rows, key=lambda r: r.rep)
