"""Call detail records: what FreeSWITCH's mod_json_cdr / mod_xml_cdr posted for each call leg."""

from __future__ import annotations

from django.db import models

from campaigns.models.attempts import CallAttempt


class CallLeg(models.TextChoices):
    TARGET = "target", "Callee"
    AGENT = "agent", "Agent"
    UNKNOWN = "", "Not tied to an attempt"


class CallDetailRecord(models.Model):
    """One leg's CDR, stored once per leg uuid whichever module or sweep delivered it first."""

    leg_uuid = models.UUIDField(unique=True, help_text="the leg's uuid (the post's ?uuid=)")
    attempt = models.ForeignKey(
        CallAttempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="call_details"
    )
    leg = models.CharField(max_length=8, choices=CallLeg.choices, blank=True, default="")
    source = models.CharField(max_length=16, help_text="json, xml, or a sweep of err-log-dir")
    core_uuid = models.CharField(max_length=64, blank=True)
    switchname = models.CharField(max_length=255, blank=True)
    call_uuid = models.CharField(max_length=64, blank=True)
    bridge_uuid = models.CharField(max_length=64, blank=True)
    hangup_cause = models.CharField(max_length=64, blank=True)
    hangup_cause_q850 = models.PositiveIntegerField(null=True, blank=True)
    sip_hangup_disposition = models.CharField(max_length=32, blank=True)
    originate_disposition = models.CharField(max_length=64, blank=True)
    dialstatus = models.CharField(max_length=64, blank=True)
    bridge_cause = models.CharField(
        max_length=64, blank=True, help_text="last_bridge_hangup_cause or bridge_hangup_cause"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    bridged_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    billsec = models.PositiveIntegerField(default=0)
    billmsec = models.PositiveBigIntegerField(default=0)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["call_uuid"], name="cdr_call_uuid_idx")]

    def __str__(self) -> str:
        return f"CDR {self.leg_uuid} ({self.hangup_cause})"
