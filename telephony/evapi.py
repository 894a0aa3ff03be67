"""Kamailio's presence feed: evapi netstrings, their events, and the `ul.dump` reconcile.

The proxy (deploy/kamailio/kamailio.cfg) pushes one JSON object per presence change over evapi,
framed as a netstring (`<len>:<json>,`), each with `event`, `node`, `boot` (new on every start),
`seq` (from 1 per boot; a gap means missed events) and `ts`. evapi drops events while no client is
connected, so the listener reconciles with `ul.dump` (JSON-RPC over HTTP) on every connect and
whenever `seq` jumps or `boot` changes. Ground truth: `../shared/fixtures/kamailio/` (K1-K9).
"""

from __future__ import annotations

import base64
import http.client
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from telephony.events import Registration

MAX_MESSAGE = 1 << 20  # a presence message is a few hundred bytes; refuse anything absurd
_LENGTH_DIGITS = 8
_RUID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
_AOR = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,63}")
_BOOT = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")
# The events the proxy pushes (kamailio.cfg route[PUSH_REGISTER], event routes).
KINDS = ("hello", "register", "refresh", "unregister", "expire", "tcp-closed", "tcp-reset",
         "tcp-timeout", "lookup-miss")


class EvapiError(ValueError):
    """The feed is not what the proxy sends: framing or a message we cannot read."""


class RpcError(RuntimeError):
    """The proxy's JSON-RPC answer is an error or unreadable."""


class NetstringReader:
    """Frame a byte stream into netstring payloads (a message may span several reads)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        """Add bytes; return every complete payload, in order."""
        self._buf += data
        out: list[bytes] = []
        while self._buf:
            colon = self._buf.find(b":", 0, _LENGTH_DIGITS + 1)
            if colon < 0:
                if len(self._buf) > _LENGTH_DIGITS or not bytes(self._buf).isdigit():
                    raise EvapiError("netstring length is not a number")
                break
            head = bytes(self._buf[:colon])
            if not head.isdigit():
                raise EvapiError("netstring length is not a number")
            size = int(head)
            if size > MAX_MESSAGE:
                raise EvapiError(f"netstring of {size} bytes is too long")
            end = colon + 1 + size
            if len(self._buf) < end + 1:
                break
            if self._buf[end] != ord(","):
                raise EvapiError("netstring does not end with a comma")
            out.append(bytes(self._buf[colon + 1:end]))
            del self._buf[:end + 1]
        return out


@dataclass(frozen=True, slots=True)
class ProxyEvent:
    """One evapi message, checked and normalised (absent fields are "" or 0)."""

    kind: str
    node: str
    boot: str
    seq: int
    ts: float
    aor: str = ""
    ruid: str = ""
    call_id: str = ""
    contact: str = ""
    src_ip: str = ""
    src_port: str = ""
    proto: str = ""
    user_agent: str = ""
    expires: int = 0
    action: str = ""


def _text(obj: Mapping[str, Any], name: str, limit: int = 512) -> str:
    value = obj.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise EvapiError(f"field {name} is not a string")
    text = str(value)
    if len(text) > limit or any(ch in text for ch in "\r\n\x00"):
        raise EvapiError(f"field {name} is too long or holds a control character")
    return text


def _int(obj: Mapping[str, Any], name: str) -> int:
    value = obj.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EvapiError(f"field {name} is not a number")
    return int(value)


def parse_event(payload: bytes) -> ProxyEvent:
    """One netstring payload as a ProxyEvent, or EvapiError."""
    try:
        obj = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvapiError(f"message is not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise EvapiError("message is not a JSON object")
    kind = _text(obj, "event", 32)
    boot = _text(obj, "boot", 64)
    if not _BOOT.fullmatch(boot):
        raise EvapiError("message has no valid boot")
    seq = _int(obj, "seq")
    if seq < 1:
        raise EvapiError("message has no valid seq")
    aor = _text(obj, "aor", 64)
    ruid = _text(obj, "ruid", 128)
    if aor and not _AOR.fullmatch(aor):
        raise EvapiError("message has an invalid aor")
    if ruid and not _RUID.fullmatch(ruid):
        raise EvapiError("message has an invalid ruid")
    src = _text(obj, "src", 64)
    ip, _, port = src.rpartition(":")
    ts = obj.get("ts", 0.0)
    return ProxyEvent(
        kind=kind, node=_text(obj, "node", 64), boot=boot, seq=seq,
        ts=float(ts) if isinstance(ts, int | float) and not isinstance(ts, bool) else 0.0,
        aor=aor, ruid=ruid, call_id=_text(obj, "callid", 255),
        contact=_text(obj, "contact"), src_ip=ip, src_port=port,
        proto=_text(obj, "proto", 8).lower(), user_agent=_text(obj, "user_agent", 255),
        expires=_int(obj, "expires"), action=_text(obj, "action", 128),
    )


def registration_of(event: ProxyEvent, domain: str, now: float) -> Registration:
    """A register/refresh event as the store's Registration (keyed by ruid)."""
    return Registration(
        agent=f"{event.aor}@{domain}", call_id=event.ruid, profile="proxy",
        contact=event.contact, network_ip=event.src_ip, network_port=event.src_port,
        transport=event.proto or "udp", user_agent=event.user_agent,
        expires_at=now + max(event.expires, 0))


