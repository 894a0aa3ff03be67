"""Work around kombu's Redis transport crashing a worker after a broker restart.

The fault audit (issue 10) saw a worker die for good after a Redis restart with a late-acked
dial batch in flight: `Restoring 1 unacknowledged message(s)`, then `Unrecoverable error:
AttributeError("'NoneType' object has no attribute 'hostname'")`. The path: once the consumer has
torn its broker connection down (`Connection.collect()` clears the transport's `client`), a late
ack, reject or restore on the old channel asks `Channel.conn_or_acquire()` for a client, which
builds a new pool from `Channel._connparams()`, which reads `self.connection.client.hostname`
of None. The same trace is kombu #582 (3.0.35) and #970 (4.2.2); kombu 5.7.0, the newest
release (the pin), still has the unguarded read, and Celery 5.7 only guards `collect()` itself.

The fix here turns that read into what it means, a lost connection: `redis.ConnectionError`,
which kombu and Celery treat as recoverable (`ignore_errors`, the consumer's reconnect loop)
instead of an unrecoverable AttributeError. Nothing is lost by it: a message that could not be
restored stays in kombu's unacked hash and comes back after the visibility timeout (or, when
Redis lost its data, the reapers return its targets), and the dial task is idempotent.
"""

from __future__ import annotations

import logging
import os
from typing import Any

log = logging.getLogger(__name__)


def install() -> bool:
    """Patch kombu's Redis Channel once per process; False when switched off (tests only)."""
    # Test-only switch: the control run of the guard's test shows the crash without it.
    if os.environ.get("SWITCHBOARD_KOMBU_RESTORE_GUARD", "1") == "0":
        return False
    import redis
    from kombu.transport import redis as transport

    original = transport.Channel._connparams
    if getattr(original, "_switchboard_guard", False):
        return True

    def _connparams(self: Any, asynchronous: bool = False) -> Any:
        connection = getattr(self, "connection", None)
        if connection is None or getattr(connection, "client", None) is None:
            raise redis.ConnectionError("broker connection already closed (kombu channel)")
        return original(self, asynchronous=asynchronous)

    _connparams._switchboard_guard = True  # type: ignore[attr-defined]
    transport.Channel._connparams = _connparams
    return True
