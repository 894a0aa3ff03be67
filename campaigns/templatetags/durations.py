"""`{{ seconds|duration }}`: a span of time as people read it, never "3671.25 s"."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """45 s, 4 min 12 s, 1 h 01 min (hours drop the seconds); a dash for no value."""
    if seconds is None or seconds == "":
        return "\u2013"  # an en dash, as the dashboard shows a missing figure
    total = round(float(seconds))
    if total < 60:
        return f"{total} s"
    if total < 3600:
        minutes, rest = divmod(total, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(total, 3600)
    return f"{hours} h {rest // 60:02d} min"
