"""Ids that arrive in a URL, a query string or a form: ASCII digits within the database's range.

`str.isdigit()` accepts "²" and "٣" (which `int()` then refuses or reads differently) and any
length (`int()` refuses more than 4,300 digits; PostgreSQL refuses more than a bigint), so every
id a user writes goes through `parse_id`, and URL patterns use the `id` converter below.
"""

from __future__ import annotations

MAX_ID = 2**63 - 1  # BigAutoField: PostgreSQL's bigint
MAX_ID_DIGITS = len(str(MAX_ID))


def parse_id(raw: object) -> int | None:
    """The id `raw` names (1 to MAX_ID, written in ASCII digits), or None for anything else."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 1 <= raw <= MAX_ID else None
    if not isinstance(raw, str) or not 0 < len(raw) <= MAX_ID_DIGITS:
        return None
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


class IdConverter:
    """`<id:name>` in a URL pattern: a path that is no valid id does not match (a 404)."""

    regex = f"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        parsed = parse_id(value)
        if parsed is None:
            raise ValueError(value)  # Django reads this as "no match"
        return parsed

    def to_url(self, value: int) -> str:
        return str(value)
