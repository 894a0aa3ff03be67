"""Gateway names, SIP users, SIP profiles and SIP domains each pass a strict grammar."""

from __future__ import annotations

import pytest

from telephony.dialstring import (
    DialstringError,
    validate_gateway,
    validate_sip_domain,
    validate_sip_profile,
    validate_sip_user,
)

HOSTILE_TAILS = [
    "\n",
    "\r",
    ",x",
    "}",
    "{",
    "'",
    '"',
    " x",
    "&x",
    "|x",
    "^",
    "$x",
    "%",
    "١",
    "/x",
    "@x",
    ":x",
]


def token_cases(what: str):
    charset = (
        f"{what} may contain only letters, digits, . _ - and must start with a letter or digit"
    )
    cases = [
        ("", f"{what} is empty"),
        ("a" * 65, f"{what} is longer than 64 characters"),
        ("a" * 100_000, f"{what} is longer than 64 characters"),
        ("-carrier", charset),
        (".carrier", charset),
    ]
    cases += [("carrier" + tail, charset) for tail in HOSTILE_TAILS]
    return cases


VALIDATORS = [
    (validate_gateway, "gateway name"),
    (validate_sip_user, "SIP user"),
    (validate_sip_profile, "SIP profile"),
]


@pytest.mark.parametrize(("validate", "what"), VALIDATORS)
@pytest.mark.parametrize("value", ["carrier", "carrier-1", "gw.eu_2", "1000", "a" * 64])
def test_valid_gateway_user_and_profile_names_are_returned_unchanged(validate, what, value):
    assert validate(value) == value


@pytest.mark.parametrize(("validate", "what"), VALIDATORS)
def test_invalid_gateway_user_and_profile_names_are_refused_with_the_exact_message(validate, what):
    for value, message in token_cases(what):
        with pytest.raises(DialstringError) as caught:
            validate(value)
        assert str(caught.value) == message, value


DOMAIN = "SIP domain must be a host name or an IPv4 address"
VALID_DOMAINS = [
    "example.com",
    "sip.example.co.uk",
    "pbx-1.local",
    "localhost",
    "10.0.0.5",
    "127.0.0.1",
    "a" * 63 + ".com",
]
INVALID_DOMAINS = [
    ("", "SIP domain is empty"),
    ("a" * 254, "SIP domain is longer than 253 characters"),
    ("a." * 50_000, "SIP domain is longer than 253 characters"),
    ("256.0.0.1", "SIP domain is not a valid IPv4 address"),
    ("10.0.0", "SIP domain is not a valid IPv4 address"),
    ("::1", DOMAIN),
    ("[::1]", DOMAIN),
    ("-bad.example.com", DOMAIN),
    ("bad-.example.com", DOMAIN),
    ("example..com", DOMAIN),
    ("a" * 64 + ".com", DOMAIN),
    ("under_score.com", DOMAIN),
    ("ex\u0430mple.com", DOMAIN),
    ("١٢٣.com", DOMAIN),
] + [("example.com" + tail, DOMAIN) for tail in HOSTILE_TAILS]


@pytest.mark.parametrize("value", VALID_DOMAINS)
def test_valid_sip_domains_are_returned_unchanged(value):
    assert validate_sip_domain(value) == value


@pytest.mark.parametrize(("value", "message"), INVALID_DOMAINS)
def test_invalid_sip_domains_are_refused_with_the_exact_message(value, message):
    with pytest.raises(DialstringError) as caught:
        validate_sip_domain(value)
    assert str(caught.value) == message
