"""A JSON parser that refuses what PostgreSQL would refuse later, as a 400 instead of a 500."""

from __future__ import annotations

import codecs
import json
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding


def _reject_constant(name: str) -> Any:
    # NaN and Infinity are not JSON; Python accepts them but jsonb does not.
    raise ValueError(f"{name} is not valid JSON")


def _check_strings(data: Any) -> None:
    """Raise ValueError for a string that cannot be stored as UTF-8 (a lone surrogate)."""
    # Iterative, so a deeply nested document cannot exhaust the stack here either.
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            item.encode("utf-8")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


class StrictJSONParser(JSONParser):
    """JSON without NaN/Infinity, lone surrogates or stack-exhausting nesting."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        # Only text encodings: a bytes-to-bytes codec (charset=bz2_codec) would decompress the
        # body after its size was checked.
        encoding = get_encoding(parser_context)
        try:
            data = json.load(codecs.getreader(encoding)(stream), parse_constant=_reject_constant)
            _check_strings(data)
        except UnicodeError as exc:
            raise ParseError("JSON parse error - text is not valid UTF-8") from exc
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply") from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        return data
