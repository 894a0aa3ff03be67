"""Supervisor actions outside a campaign's own audit (agents paused, calls hung up).

They go to the admin's log (django.contrib.admin LogEntry, "Recent actions" and each object's
history): who, what, when and why, readable where supervisors already look.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry


def audit(user: Any, obj: Any, message: str) -> None:
    """Record that `user` acted on `obj`, with the reason in `message`."""
    LogEntry.objects.log_actions(user_id=user.pk, queryset=[obj], action_flag=CHANGE,
                                 change_message=message[:500], single_object=True)
