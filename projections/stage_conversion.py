"""Stage conversion: per stage, how many opportunities entered, advanced, were lost, and how long
they stayed (DESIGN.md §2)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from projections.base import Envelope, Fold, Handler, updating
from projections.filters import ReportFilter
from projections.pipelines import WON_RANK, record_pipeline, stage_order, stage_rank
from projections.state import Doc, DocState
from projections.teams import TeamHistory

OPP = "opp:"
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class StageConversion:
    stage: str
    entered: int
    advanced: int
    lost: int
    conversion: float | None
    mean_days: float | None
    median_days: float | None


class StageConversionProjection(Fold):
    """Folds each opportunity's stage visits: when it entered and left each stage, and how."""

    name = "stage_conversion"

    def __init__(self) -> None:
        self.handlers = {
            "PipelineDefined": record_pipeline,
            "OpportunityOpened": _opened,
            "OpportunityStageChanged": _moved("moved", lambda data: data["to_stage"]),
            "OpportunityWon": _moved("won", lambda data: "won"),
            "OpportunityLost": _moved("lost", lambda data: "lost"),
            "OpportunityReopened": _moved("reopened", lambda data: data["stage"]),
            "OpportunityReassigned": updating(OPP, _reassigned),
        }


def _opened(state: DocState, envelope: Envelope) -> None:
    data = envelope["data"]
    doc: Doc = {"owner": data["owner"], "product_line": data["product_line"], "visits": []}
    _enter(state, doc, data["stage"], envelope["occurred_at"])
    state.put(OPP + envelope["aggregate_id"], doc)


def _moved(how: str, stage_entered: Callable[[Doc], str]) -> Handler:
    """A handler ending the current visit (`how` it ended) and starting one in the next stage."""

    def handle(state: DocState, envelope: Envelope) -> None:
        key, at = OPP + envelope["aggregate_id"], envelope["occurred_at"]
        doc = state.get(key)
        if doc is None:
            return
        _leave(doc, at, how)
        _enter(state, doc, stage_entered(envelope["data"]), at)
        state.put(key, doc)

    return handle


def _reassigned(doc: Doc, envelope: Envelope) -> None:
    doc["owner"] = envelope["data"]["to_rep"]


def _enter(state: DocState, doc: Doc, stage: str, at: str) -> None:
    # The rank is fixed when the stage is entered, so a later pipeline change keeps history.
    rank = stage_rank(state, doc["product_line"], stage)
    doc["visits"].append({"stage": stage, "rank": rank, "entered_at": at, "left_at": None})


def _leave(doc: Doc, at: str, how: str) -> None:
    current = doc["visits"][-1]
    current["left_at"] = at
    current["exit"] = how


def stage_conversion_report(
    state: DocState,
    filters: ReportFilter,
    teams: TeamHistory,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[StageConversion]:
    """Per open stage S: entered(S) counts opportunities entering S in [since, until);
    advanced(S) those of them that afterwards reached a later open stage or won; lost(S) those
    lost while in S; time in S is over the visits that began in the period and have ended."""
    entered: dict[str, int] = {}
    advanced: dict[str, int] = {}
    lost: dict[str, int] = {}
    days: dict[str, list[float]] = {}
    product_lines: set[str] = set()
    for _, opp in state.scan(OPP):
        if not filters.matches(opp["owner"], opp["product_line"], teams):
            continue
        product_lines.add(opp["product_line"])
        visits = opp["visits"]
        first_entry: dict[str, int] = {}
        for i, visit in enumerate(visits):
            if visit["stage"] in ("won", "lost") or not _in_period(visit, since, until):
                continue
            stage = visit["stage"]
            first_entry.setdefault(stage, i)
            if visit["left_at"] is not None:
                days.setdefault(stage, []).append(_days(visit))
        for stage, i in first_entry.items():
            entered[stage] = entered.get(stage, 0) + 1
            later = visits[i + 1 :]
            if any(v["rank"] > visits[i]["rank"] or v["rank"] == WON_RANK for v in later):
                advanced[stage] = advanced.get(stage, 0) + 1
            if any(v["stage"] == stage and v.get("exit") == "lost" for v in visits[i:]):
                lost[stage] = lost.get(stage, 0) + 1
    lines = [filters.product_line] if filters.product_line else sorted(product_lines)
    order = stage_order(state, lines)
    order += sorted(s for s in entered if s not in order)
    return [_row(s, entered, advanced, lost, days) for s in order]


def _row(
    stage: str,
    entered: dict[str, int],
    advanced: dict[str, int],
    lost: dict[str, int],
    days: dict[str, list[float]],
) -> StageConversion:
    n = entered.get(stage, 0)
    spans = days.get(stage, [])
    return StageConversion(
        stage=stage,
        entered=n,
        advanced=advanced.get(stage, 0),
        lost=lost.get(stage, 0),
        conversion=round(advanced.get(stage, 0) / n, 4) if n else None,
        mean_days=round(statistics.fmean(spans), 2) if spans else None,
        median_days=round(statistics.median(spans), 2) if spans else None,
    )


def _in_period(visit: Doc, since: datetime | None, until: datetime | None) -> bool:
    entered_at = datetime.fromisoformat(visit["entered_at"])
    if since is not None and entered_at < since:
        return False
    return until is None or entered_at < until


def _days(visit: Doc) -> float:
    span = datetime.fromisoformat(visit["left_at"]) - datetime.fromisoformat(visit["entered_at"])
    return span.total_seconds() / SECONDS_PER_DAY
