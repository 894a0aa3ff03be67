"""Property: whatever a grammar accepts, rendered, holds no ESL or dial-string metacharacter."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from telephony.dialstring import (
    ESL_METACHARACTERS,
    DialstringError,
    render_dtmf,
    split_extension,
    validate_caller_id_name,
    validate_caller_id_number,
    validate_dtmf,
    validate_e164,
    validate_extension,
    validate_gateway,
    validate_hangup_cause,
    validate_sip_domain,
    validate_sip_user,
    validate_uuid,
    validate_var_name,
    validate_var_value,
)

# Printable ASCII plus the characters that attack ESL, and unicode digits and letters.
ALPHABET = st.sampled_from(
    list("0123456789+*#ABCDwWabcxyz .-_@/")
    + sorted(ESL_METACHARACTERS)
    + ["١", "５", "é", "\u2028"]
)
TEXT = st.text(alphabet=ALPHABET, max_size=40) | st.text(max_size=40)

VALIDATORS = [
    validate_e164,
    validate_dtmf,
    validate_caller_id_number,
    validate_caller_id_name,
    validate_gateway,
    validate_sip_user,
    validate_sip_domain,
    validate_uuid,
    validate_var_name,
    validate_var_value,
    validate_hangup_cause,
]


def assert_clean(rendered: str, *, space_allowed: bool = False) -> None:
    assert not ESL_METACHARACTERS & set(rendered), rendered
    assert rendered.isascii() and rendered.isprintable(), rendered
    if not space_allowed:
        assert " " not in rendered, rendered


@settings(max_examples=400, deadline=None)
@given(value=TEXT)
def test_no_accepted_value_contains_a_metacharacter(value):
    for validate in VALIDATORS:
        try:
            rendered = validate(value)
        except DialstringError:
            continue
        assert_clean(rendered, space_allowed=validate is validate_caller_id_name)


@settings(max_examples=300, deadline=None)
@given(value=TEXT)
def test_an_accepted_extension_holds_no_metacharacter_but_its_commas(value):
    try:
        stored = validate_extension(value)
    except DialstringError:
        return
    assert not (ESL_METACHARACTERS - {","}) & set(stored), stored
    if stored:
        assert_clean(render_dtmf(stored, duration_ms=100))


@settings(max_examples=300, deadline=None)
@given(
    value=TEXT,
    duration=st.integers(min_value=50, max_value=2000),
    pause=st.integers(min_value=0, max_value=5000),
)
def test_rendered_dtmf_contains_no_metacharacter(value, duration, pause):
    try:
        rendered = render_dtmf(value, duration_ms=duration, pause_ms=pause)
    except DialstringError:
        return
    assert_clean(rendered)
    assert validate_dtmf(rendered) == rendered


@settings(max_examples=300, deadline=None)
@given(number=st.from_regex(r"\A[0-9]{10}\Z"), suffix=TEXT)
def test_a_split_extension_never_carries_a_metacharacter_once_rendered(number, suffix):
    try:
        _, extension = split_extension(number + suffix)
    except DialstringError:
        return
    # A stored extension keeps its commas (the phone's pause, exact); what reaches ESL is
    # the rendered DTMF, where each comma became FreeSWITCH pauses.
    assert not (ESL_METACHARACTERS - {","}) & set(extension), extension
    if extension:
        assert_clean(render_dtmf(extension, duration_ms=100))
