"""Agent legs through a real SIP proxy: the emulated node sends a real INVITE (UDP) to Kamailio.

A leg `sofia/<profile>/<agent>@<host>:<port>` whose host:port is one of the node's `sip_proxies`
is not scripted: the node asks the proxy, as FreeSWITCH would, and the leg follows the proxy's
answer. So a bridge through the proxy succeeds only when Kamailio holds a contact for the agent
(the agent's phone answers over its own connection), and otherwise fails with the cause
FreeSWITCH takes from the reply: a `Reason: Q.850;cause=N` header wins (480 + cause 20 is
SUBSCRIBER_ABSENT), else sofia's status mapping (404 UNALLOCATED_NUMBER, 408
RECOVERY_ON_TIMER_EXPIRE, 486 USER_BUSY, ...). After a 200 the dialog is acknowledged and ended
at once (the emulated channel goes on as answered): only the proxy's verdict matters here.
"""

from __future__ import annotations

import logging
import random
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from emulator.outcomes import SIP_TO_CAUSE

log = logging.getLogger(__name__)

# Q.850 cause numbers FreeSWITCH names (switch_channel_cause2str) that a proxy may send.
Q850 = {
    1: "UNALLOCATED_NUMBER", 3: "NO_ROUTE_DESTINATION", 16: "NORMAL_CLEARING",
    17: "USER_BUSY", 18: "NO_USER_RESPONSE", 19: "NO_ANSWER", 20: "SUBSCRIBER_ABSENT",
    21: "CALL_REJECTED", 27: "DESTINATION_OUT_OF_ORDER", 31: "NORMAL_UNSPECIFIED",
    34: "NORMAL_CIRCUIT_CONGESTION", 38: "NETWORK_OUT_OF_ORDER", 41: "NORMAL_TEMPORARY_FAILURE",
    102: "RECOVERY_ON_TIMER_EXPIRE",
}  # fmt: skip
_T1 = 0.5


@dataclass
class ProxyReply:
    """The proxy's final answer to the INVITE."""

    status: int
    cause: str  # "" for a 2xx


def cause_of(status: int, headers: dict[str, str]) -> str:
    """The hangup cause FreeSWITCH gives a failed leg for this final response."""
    reason = headers.get("reason", "")
    found = re.search(r"Q\.850\s*;\s*cause\s*=\s*(\d+)", reason, re.IGNORECASE)
    if found and int(found.group(1)) in Q850:
        return Q850[int(found.group(1))]
    return SIP_TO_CAUSE.get(str(status), "NORMAL_TEMPORARY_FAILURE")


def _parse(data: bytes) -> tuple[int, str, dict[str, str], list[str]]:
    """(status, first line, headers lowercased (first value), Record-Route values in order)."""
    text = data.decode("utf-8", "replace")
    head = text.split("\r\n\r\n", 1)[0]
    lines = head.split("\r\n")
    first = lines[0]
    parts = first.split(" ", 2)
    status = int(parts[1]) if first.startswith("SIP/2.0 ") and parts[1].isdigit() else 0
    headers: dict[str, str] = {}
    routes: list[str] = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().lower()
        value = value.strip()
        if key == "record-route":
            routes += [v.strip() for v in value.split(",") if v.strip()]
        headers.setdefault(key, value)
    return status, first, headers, routes


