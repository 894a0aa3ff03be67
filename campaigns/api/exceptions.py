"""API errors beyond DRF's own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler


class Conflict(APIException):
    """409: the request is valid but the object's current state forbids it."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object's current state does not allow this."
    default_code = "conflict"

    def __init__(self, message: str, code: str) -> None:
        # The body names the rule broken, so a client can branch on `code` without parsing prose.
        super().__init__({"detail": message, "code": code})


class PayloadTooLarge(APIException):
    """413: the request body is larger than API_MAX_BODY_BYTES."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def body_limit_message() -> str:
    """The 413 message, naming the limit and what fits in it."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return (
        f"The request body is larger than {limit // (1024 * 1024)} MB ({limit} bytes, "
        "API_MAX_BODY_BYTES); send at most 10,000 rows per bulk request, or upload a file."
    )


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus JSON answers for Django's request-size guards (else bare HTML)."""
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge({"detail": body_limit_message(), "code": "too_large"})
    elif isinstance(exc, TooManyFieldsSent):
        exc = ParseError("The form has too many fields.")
    return exception_handler(exc, context)
