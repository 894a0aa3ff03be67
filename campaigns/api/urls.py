"""Routes under /api/."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from campaigns.api.views.auth import TokenView
from campaigns.api.views.campaigns import CampaignViewSet
from campaigns.api.views.infrastructure import (
    AgentGroupViewSet,
    AgentViewSet,
    DoNotCallViewSet,
    NodeViewSet,
    TrunkViewSet,
)
from campaigns.api.views.targets import (
    CallAttemptViewSet,
    DispositionViewSet,
    ImportJobViewSet,
    TargetViewSet,
)

router = DefaultRouter()
router.register("campaigns", CampaignViewSet)
router.register("targets", TargetViewSet)
router.register("attempts", CallAttemptViewSet)
router.register("agents", AgentViewSet)
router.register("agent-groups", AgentGroupViewSet)
router.register("trunks", TrunkViewSet)
router.register("nodes", NodeViewSet)
router.register("do-not-call", DoNotCallViewSet)
router.register("dispositions", DispositionViewSet)
router.register("imports", ImportJobViewSet, basename="import")

app_name = "api"
urlpatterns = [
    # POST username and password, get the user's API token (anonymous, so the anon throttle
    # is what slows down password guessing here).
    path("auth/token/", TokenView.as_view(), name="token"),
    *router.urls,
]