class ProxyCall:
    """One INVITE from the emulated node to the proxy, driven on a worker thread."""

    def __init__(self, proxy: tuple[str, int], user: str, local_ip: str = "127.0.0.1") -> None:
        self.proxy = proxy
        self.user = user
        self.local_ip = local_ip
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((local_ip, 0))
        self.port = self.sock.getsockname()[1]
        tag = f"{random.getrandbits(48):x}"
        self.call_id = f"emu-{random.getrandbits(64):x}@{local_ip}"
        self.from_tag = tag
        self.branch = f"z9hG4bK-emu{random.getrandbits(48):x}"
        self.ruri = f"sip:{user}@{proxy[0]}:{proxy[1]}"
        self.cancelled = False

    def _via(self, branch: str) -> str:
        return f"Via: SIP/2.0/UDP {self.local_ip}:{self.port};branch={branch};rport"

    def _invite(self) -> bytes:
        sdp = (f"v=0\r\no=emulator 1 1 IN IP4 {self.local_ip}\r\ns=-\r\n"
               f"c=IN IP4 {self.local_ip}\r\nt=0 0\r\nm=audio {self.port + 2} RTP/AVP 0\r\n"
               "a=rtpmap:0 PCMU/8000\r\n")
        return (f"INVITE {self.ruri} SIP/2.0\r\n{self._via(self.branch)}\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:emulator@{self.local_ip}>;tag={self.from_tag}\r\n"
                f"To: <sip:{self.user}@{self.proxy[0]}>\r\nCall-ID: {self.call_id}\r\n"
                f"CSeq: 1 INVITE\r\nContact: <sip:emulator@{self.local_ip}:{self.port}>\r\n"
                f"User-Agent: switchboard-emulator\r\nContent-Type: application/sdp\r\n"
                f"Content-Length: {len(sdp)}\r\n\r\n{sdp}").encode()

    def _send(self, data: bytes) -> None:
        self.sock.sendto(data, self.proxy)

    def run(self, timeout_s: float, on_ring: Callable[[], None]) -> ProxyReply:
        """Send the INVITE and follow it to a final answer (or the leg's timeout)."""
        invite = self._invite()
        deadline = time.monotonic() + timeout_s
        self._send(invite)
        retransmit, interval, provisional = time.monotonic() + _T1, _T1, False
        rang = False
        try:
            while time.monotonic() < deadline and not self.cancelled:
                self.sock.settimeout(max(0.01, min(0.1, deadline - time.monotonic())))
                try:
                    data, _ = self.sock.recvfrom(65535)
                except TimeoutError:
                    if not provisional and time.monotonic() >= retransmit:
                        self._send(invite)
                        interval = min(interval * 2, 4.0)
                        retransmit = time.monotonic() + interval
                    continue
                status, _, headers, routes = _parse(data)
                if not status or self.call_id not in data.decode("utf-8", "replace"):
                    continue
                if status < 200:
                    provisional = True
                    if status in (180, 183) and not rang:
                        rang = True
                        on_ring()
                    continue
                if status < 300:
                    self._ack_and_bye(headers, routes)
                    return ProxyReply(status, "")
                self._ack_failure(headers)
                return ProxyReply(status, cause_of(status, headers))
            self._cancel()
            return ProxyReply(0, "")
        finally:
            self.sock.close()

    def _ack_failure(self, headers: dict[str, str]) -> None:
        """ACK for a non-2xx final answer: hop by hop, the INVITE's branch and R-URI."""
        self._send((f"ACK {self.ruri} SIP/2.0\r\n{self._via(self.branch)}\r\nMax-Forwards: 70\r\n"
                    f"From: <sip:emulator@{self.local_ip}>;tag={self.from_tag}\r\n"
                    f"To: {headers.get('to', '')}\r\nCall-ID: {self.call_id}\r\n"
                    "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n").encode())

    def _in_dialog(self, method: str, cseq: int, headers: dict[str, str],
                   routes: list[str]) -> bytes:
        contact = re.search(r"<([^>]+)>", headers.get("contact", ""))
        target = contact.group(1) if contact else self.ruri
        route = "".join(f"Route: {r}\r\n" for r in routes)  # a UAC uses them in order
        branch = f"z9hG4bK-emu{random.getrandbits(48):x}"
        return (f"{method} {target} SIP/2.0\r\n{self._via(branch)}\r\n{route}Max-Forwards: 70\r\n"
                f"From: <sip:emulator@{self.local_ip}>;tag={self.from_tag}\r\n"
                f"To: {headers.get('to', '')}\r\nCall-ID: {self.call_id}\r\n"
                f"CSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n").encode()

    def _ack_and_bye(self, headers: dict[str, str], routes: list[str]) -> None:
        self._send(self._in_dialog("ACK", 1, headers, routes))
        bye = self._in_dialog("BYE", 2, headers, routes)
        self._send(bye)
        self.sock.settimeout(0.5)
        for _ in range(3):
            try:
                data, _ = self.sock.recvfrom(65535)
            except TimeoutError:
                self._send(bye)
                continue
            if b"CSeq: 2 BYE" in data:
                return

    def _cancel(self) -> None:
        self._send((f"CANCEL {self.ruri} SIP/2.0\r\n{self._via(self.branch)}\r\n"
                    f"Max-Forwards: 70\r\nFrom: <sip:emulator@{self.local_ip}>;tag={self.from_tag}"
                    f"\r\nTo: <sip:{self.user}@{self.proxy[0]}>\r\nCall-ID: {self.call_id}\r\n"
                    "CSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n").encode())


def parse_proxy(value: str) -> tuple[str, int]:
    """`host:port` of a proxy (the emulator's --sip-proxy)."""
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--sip-proxy {value!r} is not host:port")
    return host, int(port)
