"""drf-spectacular post-processing: make the schema say exactly what the API answers."""

from __future__ import annotations

from typing import Any

# "HH:MM[:SS[.ffffff]]" as DRF renders a TimeField. OpenAPI's format "time" is RFC 3339's
# full-time, which requires a UTC offset; campaign windows are wall-clock times in the
# campaign's own zone and carry none, so the schema names the pattern instead.
LOCAL_TIME = {
    "type": "string",
    "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$",
    "example": "09:00:00",
}


def local_times_without_offset(result: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
    """Replace every {"type": "string", "format": "time"} by the local-time pattern."""
    stack: list[Any] = [result]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("format") == "time" and item.get("type") == "string":
                del item["format"]
                item.update({k: v for k, v in LOCAL_TIME.items() if k not in item})
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return result
