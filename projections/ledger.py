"""The ledger: leads, opportunities and pipelines as relational tables, with their history.

Every state a report depends on is kept twice: the current row (one per lead, opportunity,
pipeline), and a history row per version with its validity interval `[valid_from, valid_to)`,
so "as of T" is a predicate (`valid_from <= T AND (valid_to IS NULL OR valid_to > T)`), never a
replay. Each event a report counts is also an activity fact (one row per aggregate version).

Rows are owned by the event's own aggregate: a fold never writes, nor reads, another
aggregate's rows (what links them — a deal's lead, a stage's probability — is joined when a
report asks), so its result does not depend on the order Kafka delivers partitions in, and
projectors sharing a consumer group write disjoint rows (they wait for each other only on a
partition that moves between them). The current row's `version` is the last one applied: an
event at or below it is a redelivery, and changes nothing.

Money is in cents (exact sums on both databases); times are UTC ISO-8601 text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, ClassVar

from domain.contact_vault import ERASED
from domain.scoring import DEFAULT_RULES, ScoringRules
from domain.targets import company_by_month, months_of, split
from projections.base import Envelope
from projections.tables import COUNT, Key, Row, Table, TableState, Tally

# Raise it with any change to the tables or to what the fold puts in them: a deployment that
# starts on tables of an older version rebuilds them from the store.
SCHEMA_VERSION = 18
# The pool's order of tiers, as the pool's index and its queries write it (word for word: the
# planner matches an indexed expression by its text).
TIER_RANK = "CASE tier WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 ELSE 3 END"

LEAD_STATE = (
    "source", "company", "industry", "region", "contact_name", "contact_title",
    "contact_phone", "contact_email", "score", "tier", "status", "holder", "rep",
    "previous_rep", "step", "captured_at", "in_pool_since", "held_since", "first_contact_at",
    "first_contact_within_sla", "converted_at", "opportunity_id", "next_follow_up_at",
    "touched_at", "warned_due_at", "contact_overdue_at", "nurtured_at",
)  # fmt: skip
LEAD_INTEGERS = frozenset({"version", "score", "first_contact_within_sla"})
OPPORTUNITY_STATE = (
    "name", "customer", "owner", "product_line", "stage", "amount", "currency",
    "expected_close", "status", "lead_id", "opened_at", "closed_at", "lost_stage",
    "lost_reason", "competitor", "next_follow_up_at", "stage_since", "lead_source",
)  # fmt: skip
OPPORTUNITY_INTEGERS = frozenset({"version", "amount"})

# What the closed deals' reports read of a deal's lead (when it was captured; its source, for
# deals opened before they kept it, and as of T), read by the lead's key from this index
# alone instead of the lead's wide row (a period's thousand deals: a thousand lookups).
LEAD_KEYED = ("lead_id", "source", "captured_at", "valid_from")
LEADS = Table(
    "rm_lead", ("lead_id",), ("version", "valid_from", *LEAD_STATE), LEAD_INTEGERS,
    # the scheduler finds its work through touched_at, held_since, nurtured_at and
    # next_follow_up_at; the untouched high-value leads through (tier, valid_from); the lead
    # funnel as of T, what changed since, through (valid_from, rep, step) alone
    # lead conversion reads a period's leads from (captured_at, …) alone
    # a rep's held leads through (holder, status); a closed deal's lead through LEAD_KEYED
    indexes=(("captured_at", "source", "rep", "first_contact_within_sla", "status", "held_since",
              "lead_id", "valid_from"), ("holder", "status"), LEAD_KEYED,
             ("touched_at",), ("held_since",), ("nurtured_at",), ("next_follow_up_at",),
             ("tier", "valid_from"), ("valid_from", "rep", "step")),
    # the pool in its order (best tier, longest waiting), a page read without sorting it all;
    # partial, since PostgreSQL keeps an index's order past `status = ?` but not past IS NULL
    named_indexes=(("in_pool_order",
                    ("status", f"({TIER_RANK})", "in_pool_since", "lead_id", "valid_from"),
                    "holder IS NULL"),),
)  # fmt: skip
# A history holds every version, the current one too (valid_to NULL: what a BI tool reads as
# "in force"), but a report reads a current version from the current table, and from the
# history only the versions that ended after T (valid_to > T, which implies this condition):
# the history's indexes hold the ended versions alone, so that a range over another column
# (a period's captures or closes) does not step over every current version as well, and a
# version's row enters them once, when it ends.
ENDED = "valid_to IS NOT NULL"
LEAD_HISTORY = Table(
    "rm_lead_history", ("lead_id", "version"), ("valid_from", "valid_to", *LEAD_STATE),
    LEAD_INTEGERS,
    # the lead funnel as of T reads (valid_to, valid_from, rep, step) alone; the versions of
    # leads captured in a period that ended after T, (captured_at, valid_to) alone. No index
    # leads with valid_from: "began by T" matches nearly every version, and SQLite chose such
    # an index over (valid_to, …) for the rep's due follow-ups, reading the whole history
    indexes=(("status", "valid_to"), ("captured_at", "valid_to"),
             ("valid_to", "valid_from", "rep", "step")),
    indexes_where=ENDED,
)  # fmt: skip
# What the reports of closed deals read of a deal (win rate, closed-won, lost, sales cycle):
# all of it in the closed deals' indexes, so a period's deals are read from those alone.
CLOSED_COLUMNS = ("opportunity_id", "closed_at", "status", "owner", "product_line", "amount",
                  "lead_id", "lead_source", "customer", "opened_at", "lost_stage", "lost_reason",
                  "competitor", "valid_from")  # fmt: skip
# What the reports of open deals read of a deal as of T (funnel, forecast): all of it in the
# open versions' index.
OPEN_COLUMNS = ("owner", "product_line", "stage", "amount", "expected_close")
OPPORTUNITIES = Table(
    "rm_opportunity", ("opportunity_id",), ("version", "valid_from", *OPPORTUNITY_STATE),
    # closed-won finds a customer's earlier wins through (customer, status, closed_at), lead
    # conversion a lead's deal's status through (lead_id, status, valid_from)
    OPPORTUNITY_INTEGERS, indexes=(("status", "stage"),
                                   ("lead_id", "status", "valid_from"),
                                   ("next_follow_up_at",), ("stage_since",),
                                   ("customer", "status", "closed_at")),
    # the deals closed in a period, by how they closed and when, covering what their reports
    # read: a report of wins (targets, sales cycle, closed-won) reads the wins alone, a
    # seventh of the closed deals; partial: an open deal's versions (most of them) never
    # touch it
    named_indexes=(("closed", ("status", "closed_at", *CLOSED_COLUMNS[3:], "opportunity_id"),
                    "closed_at IS NOT NULL"),),
)  # fmt: skip
OPPORTUNITY_HISTORY = Table(
    "rm_opportunity_history", ("opportunity_id", "version"),
    ("valid_from", "valid_to", *OPPORTUNITY_STATE), OPPORTUNITY_INTEGERS,
    # "open at T" through (status, valid_to, …), covering what the funnel and the forecast
    # read; "closed in the period" through the closed versions' (status, closed_at, valid_to,
    # …): as of T a report reads only the versions that ended after T, and only from the index
    # (pipeline movement finds the deals changed between two moments, the current versions
    # too, through valid_from)
    indexes=(("lead_id", "valid_to", "valid_from", "status"),), indexes_where=ENDED,
    named_indexes=(("by_valid_from", ("valid_from",), ""),
                   ("open", ("status", "valid_to", "valid_from", *OPEN_COLUMNS), ENDED),
                   ("closed",
                    ("status", "closed_at", "valid_to", "opportunity_id", *CLOSED_COLUMNS[3:]),
                    f"closed_at IS NOT NULL AND {ENDED}")),
)  # fmt: skip
PIPELINES = Table(
    "rm_pipeline", ("pipeline_id",), ("version", "product_line", "stages", "valid_from"),
    frozenset({"version", "stages"}),
)  # fmt: skip
PIPELINE_STAGES = Table(
    "rm_pipeline_stage", ("product_line", "version", "position"),
    ("stage", "name", "probability", "valid_from", "valid_to"),
    frozenset({"version", "position"}), indexes=(("valid_from",),),
)  # fmt: skip
ACTIVITY = Table(
    "rm_activity", ("aggregate_id", "version"),
    ("at", "kind", "aggregate_type", "actor", "rep", "method", "amount", "stage", "from_stage",
     "from_stage_at", "stayed_us", "product_line", "first_contact", "within_sla"),
    frozenset({"version", "amount", "stayed_us", "first_contact", "within_sla"}),
    # stage conversion reads a period's stage moves from (kind, at, …) alone: each with its
    # deal's product line, and the stay it ended
    indexes=(("at",), ("kind", "at", "aggregate_id", "version", "stage", "product_line",
                       "from_stage", "from_stage_at", "stayed_us")),
)  # fmt: skip
TARGETS = Table(
    "rm_target", ("target_id",), ("version", "year", "valid_from"), frozenset({"version", "year"}),
)  # fmt: skip
# Every version of a year's target, by month: "as of T" is the latest version begun by T.
TARGET_AMOUNTS = Table(
    "rm_target_amount", ("year", "version", "scope", "name", "month"), ("amount", "valid_from"),
    frozenset({"year", "version", "amount"}), indexes=(("year", "valid_from"),),
)  # fmt: skip
MEMBER_STATE = ("rep", "team", "previous_team")
MEMBERS = Table(
    "rm_team_member", ("membership_id",), ("version", "valid_from", *MEMBER_STATE),
    frozenset({"version"}),
)  # fmt: skip
# Who was in which team when: a rep's work counts for the team of its time.
MEMBER_HISTORY = Table(
    "rm_team_member_history", ("membership_id", "version"),
    ("valid_from", "valid_to", *MEMBER_STATE), frozenset({"version"}), indexes=(("rep",),),
)  # fmt: skip
ALERT_STATE = ("kind", "audience", "rep", "team", "subject_type", "subject_id", "message",
               "due_at", "raised_at", "acknowledged_at", "acknowledged_by")  # fmt: skip
ALERTS = Table(
    "rm_alert", ("alert_id",), ("version", *ALERT_STATE), frozenset({"version"}),
    indexes=(("rep", "acknowledged_at"), ("team", "acknowledged_at"), ("raised_at",)),
)  # fmt: skip
# How many leads there are now by rep and step (the lead funnel), and unheld by status, tier
# and source (the pool's size): kept as leads change, so those reports read a few hundred
# counts, not every lead. '' stands for no rep (a lead never held) and no tier.
LEAD_STEP_COUNTS = Table("rm_lead_step_count", ("rep", "step"), (COUNT,), frozenset({COUNT}))
UNHELD_COUNTS = Table(
    "rm_unheld_lead_count", ("status", "tier", "source"), (COUNT,), frozenset({COUNT})
)
# How many leads were captured in each month (UTC), by source, first contact within the SLA
# and conversion, as they are now: the monthly review's paths read a few dozen counts, not
# every lead of its three months (as of T, these less the leads changed since, plus their
# versions at T). A lead without a capture time is in no month.
LEAD_CAPTURE_COUNTS = Table(
    "rm_lead_capture_count", ("captured_month", "source", "first_contact_within_sla",
                              "converted"),
    (COUNT,), frozenset({COUNT, "first_contact_within_sla", "converted"}),
)  # fmt: skip
# A lead's group in LEAD_CAPTURE_COUNTS, as SQL over a lead's row (its columns unqualified or
# `{alias}.`): -1 for no first contact within or outside the SLA yet (or no SLA for the tier).
CAPTURE_GROUP = (
    "substr({alias}captured_at, 1, 7)", "COALESCE({alias}source, '')",
    "COALESCE({alias}first_contact_within_sla, -1)",
    "CASE WHEN {alias}status = 'converted' THEN 1 ELSE 0 END",
)  # fmt: skip


def _capture_group(lead: Row) -> Key:
    """CAPTURE_GROUP in Python."""
    within = lead["first_contact_within_sla"]
    return (lead["captured_at"][:7], lead["source"] or "", -1 if within is None else within,
            1 if lead["status"] == "converted" else 0)  # fmt: skip


TALLIES = {
    LEADS.name: (
        Tally(LEAD_STEP_COUNTS),
        Tally(UNHELD_COUNTS, lambda lead: lead["holder"] is None),
        Tally(LEAD_CAPTURE_COUNTS, lambda lead: lead["captured_at"] is not None, _capture_group),
    )
}
TABLES = (LEADS, LEAD_HISTORY, OPPORTUNITIES, OPPORTUNITY_HISTORY, PIPELINES, PIPELINE_STAGES,
          ACTIVITY, TARGETS, TARGET_AMOUNTS, MEMBERS, MEMBER_HISTORY, ALERTS, LEAD_STEP_COUNTS,
          UNHELD_COUNTS, LEAD_CAPTURE_COUNTS)  # fmt: skip
LEAD_STEPS = ("captured", "contacted", "qualified", "converted")
Change = Callable[[Row, Envelope], None]


def cents(amount: Any) -> int:
    """Money as whole cents: a JSON number (int or float) or decimal text."""
    exact = Decimal(str(amount)) * 100
    return int(exact.to_integral_value(rounding=ROUND_HALF_EVEN))


class LedgerProjection:
    """Folds leads, opportunities and pipelines into current and history rows, and facts."""

    name: ClassVar[str] = "ledger"
    tables: ClassVar[tuple[Table, ...]] = TABLES
    schema_version: ClassVar[int] = SCHEMA_VERSION
    # The fold keeps each aggregate's applied version in its own current row.
    tracks_versions: ClassVar[bool] = True

    def __init__(self, rules: ScoringRules = DEFAULT_RULES) -> None:
        self.rules = rules
        self.handlers: dict[str, Callable[[TableState, Envelope], None]] = {
            "LeadCaptured": self._lead_captured,
            "LeadScored": self._lead(_scored),
            "LeadClaimed": self._lead(_held),
            "LeadAssigned": self._lead(_held),
            "LeadReleased": self._lead(_back_in_pool),
            "LeadReturnedToPool": self._lead(_back_in_pool),
            # a warning is no sales activity: it changes the row, and is no fact
            "LeadReturnWarned": self._lead(_set("warned_due_at", "due_at"), fact=False),
            # a breach is a fact: rep activity counts them
            "LeadContactOverdue": self._lead(_set("contact_overdue_at", "due_at")),
            "LeadFollowedUp": self._lead(self._followed_up),
            "LeadQualified": self._lead(_qualified),
            "LeadDisqualified": self._lead(_status("disqualified")),
            "LeadNurtured": self._lead(_nurtured),
            "LeadReactivated": self._lead(_reactivated),
            "LeadConverted": self._lead(_converted),
            "LeadDetailsCorrected": self._lead(_corrected),
            "LeadContactErased": self._contact_erased,
            "OpportunityOpened": self._opportunity_opened,
            "OpportunityStageChanged": self._opportunity(_stage_changed),
            "OpportunityAmountChanged": self._opportunity(_amount),
            "OpportunityCloseDateChanged": self._opportunity(_set("expected_close")),
            "OpportunityReassigned": self._opportunity(_set("owner", "to_rep")),
            "OpportunityFollowedUp": self._opportunity(_next_follow_up),
            "OpportunityWon": self._opportunity(_won),
            "OpportunityLost": self._opportunity(_lost),
            "OpportunityReopened": self._opportunity(_reopened),
            # the deal's attribution changes with its lead's: no sales activity
            "OpportunityLeadSourceCorrected": self._opportunity(_set("lead_source"), fact=False),
            "PipelineDefined": self._pipeline_defined,
            "TargetSet": _target_set,
            "RepMovedToTeam": _moved_to_team,
            "AlertRaised": _alert_raised,
            "AlertAcknowledged": _alert_acknowledged,
        }

    def apply(self, state: TableState, envelope: Envelope) -> bool:
        """Folds one envelope; False when its aggregate version was applied already."""
        handler = self.handlers.get(envelope["type"])
        if handler is None:
            return False
        current = state.get(_current_table(envelope), (envelope["aggregate_id"],))
        if current is not None and current["version"] >= envelope["aggregate_version"]:
            return False
        handler(state, envelope)
        return True

    def keys_read(self, envelopes: list[Envelope]) -> set[tuple[Table, Key]]:
        """The rows folding these envelopes reads, to load in one query per table: each
        aggregate's current row (a pipeline's redefinition also reads its previous stage rows,
        which are few and rare, and are loaded when asked for)."""
        wanted: set[tuple[Table, Key]] = set()
        for envelope in envelopes:
            if envelope["type"] in self.handlers:  # the rules' events have no rows here
                wanted.add((_current_table(envelope), (envelope["aggregate_id"],)))
        return wanted

    # --- leads ---

    def _lead_captured(self, state: TableState, envelope: Envelope) -> None:
        data, at = envelope["data"], envelope["occurred_at"]
        contact = data.get("contact") or {}
        row: Row = dict.fromkeys(LEAD_STATE)
        row.update(
            lead_id=envelope["aggregate_id"],
            source=data["source"],
            company=data["company"],
            industry=data.get("industry"),
            region=data.get("region"),
            contact_name=contact.get("name"),
            contact_title=contact.get("title"),
            contact_phone=contact.get("phone"),
            contact_email=contact.get("email"),
            status="open",
            step="captured",
            captured_at=at,
            in_pool_since=at,
        )
        _record(state, LEADS, LEAD_HISTORY, None, row, envelope)
        _fact(state, envelope, rep=None)

    def _lead(self, change: Change, fact: bool = True) -> Callable[[TableState, Envelope], None]:
        def handle(state: TableState, envelope: Envelope) -> None:
            before = state.get(LEADS, (envelope["aggregate_id"],))
            if before is None:
                return
            row = dict(before)
            change(row, envelope)
            _record(state, LEADS, LEAD_HISTORY, before, row, envelope)
            if not fact:
                return
            first = row["first_contact_at"] is not None and before["first_contact_at"] is None
            _fact(
                state,
                envelope,
                rep=envelope["data"].get("rep"),
                first_contact=int(first) if envelope["type"] == "LeadFollowedUp" else None,
                within_sla=row["first_contact_within_sla"] if first else None,
            )

        return handle

    def _contact_erased(self, state: TableState, envelope: Envelope) -> None:
        """The contact erased from the lead's current row and from every version of its
        history (its versions stay, their other columns as they were); no sales activity."""
        lead_id = envelope["aggregate_id"]
        before = state.get(LEADS, (lead_id,))
        if before is None:
            return
        for version in range(1, before["version"] + 1):
            row = state.get(LEAD_HISTORY, (lead_id, version))
            if row is not None:
                state.put(LEAD_HISTORY, _erased(row))
        state.put(LEADS, _erased(before))
        self._lead(lambda row, _: row.update(_erased(row)), fact=False)(state, envelope)

    def _followed_up(self, row: Row, envelope: Envelope) -> None:
        _next_follow_up(row, envelope)
        row["touched_at"] = envelope["occurred_at"]
        row["step"] = _furthest(row["step"], "contacted")
        if row["first_contact_at"] is None and row["held_since"] is not None:
            at = envelope["occurred_at"]
            row["first_contact_at"] = at
            hours = self.rules.sla_hours(row["tier"])
            if hours is not None:
                waited = datetime.fromisoformat(at) - datetime.fromisoformat(row["held_since"])
                row["first_contact_within_sla"] = int(waited <= timedelta(hours=hours))

    # --- opportunities ---

    def _opportunity_opened(self, state: TableState, envelope: Envelope) -> None:
        data, at = envelope["data"], envelope["occurred_at"]
        row: Row = dict.fromkeys(OPPORTUNITY_STATE)
        row.update(
            opportunity_id=envelope["aggregate_id"],
            name=data["name"],
            customer=data["customer"],
            owner=data["owner"],
            product_line=data["product_line"],
            stage=data["stage"],
            amount=cents(data["amount"]),
            currency=data.get("currency"),
            expected_close=data["expected_close"],
            status="open",
            lead_id=data.get("lead_id"),
            lead_source=data.get("lead_source"),
            opened_at=at,
            stage_since=at,
        )
        _record(state, OPPORTUNITIES, OPPORTUNITY_HISTORY, None, row, envelope)
        _fact(
            state, envelope, rep=row["owner"], amount=row["amount"], stage=row["stage"],
            product_line=row["product_line"],
        )  # fmt: skip

    def _opportunity(
        self, change: Change, fact: bool = True
    ) -> Callable[[TableState, Envelope], None]:
        def handle(state: TableState, envelope: Envelope) -> None:
            before = state.get(OPPORTUNITIES, (envelope["aggregate_id"],))
            if before is None:
                return
            row = dict(before)
            change(row, envelope)
            _record(state, OPPORTUNITIES, OPPORTUNITY_HISTORY, before, row, envelope)
            if not fact:
                return
            data = envelope["data"]
            _fact(
                state,
                envelope,
                rep=before["owner"],  # work on a deal counts for its owner at the time
                amount=cents(data["amount"]) if "amount" in data else None,
                stage=row["stage"],
                from_stage=before["stage"],
                product_line=before["product_line"],
                **_stay_ended(before, envelope),
            )

        return handle

    # --- pipelines ---

    def _pipeline_defined(self, state: TableState, envelope: Envelope) -> None:
        data, at, version = envelope["data"], envelope["occurred_at"], envelope["aggregate_version"]
        before = state.get(PIPELINES, (envelope["aggregate_id"],))
        if before is not None:
            for position in range(before["stages"]):
                key = (before["product_line"], before["version"], position)
                old = state.get(PIPELINE_STAGES, key)
                if old is not None:
                    state.put(PIPELINE_STAGES, {**old, "valid_to": at})
        for position, stage in enumerate(data["stages"]):
            state.put(
                PIPELINE_STAGES,
                {
                    "product_line": data["product_line"],
                    "version": version,
                    "position": position,
                    "stage": stage["key"],
                    "name": stage["name"],
                    "probability": str(stage["probability"]),
                    "valid_from": at,
                    "valid_to": None,
                },
            )
        state.put(
            PIPELINES,
            {
                "pipeline_id": envelope["aggregate_id"],
                "version": version,
                "product_line": data["product_line"],
                "stages": len(data["stages"]),
                "valid_from": at,
            },
        )


CURRENT = {"lead": LEADS, "opportunity": OPPORTUNITIES, "pipeline": PIPELINES, "target": TARGETS,
           "membership": MEMBERS, "alert": ALERTS}  # fmt: skip


def _current_table(envelope: Envelope) -> Table:
    return CURRENT[envelope["aggregate_type"]]


def _target_set(state: TableState, envelope: Envelope) -> None:
    """A version of the year's target: the company's, each team's and each rep's, by month."""
    data, at, version = envelope["data"], envelope["occurred_at"], envelope["aggregate_version"]
    year = data["year"]
    months = company_by_month(
        cents(data["company"]), {m: cents(a) for m, a in data["by_month"].items()}, year
    )
    weights = [months[m] for m in months_of(year)]
    amounts = {("company", ""): list(weights)}
    for scope, field in (("team", "by_team"), ("rep", "by_rep")):
        for name, amount in data[field].items():
            amounts[(scope, name)] = split(cents(amount), weights)
    for (scope, name), parts in amounts.items():
        for month, amount in zip(months_of(year), parts, strict=True):
            state.put(TARGET_AMOUNTS, {"year": year, "version": version, "scope": scope,
                                       "name": name, "month": month, "amount": amount,
                                       "valid_from": at})  # fmt: skip
    state.put(TARGETS, {"target_id": envelope["aggregate_id"], "version": version, "year": year,
                        "valid_from": at})  # fmt: skip


def _moved_to_team(state: TableState, envelope: Envelope) -> None:
    before = state.get(MEMBERS, (envelope["aggregate_id"],))
    data = envelope["data"]
    row: Row = {"membership_id": envelope["aggregate_id"], "rep": data["rep"],
                "team": data["team"], "previous_team": data.get("previous_team")}  # fmt: skip
    _record(state, MEMBERS, MEMBER_HISTORY, before, row, envelope)


def _alert_raised(state: TableState, envelope: Envelope) -> None:
    data = envelope["data"]
    row: Row = {column: data.get(column) for column in ALERT_STATE}
    row.update(alert_id=envelope["aggregate_id"], version=envelope["aggregate_version"],
               raised_at=envelope["occurred_at"])  # fmt: skip
    state.put(ALERTS, row)


def _alert_acknowledged(state: TableState, envelope: Envelope) -> None:
    before = state.get(ALERTS, (envelope["aggregate_id"],))
    if before is not None:
        state.put(ALERTS, {**before, "version": envelope["aggregate_version"],
                           "acknowledged_at": envelope["occurred_at"],
                           "acknowledged_by": envelope["data"]["by"]})  # fmt: skip


def _record(
    state: TableState,
    current: Table,
    history: Table,
    before: Row | None,
    row: Row,
    envelope: Envelope,
) -> None:
    """The aggregate's new current row, its previous history row closed, and a new one open."""
    # A history row is the current row of its version with the end of its interval.
    at = envelope["occurred_at"]
    if before is not None:
        state.put(history, {**before, "valid_to": at})
    row.update(version=envelope["aggregate_version"], valid_from=at)
    state.put(current, row)
    state.put(history, {**row, "valid_to": None})
    for tally in TALLIES.get(current.name, ()):
        tally.recount(state, before, row)


