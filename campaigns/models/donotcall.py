"""Numbers that must never be dialled."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models


class DoNotCall(models.Model):
    number = models.CharField(max_length=20, unique=True, help_text="E.164, e.g. +14155550100")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number"]
        verbose_name = "do-not-call number"

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        """Store the number in E.164, the form targets are stored in, so lookups match."""
        from campaigns.validators import NumberError, normalize_number

        try:
            # No default region: a national number here would be a guess about the country.
            self.number = normalize_number(self.number or "", "ZZ")
        except NumberError as exc:
            raise ValidationError(
                {"number": [f"{exc}; write it in international form, e.g. +14155550100"]}
            ) from None
