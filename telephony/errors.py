"""Errors raised by the ESL layer; each says whether trying again can help (STYLE rule 8).

No message built here ever contains a password: callers pass descriptions, never raw commands.
"""

from __future__ import annotations


class ESLError(Exception):
    """Base of every ESL failure; `permanent` is False when a retry (maybe elsewhere) can help."""

    permanent: bool = False

    def __init__(self, message: str, *, node: str | None = None) -> None:
        self.node = node
        self.detail = message  # without the node prefix, for log lines that already name it
        super().__init__(f"{node}: {message}" if node else message)


class NotSent(ESLError):
    """The node cannot have acted on the command: it was never written to a live connection, or
    the node refused it before running it. An originate that failed so may go to another node."""


class AuthenticationError(NotSent):
    """The node refused our password (or its ACL refused us): retrying cannot help."""

    permanent = True


class ESLTimeout(ESLError):
    """No reply in time; the connection has been dropped so a late reply cannot be misattributed."""


class ConnectionLost(ESLError):
    """The TCP connection is gone (refused, closed, reset, shut down); `reason` says why."""

    def __init__(self, message: str, *, node: str | None = None, reason: str | None = None) -> None:
        self.reason = reason
        super().__init__(message, node=node)


class NodeUnreachable(ConnectionLost, NotSent):
    """No connection to the node could be made (refused, unreachable, or backing off after
    failures), so nothing was written."""


class ProtocolError(ConnectionLost):
    """The peer sent bytes that are not ESL; the stream cannot be trusted any more."""


class CommandError(NotSent):
    """A `command/reply` answered `-ERR ...`; carries the reply text (never the command sent)."""

    permanent = True

    def __init__(self, reply_text: str, *, node: str | None = None) -> None:
        self.reply_text = reply_text
        super().__init__(f"command refused: {reply_text}", node=node)


class InvalidCommand(NotSent, ValueError):
    """A command, header or value would break ESL framing; nothing was sent."""

    permanent = True
