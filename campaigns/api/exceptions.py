"""API errors beyond DRF's own."""

from __future__ import annotations

from rest_framework import status
from rest_framework.exceptions import APIException


class Conflict(APIException):
    """409: the request is valid but the object's current state forbids it."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object's current state does not allow this."
    default_code = "conflict"

    def __init__(self, message: str, code: str) -> None:
        # The body names the rule broken, so a client can branch on `code` without parsing prose.
        super().__init__({"detail": message, "code": code})
