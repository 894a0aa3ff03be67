"""The ESL command pool of this worker process: one persistent connection per node.

Created lazily on first use and dropped in every forked child (`worker_process_init` in
workers/celery.py), so no two processes ever share a socket.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_pool: Any = None


def get_pool() -> Any:
    """Return this process's `telephony.client.CommandPool`, creating it on first use."""
    global _pool
    with _lock:
        if _pool is None:
            from campaigns.services.nodes import configured_nodes
            from telephony.client import CommandPool

            _pool = CommandPool(configured_nodes())
        return _pool


def reset_pool() -> None:
    """Forget the pool inherited from a parent process (its sockets belong to the parent)."""
    global _pool
    # Only drop the reference: closing it could send `exit` on the parent's live session.
    # The client itself also discards inherited sockets (os.register_at_fork).
    with _lock:
        _pool = None
