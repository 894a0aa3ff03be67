"""Django-side validation: phone number normalisation (phonenumbers) and field validators.

Every value that leaves here for ESL has also passed the strict grammar in `telephony.dialstring`:
phonenumbers decides what a user meant ("(212) 555-0100" in the US), the grammar decides what may
be written into a command ("+12125550100").
"""

from __future__ import annotations

import zoneinfo
from functools import cache, lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from phonenumbers import timezone as number_timezones

from telephony import dialstring


class NumberError(ValueError):
    """A number that is not a dialable phone number; the message is fixed."""


@cache
def time_zone_names() -> frozenset[str]:
    """IANA time zone names known to this machine."""
    return frozenset(zoneinfo.available_timezones())


def normalize_number(raw: str, region: str) -> str:
    """Return the E.164 form of `raw`, read as a national number of `region` unless it has +."""
    return normalize_number_with_zone(raw, region)[0]


@lru_cache(maxsize=65_536)  # a file lists one main line many times, once per extension
def normalize_number_with_zone(raw: str, region: str) -> tuple[str, str]:
    """Return (E.164, the number's own IANA zone or "") for `raw` read in `region`.

    One parse and one number-type lookup serve both the validity check and the zone: the
    import spends most of its time here, and phonenumbers' own helpers would repeat both.
    """
    text = raw.strip()
    if not text:
        raise NumberError("number is empty")
    if not text.isascii():
        # phonenumbers reads Arabic-Indic and full-width digits; we accept only what the
        # grammar accepts, so a lookalike never becomes a different number silently.
        raise NumberError("number may contain only ASCII digits and + ( ) . - spaces")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise NumberError("not a phone number") from None
    if parsed.extension:
        # phonenumbers found an extension our notation did not: refuse rather than drop it.
        raise NumberError("the number holds an extension in a notation we cannot read")
    national = phonenumbers.national_significant_number(parsed)
    written = phonenumbers.normalize_digits_only(
        phonenumbers.convert_alpha_characters_in_number(text)
    )
    if not written.endswith(national):
        # phonenumbers skips trailing text it cannot read ("415 555 0100 1234" may parse):
        # every digit after the main number must be part of the extension, never lost.
        raise NumberError("text after the number is neither part of it nor an extension")
    kind = phonenumbers.number_type(parsed)  # UNKNOWN exactly when is_valid_number is False
    if kind == phonenumbers.PhoneNumberType.UNKNOWN:
        raise NumberError("not a valid phone number")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    try:
        dialstring.validate_e164(e164)
    except dialstring.DialstringError as exc:
        raise NumberError(str(exc)) from None
    if phonenumbers.is_number_type_geographical(kind, parsed.country_code):
        zones = number_timezones.time_zones_for_geographical_number(parsed)
    else:
        zones = number_timezones._country_level_time_zones_for_number(parsed)
    return e164, _one_zone(zones)


def _one_zone(zones: tuple[str, ...] | list[str]) -> str:
    """The zone when there is exactly one known zone, else "" (the campaign's zone applies)."""
    if len(zones) == 1 and zones[0] in time_zone_names():
        return zones[0]
    return ""


def parse_number_and_extension(raw_number: str, raw_extension: str, region: str) -> tuple[str, str]:
    """Split "number;567" notations, normalise the number, validate the extension.

    An extension may come in its own field or inside the number, not both.
    """
    number, extension, _zone = parse_target(raw_number, raw_extension, region)
    return number, extension


def parse_target(raw_number: str, raw_extension: str, region: str) -> tuple[str, str, str]:
    """(E.164 number, extension, the number's zone or "") from what a user wrote.

    The extension may come inside the number (any notation `dialstring.split_extension`
    reads) or in its own field; both is refused unless they agree.
    """
    number_part, embedded = dialstring.split_extension(raw_number)
    extension = dialstring.normalize_extension(raw_extension)
    if embedded and extension and embedded != extension:
        raise dialstring.DialstringError("extension given both in the number and on its own")
    number, zone = normalize_number_with_zone(number_part, region)
    return number, embedded or extension, zone


def timezone_for_number(e164: str) -> str:
    """The one IANA zone of an E.164 number, or "" when unknown or ambiguous.

    A number whose prefix spans several zones (a Russian mobile, a US toll-free number) gets no
    zone of its own: the campaign's zone applies, a deliberate and documented fallback.
    """
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    return _one_zone(number_timezones.time_zones_for_number(parsed))


def grammar_validator(grammar):
    """Wrap a telephony grammar as a Django field validator (blank values are not checked)."""

    def validate(value: str) -> None:
        if value == "":
            return
        try:
            grammar(value)
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from None

    validate.__name__ = f"validate_{grammar.__name__}"
    return validate


def validate_time_zone(value: str) -> None:
    """Django validator: an IANA time zone name."""
    if value not in time_zone_names():
        raise ValidationError("Unknown time zone; use an IANA name such as Europe/Berlin.")


def validate_region(value: str) -> None:
    """Django validator: a region phonenumbers knows (ISO 3166 alpha-2)."""
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError("Unknown region; use an ISO 3166 code such as US or DE.")
