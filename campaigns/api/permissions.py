"""Who may read and who may write through the API.

Reading needs an authenticated user (a "viewer"). Writing needs a supervisor: a staff user,
or a user holding Django's model permission for what the request does (``campaigns.add_target``
to import targets, ``campaigns.change_campaign`` to start or pause a campaign, ...). Model
permissions exist without a migration and are granted per group in the admin, so a
"Supervisors" group with the campaigns app's permissions is the usual setup.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from campaigns.access import EXPORT_PERMISSION, agent_only, may_export

METHOD_VERBS = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


def required_permission(view: Any, method: str) -> str:
    """The model permission a write through this view needs, e.g. campaigns.add_target."""
    # A custom action (start, import, ...) names its verb; plain CRUD follows the HTTP method.
    verb = getattr(view, "action_verbs", {}).get(getattr(view, "action", None)) or METHOD_VERBS.get(
        method, "change"
    )
    opts = view.queryset.model._meta
    return f"{opts.app_label}.{verb}_{opts.model_name}"


class MayExport(BasePermission):
    """Downloading an export takes a permission of its own."""

    message = f"Exports need the {EXPORT_PERMISSION} permission."

    def has_permission(self, request: Any, view: Any) -> bool:
        return may_export(request.user)


class IsSupervisorOrReadOnly(BasePermission):
    """Authenticated users read; staff or holders of the model permission write."""

    message = "You may read but not change this: ask for the supervisor permission."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if agent_only(user):  # an agent sees its own page, never the API (campaigns/access.py)
            return False
        if request.method in SAFE_METHODS:
            return True
        return bool(user.is_staff or user.has_perm(required_permission(view, request.method)))
