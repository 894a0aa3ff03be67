"""Parsing of originate arguments, dial strings, applications and DTMF strings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ORIGINATE_USAGE = (
    "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] "
    "[<cid_name>] [<cid_num>] [<timeout_sec>]\n"
)


class DialError(Exception):
    """An originate that fails before any channel exists; `cause` is the hangup cause."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


def split_args(text: str, limit: int = 0) -> list[str]:
    """Split on spaces, keeping single-quoted runs together and dropping the quotes.

    Mirrors switch_separate_string(): `'a b'` is one argument `a b`; a quote inside a token
    (`{x='send_dtmf 123'}`) keeps its spaces and the quotes are removed as well.
    """
    out: list[str] = []
    cur: list[str] = []
    quoted = False
    started = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] == "'":
            cur.append("'")
            started = True
            i += 2
            continue
        if ch == "'":
            quoted = not quoted
            started = True
        elif ch == " " and not quoted:
            if started:
                out.append("".join(cur))
                cur, started = [], False
                if limit and len(out) == limit - 1:
                    rest = text[i + 1 :].lstrip(" ")
                    if rest:
                        out.append(rest)
                    return out
        else:
            cur.append(ch)
            started = True
        i += 1
    if started:
        out.append("".join(cur))
    return out


def parse_vars(block: str) -> dict[str, str]:
    """Parse the inside of a `{...}` or `[...]` block: `a=b,c='d e'` (`^^:x` sets separator x)."""
    sep = ","
    if block.startswith("^^") and len(block) > 2:
        sep, block = block[2], block[3:]
    out: dict[str, str] = {}
    for item in _split_outside_quotes(block, sep):
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        out[name.strip()] = value
    return out


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    quoted = False
    for ch in text:
        if ch == "'":
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p for p in parts if p]


@dataclass
class Endpoint:
    """A parsed single-leg dial string."""

    kind: str  # "sofia", "gateway", "user", "error"
    target: str  # number or user
    host: str = ""  # sofia host[:port], user domain
    profile: str = ""
    gateway: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    raw: str = ""


def parse_dialstring(dial: str, profiles: tuple[str, ...]) -> Endpoint:
    """Parse `{globals}[leg]endpoint`; raise DialError for what FreeSWITCH refuses up front."""
    variables: dict[str, str] = {}
    rest = dial.strip()
    if rest.startswith("<"):
        close = rest.find(">")
        if close < 0:
            raise DialError("DESTINATION_OUT_OF_ORDER")
        variables.update(parse_vars(rest[1:close]))
        rest = rest[close + 1 :]
    if rest.startswith("{"):
        close = _matching(rest, "{", "}")
        if close < 0:
            raise DialError("DESTINATION_OUT_OF_ORDER")  # "Parse Error!" in the FreeSWITCH log
        variables.update(parse_vars(rest[1:close]))
        rest = rest[close + 1 :]
    # Simultaneous (`,`) and fail-over (`|`) lists: only the first leg is dialled here.
    rest = re.split(r"[,|]", rest, maxsplit=1)[0] if not rest.startswith("[") else rest
    if rest.startswith("["):
        close = _matching(rest, "[", "]")
        if close < 0:
            raise DialError("DESTINATION_OUT_OF_ORDER")
        variables.update(parse_vars(rest[1:close]))
        rest = re.split(r"[,|]", rest[close + 1 :], maxsplit=1)[0]
    ep = _endpoint(rest, profiles)
    ep.variables = variables
    ep.raw = rest
    return ep


def _matching(text: str, opener: str, closer: str) -> int:
    depth = 0
    quoted = False
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == opener:
            depth += 1
        elif not quoted and ch == closer:
            depth -= 1
            if depth == 0:
                return i
    return -1


