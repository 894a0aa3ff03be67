"""Numbers that must never be dialled."""

from __future__ import annotations

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
