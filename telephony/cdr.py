"""CDR bodies from mod_json_cdr and mod_xml_cdr, decoded into one typed record per call leg.

Every form the two modules post (fixtures README, "CDR posts"), and the err-log-dir files:

| source | body |
|---|---|
| json, `encode=false` | the JSON document, `Content-Type: application/json` |
| json, `encode=true` (sample default) | `cdr=` + form-encoded JSON (see below) |
| xml, `encode=true` | `cdr=` + the URL-encoded XML (`application/x-www-form-urlencoded`) |
| xml, `encode=textxml` | the XML itself, `Content-Type: text/xml` |
| xml, `encode=false` | `cdr=` + the raw XML (`application/x-www-form-plaintext`) |
| err-log-dir `json_cdr/*.cdr.json` | the JSON as it would have been posted, plus `\\n` |
| err-log-dir `xml_cdr/*.cdr.xml` | the URL-encoded XML without `cdr=`: decoded once first |

The JSON encoder leaves an existing `%XX` alone, so with `encode-values=true` (the sample
default) ONE decoding also decodes the values, raw CR/LF inside strings included: such a body
is parsed leniently (`strict=False`).

XML variable values are URL-encoded inside the XML (`%2B1415…`) whatever `encode` says, so each
value is decoded once more. XML is parsed with defusedxml (no DTD, no entities: FreeSWITCH
never sends one, and refusing them rules out entity expansion and external fetches).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

MAX_BODY_BYTES = 2 * 1024 * 1024  # the captured posts are 4-30 KB
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_CAUSE = re.compile(r"^[A-Z0-9_]{1,64}$")
_WORD = re.compile(r"^[A-Za-z0-9_:.\-]{1,64}$")


class CdrError(ValueError):
    """The body is not a CDR this module understands (the caller answers 400)."""


@dataclass(frozen=True)
class CdrLeg:
    """The fields of one leg's CDR that settle an attempt."""

    uuid: str
    core_uuid: str
    switchname: str
    call_uuid: str
    bridge_uuid: str  # signal_bond / bridge_uuid / last_bridge_to: the other leg
    origination_uuid: str
    attempt_id: int | None
    attempt_leg: str
    hangup_cause: str
    hangup_cause_q850: int | None
    sip_hangup_disposition: str
    originate_disposition: str
    dialstatus: str
    bridge_cause: str  # last_bridge_hangup_cause, else bridge_hangup_cause
    started_at: dt.datetime | None
    answered_at: dt.datetime | None
    bridged_at: dt.datetime | None
    ended_at: dt.datetime | None
    billsec: int
    billmsec: int
    variables: Mapping[str, str] = field(repr=False, default_factory=dict)


def decode_post(body: bytes, content_type: str, module: str) -> CdrLeg:
    """Decode one HTTP POST body from `module` ("json" or "xml") as FreeSWITCH sent it."""
    if len(body) > MAX_BODY_BYTES:
        raise CdrError("body too large")
    text = _ascii(body)
    kind = content_type.split(";")[0].strip().lower()
    form = text.startswith("cdr=")
    if module == "json":
        if form:
            return parse_json(unquote(text[4:]), lenient=True)
        if kind in ("application/json", "text/json", ""):
            return parse_json(text)
        raise CdrError(f"unexpected content type {kind!r} for a JSON CDR")
    if module == "xml":
        if form:
            payload = text[4:]
            # encode=true sends URL-encoded XML; encode=false the raw XML after `cdr=`.
            return parse_xml(payload if payload.lstrip().startswith("<") else unquote(payload))
        if kind in ("text/xml", "application/xml"):
            return parse_xml(text)
        raise CdrError(f"unexpected content type {kind!r} for an XML CDR")
    raise CdrError(f"unknown module {module!r}")


def decode_file(body: bytes, name: str) -> CdrLeg:
    """Decode one err-log-dir file (`<uuid>.cdr.json` or `[a_]<uuid>.cdr.xml`)."""
    if len(body) > MAX_BODY_BYTES:
        raise CdrError("file too large")
    text = _ascii(body)
    if name.endswith(".cdr.json"):
        return parse_json(text.strip(), lenient=True)
    if name.endswith(".cdr.xml"):
        stripped = text.strip()
        return parse_xml(stripped if stripped.startswith("<") else unquote(stripped))
    raise CdrError(f"not a CDR file name: {name!r}")


