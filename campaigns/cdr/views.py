"""POST /cdr/json and /cdr/xml: one leg's CDR per request, basic auth, idempotent by leg uuid.

Answers as FreeSWITCH needs: 200 when the leg is stored (or was already), 401 on wrong or missing
credentials, 400 for a body that is not a CDR (retrying it cannot help), 503 when the endpoint is
not configured or the database is unavailable: anything outside 200-299 makes the module retry
and then write the CDR to its err-log-dir, where `sweep_cdrs` picks it up. Never a 500. The
credentials come from the environment (CDR_USERNAME, CDR_PASSWORD or CDR_PASSWORD_FILE) and
never appear in a log line or a response.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from campaigns.services.call_path.cdr import record_leg, results_from_settings
from telephony.cdr import MAX_BODY_BYTES, CdrError, decode_post

log = logging.getLogger(__name__)


def _authorised(request: HttpRequest) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not settings.CDR_PASSWORD:
        return False
    try:
        user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    # Both compared in constant time, and both always compared.
    ok_user = hmac.compare_digest(user.encode(), settings.CDR_USERNAME.encode())
    ok_password = hmac.compare_digest(password.encode(), settings.CDR_PASSWORD.encode())
    return bool(sep) and ok_user and ok_password


def _text(status: int, message: str) -> HttpResponse:
    response = HttpResponse(message + "\n", status=status, content_type="text/plain")
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="switchboard-cdr"'
    return response


@csrf_exempt
@require_POST
def receive_cdr(request: HttpRequest, module: str) -> HttpResponse:
    """Store one leg's CDR from mod_json_cdr (`module="json"`) or mod_xml_cdr (`"xml"`)."""
    if not settings.CDR_PASSWORD:
        return _text(503, "CDR endpoint not configured")
    if not _authorised(request):
        log.warning("CDR post with wrong or missing credentials from %s",
                    request.META.get("REMOTE_ADDR", "?"))
        return _text(401, "unauthorised")
    length = request.META.get("CONTENT_LENGTH") or "0"
    # ASCII digits and a bounded length before int(): "²" passes isdigit() and int() refuses it.
    if not (length.isascii() and length.isdigit()) or len(length) > 12 or (
            int(length) > MAX_BODY_BYTES):
        return _text(400, "body too large")
    try:
        leg = decode_post(request.body, request.content_type or "", module)
    except CdrError as exc:
        return _text(400, f"not a CDR: {exc}")
    named = request.GET.get("uuid", "").removeprefix("a_").lower()
    if named and named != leg.uuid:
        return _text(400, "the uuid parameter does not match variables.uuid")
    try:
        result = record_leg(leg, module, results_from_settings(), dt.datetime.now(tz=dt.UTC))
    except Exception as exc:  # the database or Redis is down: let FreeSWITCH retry
        log.error("storing the CDR of leg %s failed: %s", leg.uuid, type(exc).__name__)
        return _text(503, "cannot store the CDR now")
    log.info("CDR %s leg %s: %s", module, leg.uuid, result)
    return _text(200, "OK")
