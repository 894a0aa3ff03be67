"""Typed domain errors raised by the services; each carries a stable `code` and a human message."""

from __future__ import annotations

# The stored ESL password must never follow a node to a new address: whoever may edit a node
# could otherwise point it at their own server and read "auth <password>" there.
NODE_MOVED_NEEDS_PASSWORD = (
    "Changing the ESL host or port requires the ESL password again: the stored password is "
    "never sent to a new address."
)


class DomainError(Exception):
    """Base of the campaign domain's errors: `code` is stable, the message is for people."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class IllegalTransition(DomainError):
    """A campaign status change that the transition table (or a precondition) forbids."""

    code = "illegal_transition"


class ImportFileError(DomainError):
    """An import file that cannot be read at all (not a row problem: those go in the report)."""

    code = "unreadable_file"


class CampaignCannotDial(IllegalTransition):
    """A start, schedule, resume or reopen of a campaign that could never place a call."""

    code = "cannot_dial"


class RecycleError(DomainError):
    """A lead-recycling request the campaign's state or the chosen outcomes do not allow."""

    code = "recycle_refused"