@dataclass(frozen=True, slots=True)
class DumpedContact:
    """One contact of `ul.dump`: the registration and the SIP Call-ID that made it."""

    registration: Registration
    sip_call_id: str


def _received(value: str) -> tuple[str, str, str]:
    """(ip, port, transport) of `sip:1.2.3.4:5201;transport=tcp`."""
    match = re.match(r"sips?:(?:[^@;>]*@)?\[?([0-9A-Fa-f.:]+?)\]?:(\d+)(;.*)?$", value.strip())
    if not match:
        return "", "", ""
    params = (match.group(3) or "").lower()
    found = re.search(r";transport=([a-z]+)", params)
    return match.group(1), match.group(2), found.group(1) if found else "udp"


def parse_ul_dump(answer: Mapping[str, Any], domain: str, now: float) -> list[DumpedContact]:
    """The contacts of a `ul.dump` result; `Expires: deleted` (being removed) is left out."""
    try:
        domains = answer["Domains"]
        if not isinstance(domains, list):
            raise TypeError
    except (KeyError, TypeError):
        raise RpcError("ul.dump answer has no Domains") from None
    out: list[DumpedContact] = []
    for entry in domains:
        aors = (entry.get("Domain") or {}).get("AoRs") or []
        for aor_entry in aors:
            info = aor_entry.get("Info") or {}
            aor = str(info.get("AoR", ""))
            if not _AOR.fullmatch(aor):
                continue  # a row we cannot place is left out: unknown means offline
            for item in info.get("Contacts") or []:
                contact = item.get("Contact") or {}
                expires = contact.get("Expires")
                ruid = str(contact.get("Ruid", ""))
                if not isinstance(expires, int) or isinstance(expires, bool) or expires <= 0:
                    continue
                if not _RUID.fullmatch(ruid):
                    continue
                address = str(contact.get("Address", ""))
                received = str(contact.get("Received", ""))
                ip, port, transport = _received(received if received.startswith("sip")
                                                else address)
                user_agent = str(contact.get("User-Agent", ""))
                out.append(DumpedContact(
                    Registration(
                        agent=f"{aor}@{domain}", call_id=ruid, profile="proxy",
                        contact=address, network_ip=ip, network_port=port,
                        transport=transport or "udp",
                        user_agent="" if user_agent == "[not set]" else user_agent,
                        expires_at=now + expires),
                    str(contact.get("Call-ID", ""))))
    return out


class JsonRpc:
    """JSON-RPC over HTTP to one proxy (`POST /RPC`); an optional basic-auth password for a
    reverse proxy in front of it never appears in a message."""

    def __init__(self, host: str, port: int, timeout: float = 5.0, password: str = "") -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._auth = ("Basic " + base64.b64encode(f"switchboard:{password}".encode()).decode()
                      if password else "")
        self._id = 0

    def call(self, method: str, *params: str) -> Any:
        """The `result` of one call, or RpcError / OSError."""
        self._id += 1
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params),
                           "id": self._id})
        headers = {"Content-Type": "application/json"}
        if self._auth:
            headers["Authorization"] = self._auth
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request("POST", "/RPC", body=body, headers=headers)
            reply = conn.getresponse()
            data = reply.read(64 << 20)
        finally:
            conn.close()
        if reply.status != 200:
            raise RpcError(f"{method}: HTTP {reply.status}")
        try:
            answer = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RpcError(f"{method}: the answer is not JSON") from None
        if not isinstance(answer, dict):
            raise RpcError(f"{method}: the answer is not a JSON object")
        if "error" in answer:
            error = answer["error"] if isinstance(answer["error"], dict) else {}
            raise RpcError(f"{method}: error {error.get('code')} {str(error.get('message'))[:80]}")
        return answer.get("result")

    def dump(self, domain: str, now: float) -> list[DumpedContact]:
        """`ul.dump`: every contact the proxy holds."""
        result = self.call("ul.dump")
        if not isinstance(result, dict):
            raise RpcError("ul.dump: no result")
        return parse_ul_dump(result, domain, now)

    def boot(self) -> str:
        """The proxy's boot id (htable sys=>boot): a cheap liveness and restart check."""
        result = self.call("htable.get", "sys", "boot")
        value = ""
        if isinstance(result, dict):
            item = result.get("item")
            value = str((item or {}).get("value", "")) if isinstance(item, dict) else ""
        if not _BOOT.fullmatch(value):
            raise RpcError("htable.get sys boot: no boot id")
        return value


def iter_capture(path: str) -> Iterator[tuple[float, str, bytes]]:
    """(seconds since connect, DIR, bytes) of a fixture capture file (tests and benches)."""
    with open(path, "rb") as handle:
        data = handle.read()
    pos = 0
    header = re.compile(rb"=== \S+ \+([0-9.]+) (\S+) len=(\d+)\n")
    while pos < len(data):
        match = header.match(data, pos)
        if not match:
            raise ValueError(f"bad record at byte {pos} of {path}")
        size = int(match.group(3))
        start = match.end()
        yield float(match.group(1)), match.group(2).decode(), data[start:start + size]
        pos = start + size + 1
