"""Read the Kamailio fixture captures (K1-K9): evapi messages and ul.dump answers."""

from __future__ import annotations

import json
from pathlib import Path

from telephony.evapi import NetstringReader, ProxyEvent, iter_capture, parse_event

# A copy of ../shared/fixtures/kamailio (the evapi and rpc records, and the README).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kamailio"


def evapi_events(name: str) -> list[ProxyEvent]:
    """Every message of `NN-name.evapi.txt`, framed by netstring length, in order."""
    reader = NetstringReader()
    out: list[ProxyEvent] = []
    for _, direction, data in iter_capture(str(FIXTURES / f"{name}.evapi.txt")):
        if direction == "S>C":
            out += [parse_event(p) for p in reader.feed(data)]
    return out


def dumps(name: str) -> list[dict]:
    """Every ul.dump result of `rpc/NN-name.rpc.txt`, in order."""
    out = []
    records = list(iter_capture(str(FIXTURES / "rpc" / f"{name}.rpc.txt")))
    for (_, d1, request), (_, d2, reply) in zip(records, records[1:], strict=False):
        if d1 == "C>S" and d2 == "S>C" and b"ul.dump" in request:
            out.append(json.loads(reply)["result"])
    return out
