"""`EmulatorControl(base_url)`: the HTTP control API for other processes (stdlib only)."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlencode, urlsplit


class EmulatorControlError(RuntimeError):
    """The control API refused a request."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class EmulatorControl:
    """Client of the emulator's HTTP control API, e.g. `EmulatorControl("http://127.0.0.1:8020")`."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError("base_url must be http://host:port")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One request; returns the decoded JSON or raises EmulatorControlError."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json", "Connection": "close"}
            conn.request(method, path, body=payload, headers=headers)
            resp = conn.getresponse()
            data = json.loads(resp.read() or b"null")
        finally:
            conn.close()
        if resp.status != 200:
            raise EmulatorControlError(resp.status, (data or {}).get("error", "error"))
        return data

    # -- generic -----------------------------------------------------------------------------

    def nodes(self) -> dict[str, Any]:
        """Stats of every node, by name (ports, Core-UUID, sessions, ...)."""
        result: dict[str, Any] = self.request("GET", "/nodes")
        return result

    def get(self, node: str, operation: str, **params: Any) -> Any:
        """A read operation (stats, commands, channels, channel, dtmf, agents, outcomes)."""
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return self.request("GET", f"/nodes/{node}/{operation}" + (f"?{query}" if query else ""))

    def post(self, node: str, operation: str, **body: Any) -> Any:
        """A write operation on one node."""
        return self.request("POST", f"/nodes/{node}/{operation}", body)

    def post_all(self, operation: str, **body: Any) -> Any:
        """A write operation on every node."""
        return self.request("POST", f"/cluster/{operation}", body)

    # -- helpers named like the operations ----------------------------------------------------

    def stats(self, node: str) -> Any:
        """Node stats."""
        return self.get(node, "stats")

    def commands(self, node: str, since: float = 0.0, contains: str = "") -> Any:
        """Commands received after `since`."""
        return self.get(node, "commands", since=since, contains=contains or None)

    def channels(self, node: str, live: bool | None = None, events: bool = False) -> Any:
        """Channel records."""
        return self.get(
            node, "channels", live=None if live is None else str(live).lower(),
            events=str(events).lower(),
        )  # fmt: skip

    def channel(self, node: str, uuid: str) -> Any:
        """One channel with its events and DTMF log."""
        return self.get(node, "channel", uuid=uuid)

    def dtmf(self, node: str, uuid: str) -> Any:
        """DTMF log of one channel."""
        return self.get(node, "dtmf", uuid=uuid)

    def media(self, node: str, uuid: str) -> Any:
        """A far end's placed media timeline and the sound each digit went over."""
        return self.get(node, "media", uuid=uuid)

    def set_outcome(self, pattern: str, node: str | None = None, **outcome: Any) -> Any:
        """Script a number / `prefix*` / `*` on one node or on all of them."""
        if node is None:
            return self.post_all("set_outcome", pattern=pattern, **outcome)
        return self.post(node, "set_outcome", pattern=pattern, **outcome)

    def set_agent_phone(
        self, user: str, kind: str = "answer", node: str | None = None, **fields: Any
    ) -> Any:
        """Script what agent `user`'s phone does (see Phone) on one node or on all of them."""
        if node is None:
            return self.post_all("set_agent_phone", user=user, kind=kind, **fields)
        return self.post(node, "set_agent_phone", user=user, kind=kind, **fields)

    def register_agent(self, node: str, user: str, **options: Any) -> Any:
        """Register an agent on a node."""
        return self.post(node, "register_agent", user=user, **options)

    def unregister_agent(self, node: str, user: str) -> Any:
        """Unregister an agent."""
        return self.post(node, "unregister_agent", user=user)

    def drop_agent(self, node: str, user: str) -> Any:
        """TCP drop of an agent's phone."""
        return self.post(node, "drop_agent", user=user)

    def set_limits(self, node: str, **limits: Any) -> Any:
        """max_sessions, sps, heartbeat_interval, sweep_interval."""
        return self.post(node, "set_limits", **limits)

    def lifecycle(self, node: str, action: str, **options: Any) -> Any:
        """stop | start | restart | shutdown | hang | unhang."""
        if action not in ("stop", "start", "restart", "shutdown", "hang", "unhang"):
            raise ValueError(f"unknown lifecycle action {action!r}")
        return self.post(node, action, **options)

    def reset_records(self, node: str | None = None) -> Any:
        """Forget recorded commands and finished channels."""
        if node is None:
            return self.post_all("reset_records")
        return self.post(node, "reset_records")
