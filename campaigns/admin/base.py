"""The base of every admin page here: an object id in the URL is validated before any query."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from unfold.admin import ModelAdmin

from campaigns.ids import parse_id


def _require_id(object_id: str) -> None:
    # The admin's own lookup redirects for some bad ids and crashes on others ("²" passes
    # str.isdigit() but not int()); a URL naming no possible object is simply not found.
    if parse_id(object_id) is None:
        raise Http404("No such object.")


class StrictIdAdmin(ModelAdmin):
    """A ModelAdmin whose change, delete and history pages answer 404 to an id that is no id."""

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        _require_id(object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request: HttpRequest, object_id: str,
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        _require_id(object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request: HttpRequest, object_id: str,
                     extra_context: dict[str, Any] | None = None) -> HttpResponse:
        _require_id(object_id)
        return super().history_view(request, object_id, extra_context)
