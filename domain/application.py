"""SalesPipeline: the eventsourcing Application whose commands drive leads and opportunities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.persistence import Transcoding

from domain.base import SalesAggregate
from domain.contact_vault import ContactVault, PlainVault, revealed_envelope
from domain.lead_commands import LeadCommands
from domain.leads import Lead
from domain.opportunities import Opportunity
from domain.opportunity_commands import OpportunityCommands
from domain.published import envelope_of
from domain.results import HistoryPage
from domain.roster import nobody
from domain.round_robin import RoundRobin
from domain.scoring import DEFAULT_RULES, ScoringRules
from domain.team_commands import TeamCommands
from domain.timed_commands import TimedCommands
from domain.workloads import RepWorkload

DEFAULT_CLAIM_LIMIT = 50


class SalesPipeline(LeadCommands, OpportunityCommands, TeamCommands, TimedCommands):
    """Leads, opportunities, pipelines and teams: each command is get → decide → save.

    The store (`store.event_store.open_pipeline`) builds it with its recorders and encodings.
    """

    name = "SalesPipeline"
    # A rep's workload gains two events per lead taken and given up, for as long as the rep
    # works here, and a round robin one per lead it assigns: loading them must not replay all.
    snapshotting_intervals: ClassVar = {RepWorkload: 50, RoundRobin: 50}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        transcodings: Sequence[Transcoding] = (),
        rules: ScoringRules = DEFAULT_RULES,
        claim_limit: int = DEFAULT_CLAIM_LIMIT,
        currency: str = "CNY",
    ) -> None:
        super().__init__(env, transcodings=transcodings)
        self.rules = rules
        self.claim_limit = claim_limit
        self.currency = currency
        self.roster = nobody  # the composition root gives it the user directory's
        # contact details sealed with each lead's key; the composition root gives it the store's
        self.vault: ContactVault = PlainVault()

    # --- queries on aggregates ---

    def get_lead(
        self, lead_id: UUID, *, version: int | None = None, as_of: datetime | None = None
    ) -> Lead:
        return self._get_at(Lead, lead_id, version=version, as_of=as_of)

    def get_opportunity(
        self, opportunity_id: UUID, *, version: int | None = None, as_of: datetime | None = None
    ) -> Opportunity:
        return self._get_at(Opportunity, opportunity_id, version=version, as_of=as_of)

    def history(
        self,
        kind: type[SalesAggregate],
        aggregate_id: UUID,
        *,
        after_version: int = 0,
        limit: int = 100,
    ) -> HistoryPage:
        """A page of an aggregate's events, oldest first, as public envelopes (unmasked)."""
        current = self._get(kind, aggregate_id)
        events = self.events.get(aggregate_id, gt=after_version, lte=after_version + limit)
        envelopes = [
            revealed_envelope(self.vault, e, fresh=True)
            for e in (envelope_of(event, None) for event in events)
            if e is not None
        ]
        return HistoryPage(envelopes=envelopes, total=current.version)
