"""Campaign domain models, one module per aggregate."""

from campaigns.models.agents import Agent, AgentGroup
from campaigns.models.attempts import CallAttempt, Outcome
from campaigns.models.campaign import (
    AbandonFormula,
    Campaign,
    CampaignEvent,
    CampaignMode,
    CampaignStatus,
    ConnectPlan,
    DialMode,
    UnknownOutcome,
    VoicemailAction,
)
from campaigns.models.cdr import CallDetailRecord, CallLeg
from campaigns.models.donotcall import DoNotCall
from campaigns.models.floor import (
    DEFAULT_DISPOSITIONS,
    AgentStateChange,
    Callback,
    CallbackState,
    Disposition,
    DispositionKind,
)
from campaigns.models.imports import ImportJob, ImportState
from campaigns.models.infrastructure import Node, Trunk
from campaigns.models.target import Target, TargetState

__all__ = [
    "DEFAULT_DISPOSITIONS",
    "AbandonFormula",
    "Agent",
    "AgentGroup",
    "AgentStateChange",
    "CallAttempt",
    "CallDetailRecord",
    "CallLeg",
    "Callback",
    "CallbackState",
    "Campaign",
    "CampaignEvent",
    "CampaignMode",
    "CampaignStatus",
    "ConnectPlan",
    "DialMode",
    "Disposition",
    "DispositionKind",
    "DoNotCall",
    "ImportJob",
    "ImportState",
    "Node",
    "Outcome",
    "Target",
    "TargetState",
    "Trunk",
    "UnknownOutcome",
    "VoicemailAction",
]