def _endpoint(text: str, profiles: tuple[str, ...]) -> Endpoint:
    tech, _, rest = text.partition("/")
    if tech == "error":
        return Endpoint("error", (rest or "DESTINATION_OUT_OF_ORDER").upper())
    if tech == "user":
        user, _, domain = rest.partition("@")
        if not user:
            raise DialError("SUBSCRIBER_ABSENT")
        return Endpoint("user", user, host=domain)
    if tech == "sofia":
        profile, _, dest = rest.partition("/")
        if profile == "gateway":
            gateway, _, number = dest.partition("/")
            if not gateway or not number:
                raise DialError("INVALID_GATEWAY")
            return Endpoint("gateway", _user_part(number), gateway=gateway)
        if profile not in profiles:
            raise DialError("INVALID_PROFILE")
        if "%" in dest and "@" not in dest:
            user, _, domain = dest.partition("%")
            return Endpoint("user", user, host=domain, profile=profile)
        user, _, host = dest.partition("@")
        return Endpoint("sofia", _user_part(user), host=host, profile=profile)
    raise DialError("CHAN_NOT_IMPLEMENTED")


def _user_part(text: str) -> str:
    text = text.removeprefix("sip:")
    return text.split("@", 1)[0].split(";", 1)[0]


@dataclass(frozen=True)
class App:
    """One dialplan application with its argument."""

    name: str
    arg: str = ""


def parse_app_spec(exten: str, dialplan: str) -> list[App] | None:
    """The originate's second argument as a list of apps; None means a dialplan extension."""
    if exten.startswith("&"):
        m = re.fullmatch(r"&([\w-]+)(?:\((.*)\))?", exten, re.S)
        if not m:
            return [App(exten[1:].strip())]
        return [App(m.group(1), m.group(2) or "")]
    if dialplan == "inline":
        return parse_inline(exten)
    return None


def parse_inline(text: str) -> list[App]:
    """`app:arg,app:arg` or `m:^:app:arg^app:arg` (inline dialplan)."""
    sep = ","
    if text.startswith("m:") and len(text) > 3 and text[3] == ":":
        sep, text = text[2], text[4:]
    apps: list[App] = []
    for item in text.split(sep):
        if not item:
            continue
        name, _, arg = item.partition(":")
        apps.append(App(name.strip(), arg))
    return apps


def parse_app_line(text: str) -> App:
    """`send_dtmf 123` or `send_dtmf:123` (as in execute_on_answer)."""
    text = text.strip()
    m = re.match(r"([\w-]+)[ :]?(.*)$", text, re.S)
    if not m:
        return App(text)
    return App(m.group(1), m.group(2))


DTMF_CHARS = set("0123456789ABCDabcd*#")


# Capture 34: `send_dtmf:12345@200` put a digit on the wire every 480 ms (a 200 ms tone, its end
# packets and mod_sofia's inter-digit delay), the first about 9 ms after the app completed.
DIGIT_GAP_MS = 280


@dataclass(frozen=True)
class Tone:
    """One DTMF digit scheduled `offset_ms` after the request, lasting `duration_ms`."""

    digit: str
    offset_ms: int
    duration_ms: int


def dtmf_schedule(data: str, default_ms: int = 250) -> tuple[list[Tone], int]:
    """Lay out a send_dtmf string and its total length in ms.

    `+` separates groups, `@ms` sets a group's tone length, `w` pauses 500 ms and `W` 1000 ms;
    each digit then holds the line for its tone plus DIGIT_GAP_MS before the next one leaves.
    """
    tones: list[Tone] = []
    t = 0
    data = data.lstrip("~")[:99]
    for group in data.split("+"):
        digits, at, ms = group.partition("@")
        duration = default_ms
        if at and ms.strip().isdigit():
            duration = max(50, min(int(ms.strip()), 24000))
        for ch in digits:
            if ch == "w":
                t += 500
            elif ch == "W":
                t += 1000
            elif ch in DTMF_CHARS:
                tones.append(Tone(ch.upper(), t, duration))
                t += duration + DIGIT_GAP_MS
    return tones, t


def last_dtmf_duration(data: str, default_ms: int = 250) -> int:
    """variable_last_dtmf_duration: each digit's tone plus the 250 ms FreeSWITCH accounts for."""
    tones, _ = dtmf_schedule(data, default_ms)
    return sum(t.duration_ms + 250 for t in tones)
