"""Several emulated nodes in one process: an asyncio loop in a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

from emulator.control_http import ControlServer
from emulator.node import Node
from emulator.operations import NodeOps, invoke


class NodeHandle:
    """Thread-safe proxy: `cluster.node("fs1").register_agent(user="1000")` runs on the loop."""

    def __init__(self, cluster: Cluster, ops: NodeOps) -> None:
        self._cluster = cluster
        self._ops = ops
        self.name = ops.node.name

    @property
    def port(self) -> int:
        """The node's ESL port."""
        return self._ops.node.port

    @property
    def node(self) -> Node:
        """The Node itself (touch it only on the loop thread)."""
        return self._ops.node

    def call(self, operation: str, **kwargs: Any) -> Any:
        """Run any operation by name (the same names as the HTTP API)."""
        return self._cluster.run(invoke(self._ops, operation, kwargs))

    def __getattr__(self, operation: str) -> Any:
        if operation.startswith("_"):
            raise AttributeError(operation)

        def bound(**kwargs: Any) -> Any:
            return self.call(operation, **kwargs)

        bound.__name__ = operation
        return bound


class Cluster:
    """N nodes (fs1, fs2, ...) on consecutive ports (or free ones), plus the HTTP control API."""

    def __init__(
        self,
        nodes: int = 3,
        password: str = "ClueCon",  # noqa: S107 - FreeSWITCH's stock default, loopback only
        esl_port: int = 0,
        control_port: int | None = 0,
        host: str = "127.0.0.1",
        **node_options: Any,
    ) -> None:
        self.password = password
        self.host = host
        self._esl_port = esl_port
        self._control_port = control_port
        self._count = nodes
        self._node_options = node_options
        self.loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self.nodes: dict[str, Node] = {}
        self.ops: dict[str, NodeOps] = {}
        self.control: ControlServer | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Cluster:
        """Start the loop thread and every node; returns self."""
        ready = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.call_soon(ready.set)
            self.loop.run_forever()

        self._thread = threading.Thread(target=main, name="fs-emulator", daemon=True)
        self._thread.start()
        ready.wait()
        self.run(self._start_all())
        return self

    async def _start_all(self) -> None:
        for i in range(1, self._count + 1):
            port = self._esl_port + i if self._esl_port else 0
            node = Node(f"fs{i}", self.password, port=port, host=self.host, **self._node_options)
            await node.start()
            self.nodes[node.name] = node
            self.ops[node.name] = NodeOps(node)
        if self._control_port is not None:
            self.control = ControlServer(self.ops, self.host, self._control_port)
            await self.control.start()

    def stop(self) -> None:
        """Stop every node, the control API and the loop thread."""
        if self._thread is None:
            return

        async def stop_all() -> None:
            for node in self.nodes.values():
                await node.stop()
            if self.control is not None:
                await self.control.stop()

        try:
            self.run(stop_all(), timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
            self._thread = None
            self.loop.close()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- access ------------------------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        """Run a coroutine on the cluster loop from another thread and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def node(self, name: str) -> NodeHandle:
        """A thread-safe handle on one node."""
        return NodeHandle(self, self.ops[name])

    @property
    def ports(self) -> dict[str, int]:
        """ESL port per node name."""
        return {name: node.port for name, node in self.nodes.items()}

    @property
    def control_port(self) -> int | None:
        """The HTTP control port (None if disabled)."""
        return self.control.port if self.control is not None else None

    @property
    def control_url(self) -> str:
        """Base URL of the HTTP control API."""
        return f"http://{self.host}:{self.control_port}"

    def each(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """Run one operation on every node."""
        return {name: self.node(name).call(operation, **kwargs) for name in self.nodes}
