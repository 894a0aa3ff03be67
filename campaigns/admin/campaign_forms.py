"""The campaign admin's forms: setup (times in the campaign's zone), lead recycling, import."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.utils import timezone

from campaigns.models import (
    Campaign,
    Outcome,
)
from campaigns.models.campaign import WEEKDAYS_MON_FRI
from campaigns.services import lifecycle
from campaigns.validators import time_zone_names

WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]

ZONE_NOTE = "in the campaign's time zone"
LOCAL_TIMES = ("starts_at", "ends_at")


class CampaignForm(forms.ModelForm):
    """Weekdays as seven checkboxes (defaulting to the model's Mon-Fri), the time zone as a
    picker of IANA names, and every time read and shown in the campaign's own time zone."""

    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Days on which the daily window opens (the day it starts, for night windows)",
    )
    timezone = forms.ChoiceField(
        choices=[],
        initial="UTC",
        help_text="IANA time zone: the daily window and the start and end dates are read in it",
    )

    class Meta:
        model = Campaign
        fields = "__all__"
        labels = {
            "starts_at": f"Starts at ({ZONE_NOTE})",
            "ends_at": f"Ends at ({ZONE_NOTE})",
            "daily_start": f"Daily start ({ZONE_NOTE})",
            "daily_end": f"Daily end ({ZONE_NOTE})",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(name, name) for name in sorted(time_zone_names())]
        mask = self.initial.get("weekdays")
        if not isinstance(mask, int):
            mask = WEEKDAYS_MON_FRI  # the model's default reaches the "Add campaign" form
        self.initial["weekdays"] = [day for day, _ in WEEKDAYS if mask >> day & 1]
        zone = self._zone(self.initial.get("timezone") or "UTC")
        for name in LOCAL_TIMES:
            value = self.initial.get(name)
            if isinstance(value, dt.datetime) and timezone.is_aware(value):
                # Shown as wall-clock time in the campaign's zone, not the server's.
                self.initial[name] = timezone.make_naive(value, zone)

    @staticmethod
    def _zone(name: str) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(name if name in time_zone_names() else "UTC")

    def clean_weekdays(self) -> int:
        return sum(1 << day for day in self.cleaned_data.get("weekdays") or [])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        zone = self._zone(cleaned.get("timezone") or "UTC")
        current = timezone.get_current_timezone()
        for name in LOCAL_TIMES:
            value = cleaned.get(name)
            if isinstance(value, dt.datetime):
                # Django read the typed wall-clock time in the server's zone: read it again in
                # the campaign's, so 09:00 for a Tokyo campaign is 09:00 in Tokyo.
                wall = timezone.make_naive(value, current) if timezone.is_aware(value) else value
                cleaned[name] = wall.replace(tzinfo=zone)
        return cleaned


class RecycleForm(forms.Form):
    """Lead recycling: which finished outcomes or dispositions get another pass, and why; each
    choice says how many targets it would recycle now."""

    outcomes = forms.MultipleChoiceField(
        choices=[], required=False,
        widget=forms.CheckboxSelectMultiple,
        initial=[Outcome.NO_ANSWER, Outcome.BUSY],
        help_text="Targets whose last outcome is one of these go back to pending, with the "
        "campaign's full number of attempts again.",
    )
    dispositions = forms.MultipleChoiceField(
        choices=[], required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Targets with a call an agent disposed as one of these (e.g. wrong person) "
        "go back to pending too.",
    )
    reason = forms.CharField(
        max_length=200, required=False, label="Reason (for the audit trail)",
        widget=forms.TextInput(attrs={
            "class": "border border-base-300 rounded px-2 py-1 w-full max-w-xl",
            "placeholder": "e.g. second pass after the list was cleaned"}),
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        by_outcome, by_disposition = lifecycle.recyclable_counts(campaign)
        self.fields["outcomes"].choices = [
            (value, f"{Outcome(value).label} ({by_outcome.get(value, 0):,})")
            for value in lifecycle.RECYCLABLE_OUTCOMES]
        self.fields["dispositions"].choices = [
            (str(d.pk), f"{d.label} ({by_disposition.get(d.pk, 0):,})")
            for d in campaign.dispositions.order_by("position", "id")]


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV (, ; or tab separated) or XLSX")
    encoding = forms.ChoiceField(
        choices=[("utf-8", "UTF-8"), ("cp1252", "Windows-1252"), ("iso-8859-1", "ISO-8859-1")],
        initial="utf-8",
        required=False,
        help_text="A CSV's text encoding; a line that does not decode is reported by number",
    )
