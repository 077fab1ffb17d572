"""The sales domain: aggregates (Lead, Opportunity, Pipeline), their events, rules and the
application's commands. Imports only the standard library, eventsourcing and pydantic: no I/O."""
