"""Serializer fields whose values are checked by telephony.dialstring, the one grammar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
