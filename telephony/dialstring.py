"""Strict grammars for every value that reaches an ESL command (STYLE rule 9).

Each validator takes what a user (or a file, or the API) supplied and either returns the exact
string that may be written into a command, or raises `DialstringError` with a fixed message.
The grammars are allow-lists of ASCII characters: `str.isdigit()` and `\\d` accept Arabic-Indic and
other unicode digits, so every pattern below spells its classes out and matches with
`re.ASCII` on the whole string (`fullmatch`, never `$`, which also matches before a final newline).

None of the accepted values contains an ESL or dial-string metacharacter (`ESL_METACHARACTERS`):
no newline ends a command early, no `,` `|` `:_:` starts another leg, no `{` `}` `[` `]` `<` `>`
opens a variable block, no `'` `"` regroups originate's arguments, no `$` `^` `%` `&` `;` `\\`
expands a variable, changes a separator or runs an application. Only the caller ID name may hold a
space (between words); the originate renderer single-quotes that argument.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from typing import Final


class DialstringError(ValueError):
    """A value failed its grammar; the message is fixed and never echoes the value."""


# Characters that may never appear in any value we write into an ESL command.
# (`*`, `#`, `+` and `@` are DTMF keys and separators that originate's parser leaves alone.)
ESL_METACHARACTERS: Final = frozenset("\r\n\t\x00{}[]<>,|'\"`^&$%;:\\=!?()~")

E164_MAX_DIGITS: Final = 15
E164_MIN_DIGITS: Final = 8
# FreeSWITCH truncates DTMF strings at 99 characters; keep the extension well under it so the
# rendered string (pauses and "@<ms>" added) still fits.
EXTENSION_MAX_LENGTH: Final = 32
# A comma in an extension is a phone's pause: about two seconds on desk phones and mobiles,
# which is what auto-attendants are tuned for. A campaign may set its own length.
DEFAULT_COMMA_PAUSE_MS: Final = 2000
COMMA_PAUSE_MIN_MS: Final = 500
COMMA_PAUSE_MAX_MS: Final = 5000
DTMF_MAX_LENGTH: Final = 99
DTMF_MIN_DURATION_MS: Final = 50
DTMF_MAX_DURATION_MS: Final = 2000
CALLER_ID_NUMBER_MAX_LENGTH: Final = 20
CALLER_ID_NAME_MAX_LENGTH: Final = 40
TOKEN_MAX_LENGTH: Final = 64
DOMAIN_MAX_LENGTH: Final = 253
VAR_NAME_MAX_LENGTH: Final = 64
VAR_VALUE_MAX_LENGTH: Final = 128

_E164 = re.compile(rf"\+[1-9][0-9]{{{E164_MIN_DIGITS - 1},{E164_MAX_DIGITS - 1}}}", re.ASCII)
_EXTENSION = re.compile(r"[0-9*#A-D,wW]+", re.ASCII)
_DTMF_GROUP = re.compile(r"[0-9*#A-DwW]+(?:@([0-9]{2,4}))?", re.ASCII)
_TONE = re.compile(r"[0-9*#A-D]", re.ASCII)
_CALLER_ID_NUMBER = re.compile(r"\+?[0-9]+", re.ASCII)
_CALLER_ID_NAME = re.compile(r"[A-Za-z0-9._-]+(?: [A-Za-z0-9._-]+)*", re.ASCII)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*", re.ASCII)
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_VAR_VALUE = re.compile(r"[A-Za-z0-9_.@+/-]+", re.ASCII)

# Hangup cause names FreeSWITCH knows (switch_channel.c CAUSE_CHART); anything else is refused,
# so a cause passed to uuid_kill can never carry a second command.
_CAUSE_NAMES = """
    NONE UNALLOCATED_NUMBER NO_ROUTE_TRANSIT_NET NO_ROUTE_DESTINATION CHANNEL_UNACCEPTABLE
    CALL_AWARDED_DELIVERED NORMAL_CLEARING USER_BUSY NO_USER_RESPONSE NO_ANSWER SUBSCRIBER_ABSENT
    CALL_REJECTED NUMBER_CHANGED REDIRECTION_TO_NEW_DESTINATION EXCHANGE_ROUTING_ERROR
    DESTINATION_OUT_OF_ORDER INVALID_NUMBER_FORMAT FACILITY_REJECTED RESPONSE_TO_STATUS_ENQUIRY
    NORMAL_UNSPECIFIED NORMAL_CIRCUIT_CONGESTION NETWORK_OUT_OF_ORDER NORMAL_TEMPORARY_FAILURE
    SWITCH_CONGESTION ACCESS_INFO_DISCARDED REQUESTED_CHAN_UNAVAIL PRE_EMPTED
    FACILITY_NOT_SUBSCRIBED OUTGOING_CALL_BARRED INCOMING_CALL_BARRED BEARERCAPABILITY_NOTAUTH
    BEARERCAPABILITY_NOTAVAIL SERVICE_UNAVAILABLE BEARERCAPABILITY_NOTIMPL CHAN_NOT_IMPLEMENTED
    FACILITY_NOT_IMPLEMENTED SERVICE_NOT_IMPLEMENTED INVALID_CALL_REFERENCE INCOMPATIBLE_DESTINATION
    INVALID_MSG_UNSPECIFIED MANDATORY_IE_MISSING MESSAGE_TYPE_NONEXIST WRONG_MESSAGE IE_NONEXIST
    INVALID_IE_CONTENTS WRONG_CALL_STATE RECOVERY_ON_TIMER_EXPIRE MANDATORY_IE_LENGTH_ERROR
    PROTOCOL_ERROR INTERWORKING SUCCESS ORIGINATOR_CANCEL CRASH SYSTEM_SHUTDOWN LOSE_RACE
    MANAGER_REQUEST BLIND_TRANSFER ATTENDED_TRANSFER ALLOTTED_TIMEOUT USER_CHALLENGE MEDIA_TIMEOUT
    PICKED_OFF USER_NOT_REGISTERED PROGRESS_TIMEOUT INVALID_GATEWAY GATEWAY_DOWN INVALID_URL
    INVALID_PROFILE NO_PICKUP SRTP_READ_ERROR BOWOUT BUSY_EVERYWHERE DECLINE DOES_NOT_EXIST_ANYWHERE
    NOT_ACCEPTABLE UNWANTED NO_IDENTITY BAD_IDENTITY_INFO UNSUPPORTED_CERTIFICATE INVALID_IDENTITY
    STALE_DATE
