"""The HTTP/1.1 JSON control interface of an emulator process (stdlib asyncio only)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from emulator.operations import ControlError, NodeOps, invoke

log = logging.getLogger(__name__)

_MAX_BODY = 1024 * 1024
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


class ControlServer:
    """Routes `/nodes`, `/nodes/<name>/<operation>` and `/cluster/<operation>`."""

    def __init__(self, ops: dict[str, NodeOps], host: str = "127.0.0.1", port: int = 0) -> None:
        self.ops = ops
        self.host = host
        self.port = port
        self.server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        """Listen."""
        self.server = await asyncio.start_server(self._client, self.host, self.port)
        self.port = int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _version = [*lines[0].split(" "), "", "", ""][:3]
                headers = {}
                for line in lines[1:]:
                    name, sep, value = line.partition(":")
                    if sep:
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                if length > _MAX_BODY:
                    await self._reply(writer, 400, {"error": "body too large"}, close=True)
                    return
                body = await reader.readexactly(length) if length else b""
                status, payload = await self.handle(method, target, body)
                close = headers.get("connection", "").lower() == "close"
                await self._reply(writer, status, payload, close=close)
                if close:
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _reply(
        self, writer: asyncio.StreamWriter, status: int, payload: Any, close: bool
    ) -> None:
        data = json.dumps(payload).encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n"
            f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n"
        )
        writer.write(head.encode() + data)
        await writer.drain()

    async def handle(self, method: str, target: str, body: bytes) -> tuple[int, Any]:
        """Route one request; returns (status, JSON payload)."""
        url = urlsplit(target)
        parts = [p for p in url.path.split("/") if p]
        try:
            kwargs = self._kwargs(method, url.query, body)
            if parts == ["health"]:
                return 200, {"ok": True}
            if parts == ["nodes"] and method == "GET":
                return 200, {name: ops.stats() for name, ops in self.ops.items()}
            if len(parts) == 3 and parts[0] == "nodes":
                ops = self.ops.get(parts[1])
                if ops is None:
                    return 404, {"error": f"no node {parts[1]}"}
                return self._check_method(method, parts[2]) or (
                    200,
                    await invoke(ops, parts[2], kwargs),
                )
            if len(parts) == 2 and parts[0] == "cluster":
                if method != "POST" and parts[1] not in NodeOps.READ:
                    return 405, {"error": "use POST"}
                results = {}
                for name, ops in self.ops.items():
                    results[name] = await invoke(ops, parts[1], dict(kwargs))
                return 200, results
            return 404, {"error": "not found"}
        except ControlError as exc:
            return 400, {"error": str(exc)}

    @staticmethod
    def _check_method(method: str, op: str) -> tuple[int, Any] | None:
        if op in NodeOps.READ:
            return None if method in ("GET", "POST") else (405, {"error": "use GET"})
        return None if method == "POST" else (405, {"error": "use POST"})

    @staticmethod
    def _kwargs(method: str, query: str, body: bytes) -> dict[str, Any]:
        kwargs: dict[str, Any] = dict(parse_qsl(query))
        if body:
            try:
                data = json.loads(body)
            except ValueError as exc:
                raise ControlError("body is not JSON") from exc
            if not isinstance(data, dict):
                raise ControlError("body must be a JSON object")
            kwargs.update(data)
        return kwargs
