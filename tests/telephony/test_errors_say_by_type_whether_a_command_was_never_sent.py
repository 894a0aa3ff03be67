"""Whether a command surely never reached the node is told by the error's type, not its text.

The dialer sends an originate that failed with a NotSent error to another node, and leaves any
other failure to the reconciler (the node may have taken it): a reworded message must not turn
one into the other.
"""

from __future__ import annotations

import socket

import pytest

from telephony.client import Backoff, CommandPool, ESLConnection
from telephony.config import NodeConfig
from telephony.errors import (
    AuthenticationError,
    CommandError,
    ConnectionLost,
    ESLTimeout,
    InvalidCommand,
    NodeUnreachable,
    NotSent,
    ProtocolError,
)
from tests.telephony.fixtures import FakeSwitch

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_refused_connection_is_a_node_unreachable_error():
    conn = ESLConnection("127.0.0.1", free_port(), "ClueCon", name="fs1")
    with pytest.raises(NodeUnreachable) as caught:
        conn.connect()
    assert isinstance(caught.value, NotSent) and isinstance(caught.value, ConnectionLost)
    assert caught.value.permanent is False


def test_a_node_in_its_backoff_is_unreachable_without_a_connection_attempt():
    now = [100.0]
    pool = CommandPool(
        [NodeConfig(name="fs1", host="127.0.0.1", port=free_port(), password="ClueCon")],
        backoff=Backoff(base=5.0, factor=2.0, maximum=5.0, jitter=0.0),
        clock=lambda: now[0],
    )
    with pytest.raises(NodeUnreachable):
        pool.api("fs1", "status")
    with pytest.raises(NodeUnreachable, match="node is down"):
        pool.api("fs1", "status")


def test_a_wrong_password_is_not_sent():
    with FakeSwitch(password="right") as switch:
        conn = ESLConnection("127.0.0.1", switch.port, "wrong", name="fs1")
        with pytest.raises(AuthenticationError) as caught:
            conn.connect()
    assert isinstance(caught.value, NotSent)


@pytest.mark.parametrize(
    ("error", "not_sent"),
    [
        (NodeUnreachable("reworded: the far side said no", node="fs1"), True),
        (AuthenticationError("reworded", node="fs1"), True),
        (CommandError("-ERR reworded", node="fs1"), True),
        (InvalidCommand("reworded"), True),
        # Written, then lost or unanswered: the node may have taken it, whatever the text says.
        (ConnectionLost("cannot connect: Connection refused (but after the write)"), False),
        (ESLTimeout("node is down refused cannot connect"), False),
        (ProtocolError("refused"), False),
    ],
)
def test_only_the_type_decides(error, not_sent):
    assert isinstance(error, NotSent) is not_sent
