"""The ESL client's public names, in one place for callers.

One socket with its reader thread and bgapi futures lives in `telephony.connection`, the
per-process command pool with backoff and health in `telephony.pool`, and the listener's
reconnecting event connection in `telephony.stream`; framing is `telephony.protocol`.
"""

from __future__ import annotations

from telephony.connection import BackgroundJob, ESLConnection, Overflow
from telephony.errors import (
    AuthenticationError,
    CommandError,
    ConnectionLost,
    ESLError,
    ESLTimeout,
    InvalidCommand,
    NodeUnreachable,
    NotSent,
    ProtocolError,
)
from telephony.pool import Backoff, CommandPool, NodeHealth
from telephony.stream import ConnectInfo, EventStream

__all__ = [
    "AuthenticationError",
    "BackgroundJob",
    "Backoff",
    "CommandError",
    "CommandPool",
    "ConnectInfo",
    "ConnectionLost",
    "ESLConnection",
    "ESLError",
    "ESLTimeout",
    "EventStream",
    "InvalidCommand",
    "NodeHealth",
    "NodeUnreachable",
    "NotSent",
    "Overflow",
    "ProtocolError",
]
