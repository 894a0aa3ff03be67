"""Property: whatever number+extension notation is accepted, no digit after the number is lost.

For any accepted input, the stored number plus the stored extension hold every digit the input
held after the main number, in order; what cannot be read that way is refused, never shortened.
"""

from __future__ import annotations

import re

import phonenumbers
from hypothesis import example, given, settings
from hypothesis import strategies as st

from campaigns.validators import NumberError, parse_target
from telephony.dialstring import DialstringError, render_dtmf

MAINS = {
    "415.555.0103": "+14155550103",
    "415 555 0111": "+14155550111",
    "(415) 555-0100": "+14155550100",
    "+1 415 555 0100": "+14155550100",
    "4155550100": "+14155550100",
    "+44 20 7946 0958": "+442079460958",
}
MARKERS = [
    ";ext=", ";", " #", "#", " x", "x", "X", " ext ", " ext. ", " Ext: ", " EXT", " extn ",
    " extension ", "p", "P", "w", "W", ",", ",,", " , ", " ", "-", "", "/", ";ext=;",
]
BODY = st.text(alphabet="0123456789*#ABCD,pPwW xX.-;:=()+/", max_size=14)
DIGITS = re.compile(r"[0-9]")


def digits(text: str) -> str:
    return "".join(DIGITS.findall(text))


def accepted(raw: str, extension_column: str = ""):
    try:
        return parse_target(raw, extension_column, "US")
    except (NumberError, DialstringError):
        return None


@settings(max_examples=600, deadline=None)
@given(main=st.sampled_from(sorted(MAINS)), marker=st.sampled_from(MARKERS), body=BODY)
@example(main="415.555.0103", marker=";", body="204")
@example(main="415 555 0111", marker=" #", body="22")
@example(main="4155550100", marker=" ", body="1234")
def test_every_digit_after_the_main_number_is_in_the_extension(main, marker, body):
    raw = main + marker + body
    parsed = accepted(raw)
    if parsed is None:
        return
    number, extension, _zone = parsed
    suffix_digits = digits(marker + body)
    if number == MAINS[main]:
        assert digits(extension) == suffix_digits, (raw, extension)
    else:
        # The suffix's digits lengthened the number itself: still none dropped.
        national = phonenumbers.national_significant_number(phonenumbers.parse(number))
        assert digits(raw).endswith(national + digits(extension)), (raw, number, extension)
    if extension:
        # And what is sent keeps them too: the rendered DTMF holds the same digits.
        assert digits(render_dtmf(extension, duration_ms=100).split("@")[0]) == digits(extension)


@settings(max_examples=300, deadline=None)
@given(main=st.sampled_from(sorted(MAINS)), tail=st.text(max_size=12))
def test_any_text_after_a_number_is_kept_whole_or_refused(main, tail):
    parsed = accepted(main + tail)
    if parsed is None:
        return
    number, extension, _zone = parsed
    if number == MAINS[main]:
        assert digits(extension) == digits(tail), (main + tail, extension)
