"""Parse `sofia xmlstatus profile <p> reg`: a node's registration list, for reconcile."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import unquote

from telephony.events import Registration, transport_of

_EXPSECS = re.compile(r"expsecs\((-?\d+)\)", re.IGNORECASE)
# A Call-ID we pass back to the node in `flush_inbound_reg <call-id>`: RFC 3261 `word`
# characters without quotes, brackets or spaces, so it stays one argument of one api line.
_CALL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9.!%*_+~:@=-]{0,254}")


def safe_call_id(call_id: str) -> bool:
    """True when a Call-ID can be sent back in an api command as is."""
    return _CALL_ID.fullmatch(call_id) is not None


class RegistrationListError(ValueError):
    """The node's answer is not a registration list."""


def parse_xmlstatus(text: str, profile: str, now: float) -> list[Registration]:
    """Return the listed registrations; expiry is `now` plus the listing's expsecs (may be past)."""
    body = text.strip()
    if body.startswith("-ERR") or not body.startswith("<"):
        raise RegistrationListError(body.splitlines()[0][:200] if body else "empty answer")
    # expat rejects an encoding declaration on an already-decoded str: drop it.
    if body.startswith("<?xml"):
        end = body.find("?>")
        if end < 0:  # a truncated answer: index() would raise a bare ValueError
            raise RegistrationListError("malformed registration list: unterminated XML declaration")
        body = body[end + 2 :]
    try:
        root = ET.fromstring(body)  # noqa: S314 - trusted node, no entity expansion in expat
    except ET.ParseError as exc:
        raise RegistrationListError(f"malformed registration list: {exc}") from None
    rows: list[Registration] = []
    for item in root.iter("registration"):
        def text_of(tag: str, item: ET.Element = item) -> str:
            return (item.findtext(tag) or "").strip()

        status = text_of("status")
        found = _EXPSECS.search(status)
        user, call_id = text_of("user"), text_of("call-id")
        if not found or "@" not in user or not call_id:
            continue  # a row we cannot place is left out: unknown means offline
        contact = text_of("contact")
        rows.append(Registration(
            agent=unquote(user),
            call_id=call_id,
            profile=profile,
            contact=contact,
            network_ip=text_of("network-ip"),
            network_port=text_of("network-port"),
            transport=transport_of(status, contact),
            user_agent=text_of("agent"),
            expires_at=now + int(found.group(1)),
            unreachable=text_of("ping-status").lower() == "unreachable",
        ))
    return rows
