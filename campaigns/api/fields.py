"""Serializer fields whose values are checked by telephony.dialstring, the one grammar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from telephony import dialstring
from telephony.config import validate_esl_host, validate_esl_password, validate_node_name


class GrammarField(serializers.CharField):
    """A string that must pass (and is normalised by) one grammar from telephony.dialstring."""

    def __init__(self, grammar: Callable[[str], str], **kwargs: Any) -> None:
        self.grammar = grammar
        # What the client sent is what the grammar judges: no silent trimming of a hostile "\n".
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value: str = super().to_internal_value(data)
        if value == "" and self.allow_blank:
            return value
        try:
            return self.grammar(value)
        except ValueError as exc:  # DialstringError is a ValueError with an exact message
            raise serializers.ValidationError(str(exc), code="invalid") from exc


def NumberField(**kwargs: Any) -> GrammarField:
    return GrammarField(dialstring.validate_e164, **kwargs)


def ExtensionField(**kwargs: Any) -> GrammarField:
    return GrammarField(dialstring.validate_extension, **kwargs)


def CallerIdNumberField(**kwargs: Any) -> GrammarField:
    # Normalised like the admin stores it: "+1 415 555 9999" -> "+14155559999".
    return GrammarField(dialstring.normalize_caller_id_number, **kwargs)


def CallerIdNameField(**kwargs: Any) -> GrammarField:
    return GrammarField(dialstring.validate_caller_id_name, **kwargs)


def PromptField(**kwargs: Any) -> GrammarField:
    return GrammarField(dialstring.validate_prompt, **kwargs)


def GatewayField(**kwargs: Any) -> GrammarField:
    return GrammarField(dialstring.validate_gateway, **kwargs)


def SipUserField(**kwargs: Any) -> GrammarField:
    return GrammarField(dialstring.validate_sip_user, **kwargs)


def SipDomainField(**kwargs: Any) -> GrammarField:
    return GrammarField(dialstring.validate_sip_domain, **kwargs)


def SipProfileField(**kwargs: Any) -> GrammarField:
    return GrammarField(dialstring.validate_sip_profile, **kwargs)


def DialPrefixField(**kwargs: Any) -> GrammarField:
    return GrammarField(dialstring.validate_dial_prefix, **kwargs)


def NodeNameField(**kwargs: Any) -> GrammarField:
    return GrammarField(validate_node_name, **kwargs)


def HostField(**kwargs: Any) -> GrammarField:
    return GrammarField(validate_esl_host, **kwargs)


def EslPasswordField(**kwargs: Any) -> GrammarField:
    kwargs.setdefault("style", {"input_type": "password"})
    return GrammarField(validate_esl_password, **kwargs)


DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@extend_schema_field({"oneOf": [
    {"type": "integer", "minimum": 0, "maximum": 127},
    {"type": "array", "maxItems": 7, "items": {"oneOf": [
        {"type": "string", "example": "mon"}, {"type": "integer", "minimum": 1, "maximum": 7}]}},
]})
class WeekdaysField(serializers.Field):
    """A campaign's weekdays: the bit mask (bit 0 = Monday), or a list of days, each a name
    (`"mon"`, `"Monday"`) or an ISO number (1 = Monday ... 7 = Sunday). Read back as the mask."""

    default_error_messages = {
        "invalid": "A bit mask from 0 to 127, or a list of days: names (mon, Tuesday, ...) "
                   "or ISO numbers (1 = Monday ... 7 = Sunday).",
        "day": "{day!r} is not a day: use mon ... sun, Monday ... Sunday or 1 ... 7.",
    }

    def to_representation(self, value: int) -> int:
        return value

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            if not 0 <= data <= 0b1111111:
                self.fail("invalid")
            return data
        if not isinstance(data, list) or len(data) > 7:
            self.fail("invalid")
        mask = 0
        for day in data:
            mask |= 1 << self._day_index(day)
        return mask

    def _day_index(self, day: Any) -> int:
        if isinstance(day, int) and not isinstance(day, bool) and 1 <= day <= 7:
            return day - 1
        if isinstance(day, str) and len(day) <= 12:
            text = day.strip().lower()
            if text.isascii() and text.isdigit() and len(text) == 1 and "1" <= text <= "7":
                return int(text) - 1
            for index, name in enumerate(DAY_NAMES):
                if len(text) >= 3 and name.startswith(text):
                    return index
        self.fail("day", day=str(day)[:20])
        raise AssertionError  # fail() raises
