"""Writing the automation rules (pool, claims, assignment, nurture, alerts), reading those in
force, and what the pool rules decide about a lead."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from domain.alert_commands import AlertCommands
from domain.context import CommandContext
from domain.errors import NotFound
from domain.leads import Lead
from domain.pool_clock import ReturnDeadline, return_deadline
from domain.results import CommandResult
from domain.roster import Roster
from domain.rules import (
    AlertPolicy,
    AssignmentRule,
    AssignmentRules,
    ClaimPolicy,
    NurturePolicy,
    PoolRule,
    PoolRules,
    RuleBook,
    assignment_definition,
    assignment_rules_of,
    claim_policy_of,
    pool_definition,
    pool_rules_of,
    rule_book_id,
)
from domain.service import command


class RuleCommands(AlertCommands):
    claim_limit: int
    roster: Roster  # who may be given work (the user directory's users)

    @command
    def write_pool_rules(self, ctx: CommandContext, rules: list[PoolRule]) -> CommandResult:
        """The pool rules from now on, in order (the first that matches a lead applies)."""
        return self._write_rules(ctx, "pool", pool_definition(rules, self.pool_rules(), ctx.at))

    @command
    def write_claim_policy(self, ctx: CommandContext, policy: ClaimPolicy) -> CommandResult:
        return self._write_rules(ctx, "claims", policy.checked().as_data())

    @command
    def write_assignment_rules(
        self, ctx: CommandContext, rules: list[AssignmentRule]
    ) -> CommandResult:
        """The assignment rules from now on, in order (the first that matches a lead sends it)."""
        return self._write_rules(ctx, "assignment", assignment_definition(rules))

    @command
    def write_nurture_policy(self, ctx: CommandContext, policy: NurturePolicy) -> CommandResult:
        return self._write_rules(ctx, "nurture", policy.checked().as_data())

    @command
    def write_alert_policy(self, ctx: CommandContext, policy: AlertPolicy) -> CommandResult:
        return self._write_rules(ctx, "alerts", policy.checked().as_data())

    def nurture_policy(self) -> NurturePolicy:
        return _policy(NurturePolicy, self._rule_book("nurture"))

    def alert_policy(self) -> AlertPolicy:
        return _policy(AlertPolicy, self._rule_book("alerts"))

    def assignment_rules(self) -> AssignmentRules:
        return assignment_rules_of(self._rule_book("assignment"))

    def pool_rules(self, as_of: datetime | None = None) -> PoolRules:
        return pool_rules_of(self._rule_book("pool", as_of))

    def claim_policy(self) -> ClaimPolicy:
        return claim_policy_of(self._rule_book("claims"), self.claim_limit)

    # --- what pool rules decide about a lead ---

    def return_deadline_of(
        self, lead: Lead, teams: Mapping[str, str | None], rules: PoolRules | None = None
    ) -> ReturnDeadline | None:
        """The held lead's return to the pool under the rules in force (or `rules`). `teams` is
        each user's team now, as the user directory has it (a team move updates it)."""
        if lead.holder is None:
            return None
        return return_deadline(lead.held(teams.get(lead.holder)), rules or self.pool_rules())

    def _team_now(self, rep: str) -> str | None:
        """The rep's team now, as the user directory has it."""
        return next((m.team for m in self.roster() if m.name == rep), None)

    def _write_rules(
        self, ctx: CommandContext, kind: str, definition: dict[str, Any]
    ) -> CommandResult:
        try:
            book: RuleBook = self.repository.get(rule_book_id(kind))
        except AggregateNotFoundError:
            book = RuleBook.write(ctx, kind, definition)
        else:
            book.rewrite(ctx, definition)
        return self._save(book)

    def _rule_book(self, kind: str, as_of: datetime | None = None) -> RuleBook | None:
        try:
            return self._get_at(RuleBook, rule_book_id(kind), as_of=as_of)
        except NotFound:
            return None


def _policy(kind: type[Any], book: RuleBook | None) -> Any:
    """The policy as written (its version the book's), or its defaults at version 0."""
    return kind() if book is None else kind(**book.definition, version=book.version)
