"""Trunks (carrier gateways) and FreeSWITCH nodes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from telephony import dialstring
from telephony.config import validate_esl_host, validate_node_name


def _check(errors: dict[str, list[str]], field: str, grammar, value: str) -> None:
    """Run one grammar on a non-blank value, collecting its exact message under the field."""
    if value == "":
        return
    try:
        grammar(value)
    except ValueError as exc:
        errors.setdefault(field, []).append(str(exc))


def _normalized(errors: dict[str, list[str]], field: str, normalize, value: str) -> str:
    """`normalize(value)`, or `value` unchanged with the grammar's message under the field."""
    if value == "":
        return value
    try:
        return normalize(value)
    except ValueError as exc:
        errors.setdefault(field, []).append(str(exc))
        return value


class Trunk(models.Model):
    """A carrier gateway, dialled as sofia/gateway/<gateway>/<prefix><number>."""

    name = models.CharField(max_length=100, unique=True)
    gateway = models.CharField(max_length=64, help_text="FreeSWITCH gateway name")
    dial_prefix = models.CharField(
        max_length=16, blank=True, help_text="Digits put before every number"
    )
    caller_id_number = models.CharField(max_length=32, blank=True)
    caller_id_name = models.CharField(max_length=64, blank=True)
    cps_limit = models.PositiveIntegerField(
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(10_000)],
        help_text="Calls per second this trunk accepts",
    )
    max_concurrent = models.PositiveIntegerField(
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text="Concurrent calls this trunk accepts",
    )
    enabled = models.BooleanField(default=True)
    misconfigured_on = models.JSONField(
        default=dict, blank=True,
        help_text="Nodes where FreeSWITCH refused this trunk (INVALID_GATEWAY, INVALID_PROFILE): "
        '{"NODE": {"cause": ..., "at": ...}}; the dialer does not use the trunk there. '
        "Remove a node once its gateway is fixed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Check the values that reach the dial string against their grammars; the caller ID
        is stored normalised ("+1 415 555 9999" becomes "+14155559999")."""
        errors: dict[str, list[str]] = {}
        _check(errors, "gateway", dialstring.validate_gateway, self.gateway)
        _check(errors, "dial_prefix", dialstring.validate_dial_prefix, self.dial_prefix)
        self.caller_id_number = _normalized(
            errors, "caller_id_number", dialstring.normalize_caller_id_number, self.caller_id_number
        )
        _check(errors, "caller_id_name", dialstring.validate_caller_id_name, self.caller_id_name)
        if errors:
            raise ValidationError(errors)


class Node(models.Model):
    """A FreeSWITCH server reached over its Event Socket. The password is write-only."""

    name = models.CharField(max_length=63, unique=True)
    esl_host = models.CharField(max_length=253)
    esl_port = models.PositiveIntegerField(
        default=8021, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    esl_password = models.CharField(max_length=128)
    sip_profile = models.CharField(max_length=64, default="internal")
    enabled = models.BooleanField(default=True)
    max_sessions = models.PositiveIntegerField(
        default=1000, validators=[MinValueValidator(1), MaxValueValidator(1_000_000)]
    )
    max_cps = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text="Calls per second; FreeSWITCH admits sessions-per-second minus one",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # never leak the password through a repr in a log line
        return f"<Node {self.name} {self.esl_host}:{self.esl_port}>"

    def clean(self) -> None:
        """Check name, host and profile with the same rules the node list uses."""
        errors: dict[str, list[str]] = {}
        _check(errors, "name", validate_node_name, self.name)
        _check(errors, "esl_host", validate_esl_host, self.esl_host)
        _check(errors, "sip_profile", dialstring.validate_sip_profile, self.sip_profile)
        if errors:
            raise ValidationError(errors)
