"""Agents (SIP users who take the connected calls) and their groups."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from telephony import dialstring

DEFAULT_PAUSE_CODES = "Break\nLunch\nTraining\nMeeting\nComfort break"


class AgentGroup(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    pause_codes = models.TextField(
        default=DEFAULT_PAUSE_CODES, blank=True,
        help_text="The reasons an agent of this group may pause for, one per line (the agent "
        "page offers them as a list; statistics add up pauses by them). Empty: any reason.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def pause_code_list(self) -> list[str]:
        """The group's pause codes, in order, without blanks or repeats."""
        seen: dict[str, str] = {}  # lower-cased -> as first written: "lunch" repeats "Lunch"
        for line in self.pause_codes.splitlines():
            if line.strip():
                seen.setdefault(line.strip()[:200].lower(), line.strip()[:200])
        return list(seen.values())


class Agent(models.Model):
    """A person at a softphone registered as <sip_user>@<sip_domain> on some node."""

    name = models.CharField(max_length=100)
    sip_user = models.CharField(max_length=64)
    sip_domain = models.CharField(max_length=253)
    group = models.ForeignKey(AgentGroup, on_delete=models.PROTECT, related_name="agents")
    enabled = models.BooleanField(default=True)
    wrapup_seconds = models.PositiveIntegerField(default=5)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="agent", help_text="The login that opens this agent's page (/agent/)")
    # Penalties when the agent's phone fails a call, as mod_callcenter's agent settings: the
    # agent is not routable for the delay; `max_no_answer` missed rings in a row put it on break.
    reject_delay_seconds = models.PositiveIntegerField(
        default=10, help_text="Not routable this long after the phone rejected a call (603)")
    busy_delay_seconds = models.PositiveIntegerField(
        default=60, help_text="Not routable this long after the phone answered busy (486, DND)")
    no_answer_delay_seconds = models.PositiveIntegerField(
        default=60, help_text="Not routable this long after a call rang out unanswered")
    max_no_answer = models.PositiveIntegerField(
        default=3, help_text="Missed calls in a row that put the agent on break (0 = never)")
    no_answer_count = models.PositiveIntegerField(default=0, editable=False)
    penalty_reason = models.CharField(max_length=64, blank=True, editable=False)
    penalty_until = models.DateTimeField(null=True, blank=True, editable=False)
    misconfigured = models.CharField(
        max_length=200, blank=True,
        help_text="Why calls to this agent cannot work (set by the dialer, e.g. "
        "SUBSCRIBER_ABSENT); a misconfigured agent is never routed to. Clear it once fixed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["sip_user", "sip_domain"], name="agent_sip_identity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.sip_user}@{self.sip_domain}>"

    def clean(self) -> None:
        """The SIP identity reaches the bridge string: check it against its grammars."""
        errors: dict[str, list[str]] = {}
        for field, grammar in (
            ("sip_user", dialstring.validate_sip_user),
            ("sip_domain", dialstring.validate_sip_domain),
        ):
            try:
                grammar(getattr(self, field))
            except ValueError as exc:
                errors[field] = [str(exc)]
        if errors:
            raise ValidationError(errors)

    @property
    def presence_key(self) -> str:
        """The agent's identity in the presence store: user@domain."""
        return f"{self.sip_user}@{self.sip_domain}"
