"""rtpengine (userspace forwarding, no kernel module) as a test process, and its ng protocol."""

from __future__ import annotations

import random
import socket
import time
from typing import Any

from tests.edge.sip import free_port
from tests.processes import Process


def bencode(value: Any) -> bytes:
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, str):
        return bencode(value.encode())
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in sorted(value.items())) + b"e"
    raise TypeError(type(value))


def bdecode(data: bytes, pos: int = 0) -> tuple[Any, int]:
    kind = data[pos:pos + 1]
    if kind == b"i":
        end = data.index(b"e", pos)
        return int(data[pos + 1:end]), end + 1
    if kind in (b"l", b"d"):
        pos += 1
        items = []
        while data[pos:pos + 1] != b"e":
            item, pos = bdecode(data, pos)
            items.append(item)
        if kind == b"l":
            return items, pos + 1
        return {items[i].decode(): items[i + 1] for i in range(0, len(items), 2)}, pos + 1
    colon = data.index(b":", pos)
    size = int(data[pos:colon])
    return data[colon + 1:colon + 1 + size], colon + 1 + size


class RtpEngine(Process):
    """`rtpengine --table=-1` (userspace) on loopback, RTP ports [port_min, port_max]."""

    def __init__(self, env: dict[str, str], port_min: int = 42000, port_max: int = 42199) -> None:
        self.ng = free_port(socket.SOCK_DGRAM)
        self.port_min, self.port_max = port_min, port_max
        super().__init__(["rtpengine", "--foreground", "--log-stderr", "--table=-1",
                          "--interface=127.0.0.1", f"--listen-ng=127.0.0.1:{self.ng}",
                          f"--port-min={port_min}", f"--port-max={port_max}",
                          "--log-level=6"], env, "rtpengine")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if self.command({"command": "ping"}).get("result") == b"pong":
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"rtpengine did not answer:\n{self.log()[-3000:]}")

    @property
    def socket_spec(self) -> str:
        return f"udp:127.0.0.1:{self.ng}"

    def command(self, message: dict[str, Any], timeout: float = 1.0) -> dict[str, Any]:
        cookie = f"{random.getrandbits(32):x}".encode()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(timeout)
            sock.sendto(cookie + b" " + bencode(message), ("127.0.0.1", self.ng))
            data, _ = sock.recvfrom(65535)
        body = data.split(b" ", 1)[1]
        answer, _ = bdecode(body)
        return answer
