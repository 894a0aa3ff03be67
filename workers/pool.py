"""The ESL command pool of this worker process: one persistent connection per node.

Created lazily on first use and dropped in every forked child (`worker_process_init` in
workers/celery.py), so no two processes ever share a socket.
"""

from __future__ import annotations

import threading
import time
from typing import Any

# A node added, changed or disabled in the admin reaches running workers within this long.
NODE_REFRESH_SECONDS = 10.0

_lock = threading.Lock()
_pool: Any = None
_refreshed_at = 0.0


def get_pool() -> Any:
    """Return this process's `telephony.client.CommandPool`, following the node list."""
    global _pool, _refreshed_at
    from campaigns.services.call_path.nodes import configured_nodes
    from telephony.client import CommandPool

    with _lock:
        now = time.monotonic()
        if _pool is None:
            _pool = CommandPool(configured_nodes())
            _refreshed_at = now
        elif now - _refreshed_at >= NODE_REFRESH_SECONDS:
            _pool.update_nodes(configured_nodes())
            _refreshed_at = now
        return _pool


def reset_pool() -> None:
    """Forget the pool inherited from a parent process (its sockets belong to the parent)."""
    global _pool
    # Only drop the reference: closing it could send `exit` on the parent's live session.
    # The client itself also discards inherited sockets (os.register_at_fork).
    with _lock:
        _pool = None
