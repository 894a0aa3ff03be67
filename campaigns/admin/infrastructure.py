"""Admin for trunks, FreeSWITCH nodes (write-only ESL password), agent groups and agents."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib import admin

from campaigns.admin.base import StrictIdAdmin
from campaigns.errors import NODE_MOVED_NEEDS_PASSWORD
from campaigns.models import Agent, AgentGroup, Node, Trunk
from telephony.config import validate_esl_password

log = logging.getLogger(__name__)


@admin.register(Trunk)
class TrunkAdmin(StrictIdAdmin):
    list_display = ["name", "gateway", "dial_prefix", "cps_limit", "max_concurrent", "enabled",
                    "misconfigured"]
    list_filter = ["enabled"]
    search_fields = ["name", "gateway"]
    fieldsets = [
        (None, {"fields": ["name", "gateway", "dial_prefix", "enabled"]}),
        ("Caller ID", {"fields": ["caller_id_number", "caller_id_name"]}),
        ("Limits", {"fields": ["cps_limit", "max_concurrent"]}),
        ("Refused by nodes (remove a node once its gateway is fixed)",
         {"fields": ["misconfigured_on"]}),
    ]

    @admin.display(description="Misconfigured on")
    def misconfigured(self, obj: Trunk) -> str:
        """Nodes that refused the gateway (INVALID_GATEWAY / INVALID_PROFILE) and why."""
        marks = obj.misconfigured_on or {}
        return ", ".join(f"{node}: {mark.get('cause', '?') if isinstance(mark, dict) else mark}"
                         for node, mark in sorted(marks.items())) or "-"


class NodeForm(forms.ModelForm):
    """The ESL password is write-only: never rendered back, kept when left blank on change."""

    esl_password = forms.CharField(
        label="ESL password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Leave blank to keep the current password.",
    )

    class Meta:
        model = Node
        fields = [
            "name",
            "esl_host",
            "esl_port",
            "esl_password",
            "sip_profile",
            "enabled",
            "max_sessions",
            "max_cps",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Not even the form's initial data holds it, so no widget or change diff can show it.
        self.initial.pop("esl_password", None)

    def clean_esl_password(self) -> str:
        value: str = self.cleaned_data.get("esl_password") or ""
        if not value:
            if not self.instance.pk:
                raise forms.ValidationError("An ESL password is required for a new node.")
            # The stored password never follows the node to a new address (see the API's rule).
            if {"esl_host", "esl_port"} & set(self.changed_data):
                raise forms.ValidationError(NODE_MOVED_NEEDS_PASSWORD)
            return self.instance.esl_password
        try:
            return validate_esl_password(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


@admin.register(Node)
class NodeAdmin(StrictIdAdmin):
    form = NodeForm
    list_display = [
        "name",
        "esl_host",
        "esl_port",
        "sip_profile",
        "enabled",
        "max_sessions",
        "max_cps",
        "live_state",
    ]
    list_filter = ["enabled"]
    search_fields = ["name", "esl_host"]
    fieldsets = [
        (None, {"fields": ["name", "enabled"]}),
        ("Event Socket", {"fields": ["esl_host", "esl_port", "esl_password"]}),
        ("SIP and capacity", {"fields": ["sip_profile", "max_sessions", "max_cps"]}),
    ]

    @admin.display(description="Live state")
    def live_state(self, obj: Node) -> str:
        """State, load and agents from the listener (the dashboard's cached cluster read)."""
        from campaigns.api.presence import node_live_states

        live = node_live_states().get(obj.name)
        if not live:
            return "unknown"
        text = f"{live['state']}, {live['sessions'] or 0} sessions"
        text += f", {live['agents_online']} agents online, {live['agents_available']} available"
        if live.get("lost_reason"):
            text += f" ({live['lost_reason']})"
        return text


@admin.register(AgentGroup)
class AgentGroupAdmin(StrictIdAdmin):
    list_display = ["name", "description", "pause_codes_inline", "created_at"]

    @admin.display(description="Pause codes")
    def pause_codes_inline(self, obj: AgentGroup) -> str:
        return ", ".join(obj.pause_code_list()) or "any reason"

    search_fields = ["name"]


@admin.register(Agent)
class AgentAdmin(StrictIdAdmin):
    list_display = ["name", "sip_user", "sip_domain", "group", "enabled", "presence", "penalty",
                    "misconfigured"]
    list_filter = ["enabled", "group", "penalty_reason"]
    search_fields = ["name", "sip_user", "sip_domain"]
    autocomplete_fields = ["group"]
    raw_id_fields = ["user"]
    list_select_related = ["group"]
    fieldsets = [
        (None, {"fields": ["name", "group", "enabled"]}),
        ("SIP identity", {"fields": ["sip_user", "sip_domain"]}),
        ("Calls", {"fields": ["wrapup_seconds"]}),
        ("Agent page", {"fields": ["user"],
                        "description": "The login that opens /agent/ for this agent"}),
        ("Penalties (as mod_callcenter)", {"fields": [
            "reject_delay_seconds", "busy_delay_seconds", "no_answer_delay_seconds",
            "max_no_answer", "no_answer_count", "penalty_reason", "penalty_until",
            "misconfigured"]}),
    ]
    readonly_fields = ["no_answer_count", "penalty_reason", "penalty_until"]

    @admin.display(description="Penalty")
    def penalty(self, obj: Agent) -> str:
        """The running penalty (reason, until when) and the missed calls in a row."""
        from django.utils import timezone

        parts = []
        if obj.penalty_until and obj.penalty_until > timezone.now():
            parts.append(f"{obj.penalty_reason} until {obj.penalty_until:%H:%M:%S}")
        if obj.no_answer_count:
            parts.append(f"{obj.no_answer_count} missed in a row")
        return ", ".join(parts) or "-"

    actions = ["pause_agents", "resume_agents", "log_out_agents"]

    @admin.display(description="Presence")
    def presence(self, obj: Agent) -> str:
        """Presence in a supervisor's words ("Wrap-up until 10:42", "Paused: lunch")."""
        import time

        from django.utils import timezone

        from campaigns.services.floor import presence as presence_service
        from campaigns.services.floor.snapshot import presence_words

        try:
            now = time.time()
            view = presence_service.store().snapshot([obj.presence_key], now)[obj.presence_key]
        except Exception:  # presence is advisory here: a Redis outage must not break the admin
            log.warning("presence unavailable for agent %s", obj.id, exc_info=True)
            return "Unknown"
        return presence_words(view, now, timezone.get_current_timezone())[1]

    def _set_intent(self, request: Any, queryset: Any, intent: str, title: str,
                    reason_required: bool) -> Any:
        """Ask for the reason on an intermediate page, then set each agent's intent."""
        from django.contrib import messages
        from django.template.response import TemplateResponse

        from campaigns.services.audit import audit
        from campaigns.services.floor.presence import InvalidIntent, set_intent

        reason = request.POST.get("reason", "").strip()
        error = ""
        if request.POST.get("apply"):
            if reason_required and not reason:
                error = "A pause needs a reason."
            else:
                done = 0
                for agent in queryset:
                    try:
                        set_intent(agent, intent, reason, request.user.get_username())
                    except InvalidIntent as exc:
                        error = str(exc)
                        break
                    audit(request.user, agent, title + (f": {reason}" if reason else ""))
                    done += 1
                if not error:
                    messages.success(request, f"{title}: {done} agent(s).")
                    return None
        return TemplateResponse(request, "admin/campaigns/agent/intent_reason.html", {
            **self.admin_site.each_context(request), "title": title, "agents": list(queryset),
            "action": request.POST.get("action", ""), "reason": reason, "error": error,
            "reason_required": reason_required, "opts": self.model._meta,
        })

    @admin.action(description="Pause the selected agents (with a reason)",
                  permissions=["change"])
    def pause_agents(self, request: Any, queryset: Any) -> Any:
        return self._set_intent(request, queryset, "paused", "Pause", True)

    @admin.action(description="Make the selected agents available", permissions=["change"])
    def resume_agents(self, request: Any, queryset: Any) -> Any:
        return self._set_intent(request, queryset, "available", "Resume", False)

    @admin.action(description="Log out the selected agents (with a reason)",
                  permissions=["change"])
    def log_out_agents(self, request: Any, queryset: Any) -> Any:
        return self._set_intent(request, queryset, "logged_out", "Log out", False)