def parse_json(text: str, *, lenient: bool = False) -> CdrLeg:
    """Parse a mod_json_cdr document (lenient: raw control characters inside strings)."""
    try:
        doc = json.loads(text, strict=not lenient)
    except (ValueError, RecursionError) as exc:
        raise CdrError(f"not JSON: {type(exc).__name__}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("variables"), dict):
        raise CdrError("no variables object")
    variables = {str(k): str(v) for k, v in doc["variables"].items()
                 if isinstance(v, str | int | float)}
    return _leg(variables, str(doc.get("core-uuid", "")), str(doc.get("switchname", "")))


def parse_xml(text: str) -> CdrLeg:
    """Parse a mod_xml_cdr document (values URL-encoded inside it)."""
    try:
        root = safe_fromstring(text, forbid_dtd=True)
    except DefusedXmlException:
        raise CdrError("DTD or entity declarations are refused") from None
    except (ET.ParseError, ValueError, RecursionError) as exc:
        raise CdrError(f"not XML: {type(exc).__name__}") from None
    if root.tag != "cdr":
        raise CdrError("the root element is not <cdr>")
    node = root.find("variables")
    if node is None:
        raise CdrError("no <variables> element")
    variables = {child.tag: unquote(child.text or "") for child in node}
    return _leg(variables, root.get("core-uuid", ""), root.get("switchname", ""))


def _leg(variables: dict[str, str], core_uuid: str, switchname: str) -> CdrLeg:
    def var(name: str) -> str:
        return unquote(variables.get(name, "")).strip()

    uuid = var("uuid")
    if not _UUID.match(uuid):
        raise CdrError("variables.uuid is missing or not a uuid")
    attempt = var("attempt_id")
    bridge = next((var(n) for n in ("signal_bond", "bridge_uuid", "last_bridge_to")
                   if _UUID.match(var(n))), "")
    bridge_cause = next((var(n) for n in ("last_bridge_hangup_cause", "bridge_hangup_cause")
                         if _CAUSE.match(var(n))), "")
    q850 = var("hangup_cause_q850")
    return CdrLeg(
        uuid=uuid.lower(),
        core_uuid=core_uuid if _UUID.match(core_uuid) else "",
        switchname=switchname[:255],
        call_uuid=_uuid_or_empty(var("call_uuid")),
        bridge_uuid=bridge.lower(),
        origination_uuid=_uuid_or_empty(var("origination_uuid")),
        attempt_id=int(attempt) if attempt.isdigit() and len(attempt) < 19 else None,
        attempt_leg=var("attempt_leg") if var("attempt_leg") in ("target", "agent") else "",
        hangup_cause=_word(var("hangup_cause"), _CAUSE) or "NORMAL_UNSPECIFIED",
        hangup_cause_q850=int(q850) if q850.isdigit() and len(q850) < 4 else None,
        sip_hangup_disposition=_word(var("sip_hangup_disposition"), _WORD),
        originate_disposition=_word(var("originate_disposition"), _CAUSE),
        dialstatus=_word(var("DIALSTATUS"), _CAUSE),
        bridge_cause=bridge_cause,
        started_at=_epoch_us(var("start_uepoch")),
        answered_at=_epoch_us(var("answer_uepoch")),
        bridged_at=_epoch_us(var("bridge_uepoch")),
        ended_at=_epoch_us(var("end_uepoch")),
        billsec=_count(var("billsec")),
        billmsec=_count(var("billmsec")),
        variables=variables,
    )


def _ascii(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise CdrError("body is not UTF-8") from None


def _uuid_or_empty(value: str) -> str:
    return value.lower() if _UUID.match(value) else ""


def _word(value: str, grammar: re.Pattern[str]) -> str:
    return value if grammar.match(value) else ""


def _count(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 16 else 0


def _epoch_us(value: str) -> dt.datetime | None:
    """A `*_uepoch` value (microseconds; `0` means never)."""
    if not value.isdigit() or len(value) > 18 or int(value) == 0:
        return None
    try:
        return dt.datetime.fromtimestamp(int(value) / 1_000_000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