"""
HANGUP_CAUSES: Final = frozenset(_CAUSE_NAMES.split())
EXTENSION_CHARSET_MESSAGE: Final = "extension may contain only 0-9 * # A-D, commas and w/W pauses"


def _require_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise DialstringError(f"{what} must be text")
    return value


def validate_e164(value: object) -> str:
    """Return an E.164 number (`+` then 8 to 15 ASCII digits, no leading zero) or raise."""
    text = _require_str(value, "number")
    if not text:
        raise DialstringError("number is empty")
    if not _E164.fullmatch(text):
        raise DialstringError(
            f"number must be + and {E164_MIN_DIGITS} to {E164_MAX_DIGITS} digits, the first not 0"
        )
    return text


def validate_extension(value: object) -> str:
    """Return an extension as stored (`0-9 * # A-D`, `,` phone pauses, `w`/`W`) or raise.

    The empty string is a valid extension: the target has none. A comma is a phone's pause,
    whose length is the campaign's setting; `w` and `W` are FreeSWITCH's 0.5 s and 1 s. The
    stored form is never written into a command as is: `render_dtmf` turns it into DTMF.
    """
    text = _require_str(value, "extension")
    if not text:
        return text
    if len(text) > EXTENSION_MAX_LENGTH:
        raise DialstringError(f"extension is longer than {EXTENSION_MAX_LENGTH} characters")
    if not _EXTENSION.fullmatch(text):
        raise DialstringError(EXTENSION_CHARSET_MESSAGE)
    if not _TONE.search(text):
        raise DialstringError("extension has pauses but no digits")
    return text


_EXTENSION_RUNS = re.compile(r"[wW]+|,+|[^wW,]+")


def describe_extension(stored: str) -> str:
    """A stored extension in words for people: `w187` is "wait 0.5 s, press 187".

    `w` is 0.5 s and `W` 1 s (FreeSWITCH's pauses); a comma is a phone pause whose length is
    the campaign's setting, so it reads "pause" (with a count when several).
    """
    words = []
    for run in _EXTENSION_RUNS.findall(stored):
        if run[0] in "wW":
            seconds = run.count("w") * 0.5 + run.count("W")
            words.append(f"wait {seconds:g} s")
        elif run[0] == ",":
            words.append("pause" if len(run) == 1 else f"pause x{len(run)}")
        else:
            words.append(f"press {run}")
    return ", ".join(words)


def validate_dtmf(value: object) -> str:
    """Return a FreeSWITCH DTMF string (`+`-separated groups, each optionally `@<ms>`) or raise."""
    text = _require_str(value, "DTMF")
    if not text:
        raise DialstringError("DTMF is empty")
    if len(text) > DTMF_MAX_LENGTH:
        raise DialstringError(f"DTMF is longer than {DTMF_MAX_LENGTH} characters")
    for group in text.split("+"):
        match = _DTMF_GROUP.fullmatch(group)
        if not match:
            raise DialstringError("DTMF may contain only 0-9 * # A-D, w/W pauses, @<ms> and +")
        if match.group(1) is not None and not (
            DTMF_MIN_DURATION_MS <= int(match.group(1)) <= DTMF_MAX_DURATION_MS
        ):
            raise DialstringError(
                f"DTMF duration must be {DTMF_MIN_DURATION_MS} to {DTMF_MAX_DURATION_MS} ms"
            )
    if not _TONE.search(text):
        raise DialstringError("DTMF has pauses but no digits")
    return text


def _pause_chars(pause_ms: int) -> str:
    """A pause as FreeSWITCH pause characters (`W` 1 s, `w` 0.5 s), rounded down."""
    return "W" * (pause_ms // 1000) + "w" * ((pause_ms % 1000) // 500)


def render_dtmf(
    extension: str,
    *,
    duration_ms: int,
    pause_ms: int = 0,
    comma_ms: int = DEFAULT_COMMA_PAUSE_MS,
) -> str:
    """Render an extension as a DTMF string: `pause_ms` between tones, each `duration_ms` long.

    Each comma becomes `comma_ms` of pause. Pauses are rounded down to FreeSWITCH's steps
    (`W` 1 s, `w` 0.5 s), so they never grow.
    """
    digits = validate_extension(extension)
    if not digits:
        raise DialstringError("extension is empty")
    if not DTMF_MIN_DURATION_MS <= duration_ms <= DTMF_MAX_DURATION_MS:
        raise DialstringError(
            f"DTMF duration must be {DTMF_MIN_DURATION_MS} to {DTMF_MAX_DURATION_MS} ms"
        )
    if pause_ms < 0:
        raise DialstringError("DTMF pause must not be negative")
    if not COMMA_PAUSE_MIN_MS <= comma_ms <= COMMA_PAUSE_MAX_MS:
        raise DialstringError(
            f"comma pause must be {COMMA_PAUSE_MIN_MS} to {COMMA_PAUSE_MAX_MS} ms"
        )
    gap = _pause_chars(pause_ms)
    comma = _pause_chars(comma_ms)
    rendered: list[str] = []
    previous_was_tone = False
    for char in digits:
        is_tone = char not in ",wW"
        if is_tone and previous_was_tone:
            rendered.append(gap)
        rendered.append(comma if char == "," else char)
        previous_was_tone = is_tone
    return validate_dtmf("".join(rendered) + f"@{duration_ms}")


def describe_dtmf(dtmf: str) -> str:
    """A rendered DTMF string in words: "wait 4 s, then 204#, 200 ms tones" (for previews)."""
    body, _, duration = validate_dtmf(dtmf).partition("@")
    steps: list[str] = []
    pause = 0
    tones = ""
    for char in body.replace("+", ""):
        if char in "wW":
            if tones:
                steps.append(f"press {tones}")
                tones = ""
            pause += 1000 if char == "W" else 500
            continue
        if pause:
            steps.append(f"wait {pause / 1000:g} s")
            pause = 0
        tones += char
    if tones:
        steps.append(f"press {tones}")
    if pause:
        steps.append(f"wait {pause / 1000:g} s")
    words = ", then ".join(steps)
    return f"{words} ({duration or 100} ms tones)"


def validate_caller_id_number(value: object) -> str:
    """Return a caller ID number (ASCII digits, optional leading +, up to 20) or raise."""
    text = _require_str(value, "caller ID number")
    if not text:
        raise DialstringError("caller ID number is empty")
    if len(text) > CALLER_ID_NUMBER_MAX_LENGTH:
        raise DialstringError(
            f"caller ID number is longer than {CALLER_ID_NUMBER_MAX_LENGTH} characters"
        )
    if not _CALLER_ID_NUMBER.fullmatch(text):
        raise DialstringError("caller ID number may contain only digits and a leading +")
    return text


# What people type between the digits of a caller ID: "+1 415 555 9999", "(415) 555-9999".
_CALLER_ID_SEPARATORS = re.compile(r"[ .()/-]+", re.ASCII)
DIAL_PREFIX_MAX_LENGTH: Final = 16
_DIAL_PREFIX = re.compile(r"[0-9]+", re.ASCII)


def normalize_caller_id_number(value: object) -> str:
    """A caller ID number as typed ("+1 415 555 9999") in its stored form ("+14155559999").

    Spaces, dots, dashes, slashes and parentheses between digits are dropped; what remains must
    pass `validate_caller_id_number`. The one rule for trunks and campaigns, admin and API.
    """
    text = _require_str(value, "caller ID number")
    # Only the separators people type are dropped: a newline or tab is refused, never trimmed.
    return validate_caller_id_number(_CALLER_ID_SEPARATORS.sub("", text))


def validate_dial_prefix(value: object) -> str:
    """Return a trunk's dial prefix (ASCII digits, up to 16) or raise."""
    text = _require_str(value, "dial prefix")
    if len(text) > DIAL_PREFIX_MAX_LENGTH:
        raise DialstringError(f"dial prefix is longer than {DIAL_PREFIX_MAX_LENGTH} characters")
    if not _DIAL_PREFIX.fullmatch(text):
        raise DialstringError("dial prefix may contain only the digits 0-9")
    return text


def validate_caller_id_name(value: object) -> str:
    """Return a caller ID name (ASCII letters, digits, `.` `_` `-`, single spaces) or raise."""
    text = _require_str(value, "caller ID name")
    if not text:
        raise DialstringError("caller ID name is empty")
    if len(text) > CALLER_ID_NAME_MAX_LENGTH:
        raise DialstringError(
            f"caller ID name is longer than {CALLER_ID_NAME_MAX_LENGTH} characters"
        )
    if not _CALLER_ID_NAME.fullmatch(text):
        raise DialstringError(
            "caller ID name may contain only letters, digits, . _ - and single spaces between words"
        )
    return text


def _validate_token(value: object, what: str) -> str:
    text = _require_str(value, what)
    if not text:
        raise DialstringError(f"{what} is empty")
    if len(text) > TOKEN_MAX_LENGTH:
        raise DialstringError(f"{what} is longer than {TOKEN_MAX_LENGTH} characters")
    if not _TOKEN.fullmatch(text):
        raise DialstringError(
            f"{what} may contain only letters, digits, . _ - and must start with a letter or digit"
        )
    return text


def validate_gateway(value: object) -> str:
    """Return a sofia gateway name or raise."""
    return _validate_token(value, "gateway name")


def validate_sip_user(value: object) -> str:
    """Return a SIP user part (as in user/<user>@<domain>) or raise."""
    return _validate_token(value, "SIP user")


def validate_sip_profile(value: object) -> str:
    """Return a sofia profile name or raise."""
    return _validate_token(value, "SIP profile")


def validate_sip_domain(value: object) -> str:
    """Return a SIP domain: a DNS host name or an IPv4 address (IPv6 is not accepted)."""
    text = _require_str(value, "SIP domain")
    if not text:
        raise DialstringError("SIP domain is empty")
    if len(text) > DOMAIN_MAX_LENGTH:
        raise DialstringError(f"SIP domain is longer than {DOMAIN_MAX_LENGTH} characters")
    labels = text.split(".")
    if all(label.isascii() and label.isdigit() for label in labels):
        try:
            ipaddress.IPv4Address(text)
        except ValueError:
            raise DialstringError("SIP domain is not a valid IPv4 address") from None
        return text
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise DialstringError("SIP domain must be a host name or an IPv4 address")
    return text


def validate_uuid(value: object) -> str:
    """Return a FreeSWITCH uuid in canonical lowercase form (a `uuid.UUID` is accepted) or raise."""
    if isinstance(value, uuid.UUID):
        return str(value)
    text = _require_str(value, "uuid")
    if not _UUID.fullmatch(text):
        raise DialstringError("uuid must be 36 lowercase hex characters in 8-4-4-4-12 form")
    return text


def validate_var_name(value: object) -> str:
    """Return a channel variable name (ASCII letter or _, then letters, digits, _) or raise."""
    text = _require_str(value, "variable name")
    if not text:
        raise DialstringError("variable name is empty")
    if len(text) > VAR_NAME_MAX_LENGTH:
        raise DialstringError(f"variable name is longer than {VAR_NAME_MAX_LENGTH} characters")
    if not _VAR_NAME.fullmatch(text):
        raise DialstringError("variable name may contain only letters, digits and _")
    return text


def validate_var_value(value: object) -> str:
    """Return a channel variable value for our own variables (a strict charset) or raise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = _require_str(value, "variable value")
    if not text:
        raise DialstringError("variable value is empty")
    if len(text) > VAR_VALUE_MAX_LENGTH:
        raise DialstringError(f"variable value is longer than {VAR_VALUE_MAX_LENGTH} characters")
    if not _VAR_VALUE.fullmatch(text):
        raise DialstringError("variable value may contain only letters, digits and _ . @ + / -")
    return text


def render_uuid_kill(call_uuid: object, cause: object = "NORMAL_CLEARING") -> str:
    """`uuid_kill <uuid> <cause>` with both parts through their grammars (a supervisor hangs
    up one call)."""
    return f"uuid_kill {validate_uuid(call_uuid)} {validate_hangup_cause(cause)}"


def validate_hangup_cause(value: object) -> str:
    """Return a FreeSWITCH hangup cause name (from its fixed list) or raise."""
    text = _require_str(value, "hangup cause")
    if text not in HANGUP_CAUSES:
        raise DialstringError("hangup cause is not a FreeSWITCH cause name")
    return text


# --- Extension notation ------------------------------------------------------------------------

# How phones, CRMs and spreadsheets write an extension after a number: "415.555.0103;204",
# ";ext=204" (RFC 3966), "#22", "x204", "ext 204", "ext. 204", "Ext: 301", "extn 204",
# "extension 204", the phone's pause "p" and wait "w", and commas. The main number must end in a
# digit or ")" so that a vanity number's letters ("1-800-TAXI") never split it; the first marker
# after it ends it. Whatever follows is the extension, all of it, or the input is refused.
_SUFFIX = re.compile(
    r"(?P<number>[^,;#]*?[0-9)])\s*"
    r"(?P<marker>;\s*(?:ext\s*=)?|\#|(?:extension|extn|ext|x)\.?\s*[:#=]?|[,pPwW])"
    r"\s*(?P<ext>.*)",
    re.ASCII | re.I | re.S,
)
# A marker written at the start of the extension column ("ext. 204", "x204").
_EXT_PREFIX = re.compile(r"(?:;?\s*ext\s*=|extension|extn|ext|x)\.?\s*[:#=]?\s*", re.ASCII | re.I)
_PHONE_PAUSES = str.maketrans({"p": ",", "P": ",", "w": ",", "W": ","})
_NOT_AN_EXTENSION = (
    "the text after the number is not an extension (0-9 * # A-D, with commas or p/w pauses)"
)


def split_extension(raw: object) -> tuple[str, str]:
    """Split a number written with its extension into (number as written, stored extension).

    In a number, `,` `p` and `w` are a phone's pauses and each is stored as one comma (whose
    length is the campaign's setting): "4008001234,,567" gives ("4008001234", ",,567"), and
    "4008001234p567" gives ("4008001234", ",567"). A word, `;` or `#` marker is dropped:
    "415 555 0111 #22" gives ("415 555 0111", "22"). Without a suffix the extension is "".
    A suffix that is not an extension is refused with the reason, never dropped.
    """
    text = _require_str(raw, "number").strip()
    match = _SUFFIX.fullmatch(text)
    if not match:
        if text and text[-1] in ",;#":
            raise DialstringError("an extension marker ends the number but no digits follow")
        return text, ""
    marker, body = match.group("marker"), match.group("ext").strip()
    pause = marker in ",pPwW"
    extension = ("," if pause else "") + body.translate(_PHONE_PAUSES)
    if not extension or (not pause and not body):
        raise DialstringError("an extension marker ends the number but no digits follow")
    if not _EXTENSION.fullmatch(extension):
        raise DialstringError(_NOT_AN_EXTENSION)
    return match.group("number").rstrip(), validate_extension(extension)


def normalize_extension(raw: object) -> str:
    """The extension column as stored: an optional "ext"/"x" marker dropped, `p` a comma."""
    text = _require_str(raw, "extension").strip()
    text = _EXT_PREFIX.sub("", text, count=1) if _EXT_PREFIX.match(text) else text
    return validate_extension(text.replace("p", ",").replace("P", ","))


# --- Prompts, tones and DTMF timing ---------------------------------------------------------

# FreeSWITCH sends queued RFC 2833 digits one every tone length plus 280 ms (end packets and the
# inter-digit gap): `send_dtmf:12345@200` puts a digit on the wire every 480 ms (capture 34).
DTMF_INTERDIGIT_MS: Final = 280
PROMPT_MAX_LENGTH: Final = 200
TONE_MAX_LOOPS: Final = 20

_TONE_PROMPT = re.compile(
    r"tone:(?P<on>[0-9]{1,5})/(?P<off>[0-9]{1,5})/(?P<f1>[0-9]{2,4})(?:\+(?P<f2>[0-9]{2,4}))?"
    r"(?:x(?P<loops>[0-9]{1,2}))?",
    re.ASCII,
)
_FILE_SEGMENT = r"[A-Za-z0-9_.-]+"
_FILE_PROMPT = re.compile(
    rf"file:(?P<path>/?{_FILE_SEGMENT}(?:/{_FILE_SEGMENT})*\.(?:wav|mp3|ogg|flac|gsm))", re.ASCII
)


def validate_prompt(value: object) -> str:
    """Return a campaign prompt: `tone:<on>/<off>/<hz>[+<hz>][x<loops>]` or `file:<path>`.

    A tone is on/off milliseconds (10 to 10000) at one or two frequencies (20 to 4000 Hz),
    repeated `loops` times (1 to 20, default 1). A file is a sound path (absolute, or relative to
    FreeSWITCH's sounds directory) of letters, digits, `_ . -` segments, never `..`, ending in
    .wav/.mp3/.ogg/.flac/.gsm. Nothing else: the value is rendered into an inline dialplan.
    """
    text = _require_str(value, "prompt")
    if not text:
        raise DialstringError("prompt is empty")
    if len(text) > PROMPT_MAX_LENGTH:
        raise DialstringError(f"prompt is longer than {PROMPT_MAX_LENGTH} characters")
    tone = _TONE_PROMPT.fullmatch(text)
    if tone:
        for part in ("on", "off"):
            if not 10 <= int(tone.group(part)) <= 10_000:
                raise DialstringError("tone on/off times must be 10 to 10000 ms")
        for part in ("f1", "f2"):
            if tone.group(part) is not None and not 20 <= int(tone.group(part)) <= 4000:
                raise DialstringError("tone frequencies must be 20 to 4000 Hz")
        loops = tone.group("loops")
        if loops is not None and not 1 <= int(loops) <= TONE_MAX_LOOPS:
            raise DialstringError(f"tone loops must be 1 to {TONE_MAX_LOOPS}")
        return text
    path = _FILE_PROMPT.fullmatch(text)
    if path:
        if any(segment in (".", "..") for segment in path.group("path").split("/")):
            raise DialstringError("prompt file path may not contain . or .. segments")
        return text
    raise DialstringError(
        "prompt must be tone:<on>/<off>/<hz>[+<hz>][x<loops>] or file:<path>.<wav|mp3|ogg|flac|gsm>"
    )


def render_prompt(value: str) -> str:
    """The `playback` argument for a prompt that passed `validate_prompt`."""
    text = validate_prompt(value)
    tone = _TONE_PROMPT.fullmatch(text)
    if tone:
        freqs = tone.group("f1") + (f",{tone.group('f2')}" if tone.group("f2") else "")
        loops = int(tone.group("loops") or 1)
        return f"tone_stream://%({tone.group('on')},{tone.group('off')},{freqs});loops={loops}"
    return text.removeprefix("file:")


def prompt_length_ms(value: str) -> int | None:
    """How long a tone prompt plays (None for a file: its length is not known here)."""
    tone = _TONE_PROMPT.fullmatch(validate_prompt(value))
    if not tone:
        return None
    loops = int(tone.group("loops") or 1)
    return (int(tone.group("on")) + int(tone.group("off"))) * loops


def dtmf_length_ms(dtmf: str) -> int:
    """How long FreeSWITCH takes to send a DTMF string in full (tones, gaps and w/W pauses).

    Every tone costs its length plus DTMF_INTERDIGIT_MS (capture 34: 480 ms per `@200` digit,
    the last one's end packets included), `w` 500 ms and `W` 1000 ms.
    """
    total = 0
    for group in validate_dtmf(dtmf).split("+"):
        digits, _, ms = group.partition("@")
        duration = int(ms) if ms else 250  # FreeSWITCH's default tone length without @<ms>
        for char in digits:
            if char == "w":
                total += 500
            elif char == "W":
                total += 1000
            else:
                total += duration + DTMF_INTERDIGIT_MS
    return total


def render_proxy_leg(profile: object, user: object, host: object, port: object,
                     transport: object = "udp") -> str:
    """The agent's leg through a SIP proxy: `sofia/<profile>/<user>@<host>:<port>` (with
    `;transport=tcp` when the node reaches the proxy over TCP). The proxy looks the agent up and
    relays over the agent's own connection, so any node can call an agent registered there."""
    number = port
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number < 65536:
        raise DialstringError("proxy port must be a whole number from 1 to 65535")
    if transport not in ("udp", "tcp"):
        raise DialstringError("proxy transport must be udp or tcp")
    leg = (f"sofia/{validate_sip_profile(profile)}/{validate_sip_user(user)}"
           f"@{validate_sip_domain(host)}:{number}")
    return leg + (";transport=tcp" if transport == "tcp" else "")
