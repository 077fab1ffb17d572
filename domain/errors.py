"""The root of the domain's error hierarchy; concrete errors sit beside the code raising them."""

from __future__ import annotations


class DomainError(Exception):
    """A command broke a business rule. `field` names the input at fault, when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidValue(DomainError):
    """An input value is outside what the business accepts (a negative amount, an unknown stage)."""


class NotAllowedNow(DomainError):
    """The command is valid in itself but not in the aggregate's current state."""


class NotFound(DomainError):
    """No such lead, opportunity or pipeline."""
