"""Username and password in, API token out."""

from __future__ import annotations

from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from campaigns.api.parsers import StrictJSONParser


class TokenView(ObtainAuthToken):
    """DRF's token view, throttled (stock, it has no throttle, so password guessing is free)."""

    throttle_classes = [AnonRateThrottle, UserRateThrottle]
    parser_classes = [StrictJSONParser, FormParser, MultiPartParser]
