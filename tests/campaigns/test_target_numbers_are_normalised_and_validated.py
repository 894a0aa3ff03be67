"""Numbers are normalised with the campaign's region, extensions split off, zones derived."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Target
from campaigns.validators import NumberError, normalize_number, timezone_for_number

NORMALISED = [
    ("(212) 555-0100", "US", "+12125550100"),
    ("212.555.0100", "US", "+12125550100"),
    ("+1 212 555 0100", "DE", "+12125550100"),
    ("030 123456", "DE", "+4930123456"),
    ("+49 30 123456", "US", "+4930123456"),
    ("4008001234", "CN", "+864008001234"),
]


@pytest.mark.parametrize(("raw", "region", "expected"), NORMALISED)
def test_numbers_are_normalised_to_e164_with_the_campaign_region(raw, region, expected):
    assert normalize_number(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "number is empty"),
        ("   ", "number is empty"),
        ("hello", "not a phone number"),
        ("123", "not a valid phone number"),
        ("+1 212 555 01000000", "not a valid phone number"),
        ("٢١٢٥٥٥٠١٠٠", "number may contain only ASCII digits and + ( ) . - spaces"),
        ("２１２５５５０１００", "number may contain only ASCII digits and + ( ) . - spaces"),
    ],
)
def test_numbers_that_are_not_dialable_are_refused_with_the_exact_message(raw, message):
    with pytest.raises(NumberError) as caught:
        normalize_number(raw, "US")
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("number", "zone"),
    [
        ("+12125550100", "America/New_York"),
        ("+14155550100", "America/Los_Angeles"),
        ("+4930123456", "Europe/Berlin"),
        ("+79161234567", ""),  # a Russian mobile spans eleven zones: the campaign's applies
        ("+18005550100", ""),  # US toll-free: no single zone
    ],
)
def test_a_targets_zone_is_derived_from_its_number_when_unambiguous(number, zone):
    assert timezone_for_number(number) == zone


def test_clean_splits_the_extension_normalises_and_derives_the_zone(campaign):
    target = Target(campaign=campaign, number="(212) 555-0100,,567")
    target.full_clean(exclude=["campaign"])
    assert (target.number, target.extension, target.timezone) == (
        "+12125550100",
        ",,567",
        "America/New_York",
    )


@pytest.mark.parametrize(
    ("number", "extension", "errors"),
    [
        ("12", "", {"number": ["not a valid phone number"]}),
        (
            "(212) 555-0100",
            "5;6",
            {"extension": ["extension may contain only 0-9 * # A-D, commas and w/W pauses"]},
        ),
        (
            "(212) 555-0100 x12",
            "34",
            {"extension": ["extension given both in the number and on its own"]},
        ),
    ],
)
def test_clean_reports_bad_numbers_and_extensions_by_field(campaign, number, extension, errors):
    target = Target(campaign=campaign, number=number, extension=extension)
    with pytest.raises(ValidationError) as caught:
        target.clean()
    assert caught.value.message_dict == errors


def test_a_campaign_refuses_caller_ids_and_zones_outside_their_grammars(campaign):
    campaign.caller_id_number = "555\napi status"
    campaign.caller_id_name = "ACME, Inc"
    campaign.timezone = "Mars/Olympus"
    campaign.default_region = "XX"
    with pytest.raises(ValidationError) as caught:
        campaign.full_clean()
    assert caught.value.message_dict == {
        "caller_id_number": ["caller ID number may contain only digits and a leading +"],
        "caller_id_name": [
            "caller ID name may contain only letters, digits, . _ - and single spaces between words"
        ],
        "timezone": ["Unknown time zone; use an IANA name such as Europe/Berlin."],
        "default_region": ["Unknown region; use an ISO 3166 code such as US or DE."],
    }


def test_trunks_agents_and_nodes_refuse_values_outside_their_grammars(trunk, group):
    from campaigns.models import Agent, Node

    trunk.gateway = "carrier}"
    trunk.dial_prefix = "9#"
    with pytest.raises(ValidationError) as caught:
        trunk.full_clean()
    assert caught.value.message_dict == {
        "gateway": [
            "gateway name may contain only letters, digits, . _ - and must start with a letter "
            "or digit"
        ],
        "dial_prefix": ["dial prefix may contain only the digits 0-9"],
    }
    agent = Agent(name="A", sip_user="1000 x", sip_domain="pbx..example", group=group)
    with pytest.raises(ValidationError) as caught:
        agent.full_clean()
    assert set(caught.value.message_dict) == {"sip_user", "sip_domain"}
    node = Node(name="fs1", esl_host="10.0.0.5", esl_password="s3cret", sip_profile="inter nal")
    with pytest.raises(ValidationError) as caught:
        node.full_clean()
    assert caught.value.message_dict == {
        "sip_profile": [
            "SIP profile may contain only letters, digits, . _ - and must start with a letter "
            "or digit"
        ]
    }
    assert "s3cret" not in str(caught.value)
