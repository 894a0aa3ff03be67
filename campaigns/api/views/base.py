"""What every API view shares: authentication rules, parsers, pagination, filters."""

from __future__ import annotations

from typing import Any

from django.db.models import ProtectedError, RestrictedError
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.parsers import FormParser, MultiPartParser

from campaigns.api.exceptions import Conflict
from campaigns.api.pagination import Pagination
from campaigns.api.parsers import StrictJSONParser
from campaigns.api.permissions import IsSupervisorOrReadOnly


class ApiViewMixin:
    """Authenticated reads, supervisor writes, strict JSON, bounded pages, filter/search/order."""

    permission_classes = [IsSupervisorOrReadOnly]
    parser_classes = [StrictJSONParser, FormParser, MultiPartParser]
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend, SearchFilter, OrderingFilter]

    def check_permissions(self, request: Any) -> None:
        # Throttle before the permission check, so an anonymous client refused with 401 still
        # spends its anon rate (DRF's own order checks throttles last, after permissions).
        super().check_throttles(request)
        request.throttles_checked = True
        super().check_permissions(request)

    def check_throttles(self, request: Any) -> None:
        if not getattr(request, "throttles_checked", False):
            super().check_throttles(request)

    def perform_destroy(self, instance: Any) -> None:
        """Delete, or answer 409 when other rows still point at the object."""
        try:
            instance.delete()
        except (ProtectedError, RestrictedError) as exc:
            used_by = sorted({str(obj._meta.verbose_name_plural) for obj in exc.args[1]})
            raise Conflict(
                f"Still used by {', '.join(used_by)}; remove or reassign those first.",
                code="in_use",
            ) from exc
