"""`python -m emulator --nodes 3 --esl-port 8021 --password ClueCon`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys

from emulator.control_http import ControlServer
from emulator.node import TCP_DROP_MODES, Node
from emulator.operations import NodeOps
from emulator.sip_proxy import parse_proxy


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    p.add_argument("--nodes", type=int, default=3, help="number of nodes (fs1, fs2, ...)")
    p.add_argument(
        "--esl-port", type=int, default=8021, help="node i listens on esl-port+i-1; 0 = free ports"
    )
    p.add_argument(
        "--control-port", type=int, default=8020, help="HTTP control port; 0 = free port"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument(
        "--password",
        default=os.environ.get("EMULATOR_ESL_PASSWORD", "ClueCon"),
        help="ESL password (or EMULATOR_ESL_PASSWORD)",
    )
    p.add_argument("--max-sessions", type=int, default=1000)
    p.add_argument("--sps", type=int, default=30)
    p.add_argument("--heartbeat", type=float, default=20.0, help="HEARTBEAT interval, seconds")
    p.add_argument("--sweep", type=float, default=30.0, help="registration expiry sweep, seconds")
    p.add_argument("--tcp-drop-mode", choices=TCP_DROP_MODES, default="stock-unreg")
    p.add_argument("--agent-answer-ms", type=int, default=100)
    p.add_argument(
        "--gateways",
        default=None,
        help="comma-separated trunk gateways (globs allowed); others give INVALID_GATEWAY",
    )
    p.add_argument(
        "--sip-proxy",
        action="append",
        default=[p for p in os.environ.get("EMULATOR_SIP_PROXY", "").split(",") if p],
        help="host:port of a real SIP proxy (Kamailio): legs sofia/<profile>/<user>@host:port "
        "are sent to it as real INVITEs and follow its answer (repeatable)",
    )
    args = p.parse_args(argv)
    for proxy in args.sip_proxy:
        try:
            parse_proxy(proxy)
        except ValueError as exc:
            p.error(str(exc))
    if args.nodes < 1:
        p.error("--nodes must be at least 1")
    return args


async def serve(args: argparse.Namespace) -> None:
    """Start the nodes and the control API; run until SIGTERM/SIGINT."""
    nodes: dict[str, Node] = {}
    for i in range(1, args.nodes + 1):
        node = Node(
            f"fs{i}",
            args.password,
            port=args.esl_port + i - 1 if args.esl_port else 0,
            host=args.host,
            max_sessions=args.max_sessions,
            sps=args.sps,
            heartbeat_interval=args.heartbeat,
            sweep_interval=args.sweep,
            tcp_drop_mode=args.tcp_drop_mode,
            agent_answer_ms=args.agent_answer_ms,
            gateways=args.gateways.split(",") if args.gateways else None,
            sip_proxies=args.sip_proxy,
        )
        await node.start()
        nodes[node.name] = node
    control = ControlServer(
        {n: NodeOps(node) for n, node in nodes.items()}, args.host, args.control_port
    )
    await control.start()
    for name, node in nodes.items():
        print(f"{name} ESL on {args.host}:{node.port} Core-UUID {node.core_uuid}", flush=True)
    print(f"control API on http://{args.host}:{control.port}", flush=True)
    ready = {"control": control.port, "nodes": {n: node.port for n, node in nodes.items()}}
    print("EMULATOR READY " + json.dumps(ready), flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    # Drain: close listeners and connections, then the control API.
    for node in nodes.values():
        await node.stop()
    await control.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except OSError as exc:
        print(f"emulator: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
