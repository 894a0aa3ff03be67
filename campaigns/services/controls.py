"""Controls the web side asks the workers to carry out (campaigns may not import workers).

workers.apps registers the publisher when Django starts; until then a control fails loudly
rather than silently doing nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_hangup: Callable[[str, str, str], Any] | None = None
_import: Callable[[int], Any] | None = None


class ControlUnavailable(RuntimeError):
    """No task publisher is registered (the workers app is not installed)."""


def register_hangup(publisher: Callable[[str, str, str], Any]) -> None:
    """Install the function that queues `uuid_kill` for (node, uuid, actor)."""
    global _hangup
    _hangup = publisher


def register_import(publisher: Callable[[int], Any]) -> None:
    """Install the function that queues a stored import job for a worker, by its id."""
    global _import
    _import = publisher


def request_import(job_id: int) -> None:
    """Queue a stored import job (its bytes or staged rows are in the job row)."""
    if _import is None:
        raise ControlUnavailable("no import publisher: is the workers app installed?")
    _import(job_id)


def request_hangup(node: str, call_uuid: str, actor: str) -> None:
    """Queue the hangup of one live call (the uuid already passed its grammar)."""
    if _hangup is None:
        raise ControlUnavailable("no control publisher: is the workers app installed?")
    _hangup(node, call_uuid, actor)