# The deal events that begin a stay in a stage (won and lost are stays too), so end the one
# before: the fact says when that stay began and how long it lasted.
NEXT_STAYS = frozenset({"OpportunityStageChanged", "OpportunityWon", "OpportunityLost",
                        "OpportunityReopened"})  # fmt: skip
ONE_MICROSECOND = timedelta(microseconds=1)


def _stay_ended(before: Row, envelope: Envelope) -> dict[str, Any]:
    """The stay in `before`'s stage that this event ends: when it began (a closed deal's
    stay in won or lost began when it closed) and its length in whole microseconds."""
    if envelope["type"] not in NEXT_STAYS:
        return {}
    began = before["closed_at"] if before["status"] != "open" else before["stage_since"]
    stayed = datetime.fromisoformat(envelope["occurred_at"]) - datetime.fromisoformat(began)
    return {"from_stage_at": began, "stayed_us": stayed // ONE_MICROSECOND}


def _fact(state: TableState, envelope: Envelope, rep: str | None, **values: Any) -> None:
    """Every lead and deal event as a fact: who acted, whom it counts for, what it moved."""
    data = envelope["data"]
    state.put(
        ACTIVITY,
        {
            "aggregate_id": envelope["aggregate_id"],
            "version": envelope["aggregate_version"],
            "at": envelope["occurred_at"],
            "kind": envelope["type"],
            "aggregate_type": envelope["aggregate_type"],
            "actor": envelope["actor"],
            "rep": rep,
            "method": data.get("method"),
            "amount": values.get("amount"),
            "stage": values.get("stage"),
            "from_stage": values.get("from_stage"),
            "from_stage_at": values.get("from_stage_at"),
            "stayed_us": values.get("stayed_us"),
            "product_line": values.get("product_line"),
            "first_contact": values.get("first_contact"),
            "within_sla": values.get("within_sla"),
        },
    )


def _furthest(current: str, reached: str) -> str:
    return max(current, reached, key=LEAD_STEPS.index)


def _set(column: str, data_field: str | None = None) -> Change:
    def change(row: Row, envelope: Envelope) -> None:
        row[column] = envelope["data"][data_field or column]

    return change


def _status(status: str) -> Change:
    def change(row: Row, envelope: Envelope) -> None:
        row["status"] = status

    return change


def _next_follow_up(row: Row, envelope: Envelope) -> None:
    """The next follow-up the rep planned (UTC, so that times sort), or none."""
    planned = envelope["data"].get("next_follow_up_at")
    row["next_follow_up_at"] = (
        None if planned is None else datetime.fromisoformat(planned).astimezone(UTC).isoformat()
    )


def _scored(row: Row, envelope: Envelope) -> None:
    row.update(score=envelope["data"]["score"], tier=envelope["data"]["tier"])


def _held(row: Row, envelope: Envelope) -> None:
    rep = envelope["data"]["rep"]
    at = envelope["occurred_at"]
    row.update(holder=rep, rep=rep, held_since=at, touched_at=at, contact_overdue_at=None,
               first_contact_at=None,
               first_contact_within_sla=None)  # fmt: skip


def _back_in_pool(row: Row, envelope: Envelope) -> None:
    row.update(holder=None, previous_rep=envelope["data"]["rep"],
               in_pool_since=envelope["occurred_at"], held_since=None, touched_at=None)  # fmt: skip


def _qualified(row: Row, envelope: Envelope) -> None:
    row.update(status="qualified", step=_furthest(row["step"], "qualified"))


def _nurtured(row: Row, envelope: Envelope) -> None:
    row.update(status="nurturing", holder=None, previous_rep=row["holder"], held_since=None,
               touched_at=None, nurtured_at=envelope["occurred_at"])  # fmt: skip


def _reactivated(row: Row, envelope: Envelope) -> None:
    row.update(status="open", holder=None, in_pool_since=envelope["occurred_at"],
               held_since=None, touched_at=None, nurtured_at=None)  # fmt: skip


def _converted(row: Row, envelope: Envelope) -> None:
    row.update(status="converted", step="converted", converted_at=envelope["occurred_at"],
               opportunity_id=envelope["data"]["opportunity_id"])  # fmt: skip


CORRECTED_COLUMNS = {"source", "company", "industry", "region"}
CONTACT_COLUMNS = ("contact_name", "contact_title", "contact_phone", "contact_email")


def _erased(row: Row) -> Row:
    return {**row, **{c: ERASED for c in CONTACT_COLUMNS if row[c] is not None}}


def _corrected(row: Row, envelope: Envelope) -> None:
    for path, value in envelope["data"]["changes"].items():
        if path.startswith("contact.") and not path.endswith("_hash"):
            row["contact_" + path.removeprefix("contact.")] = value
        elif path in CORRECTED_COLUMNS:
            row[path] = value


def _amount(row: Row, envelope: Envelope) -> None:
    row["amount"] = cents(envelope["data"]["amount"])


def _won(row: Row, envelope: Envelope) -> None:
    row.update(status="won", stage="won", amount=cents(envelope["data"]["amount"]),
               closed_at=envelope["occurred_at"])  # fmt: skip


def _lost(row: Row, envelope: Envelope) -> None:
    data = envelope["data"]
    row.update(status="lost", lost_stage=row["stage"], stage="lost",
               closed_at=envelope["occurred_at"], lost_reason=data.get("reason"),
               competitor=data.get("competitor"))  # fmt: skip


def _reopened(row: Row, envelope: Envelope) -> None:
    row.update(status="open", stage=envelope["data"]["stage"], closed_at=None, lost_stage=None,
               lost_reason=None, competitor=None, stage_since=envelope["occurred_at"])  # fmt: skip


def _stage_changed(row: Row, envelope: Envelope) -> None:
    row.update(stage=envelope["data"]["to_stage"], stage_since=envelope["occurred_at"])
