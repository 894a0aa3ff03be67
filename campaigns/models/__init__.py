"""Campaign domain models, one module per aggregate."""

from campaigns.models.agents import Agent, AgentGroup
from campaigns.models.attempts import CallAttempt, Outcome
from campaigns.models.campaign import Campaign, CampaignEvent, CampaignMode, CampaignStatus
from campaigns.models.cdr import CallDetailRecord, CallLeg
from campaigns.models.donotcall import DoNotCall
from campaigns.models.infrastructure import Node, Trunk
from campaigns.models.target import Target, TargetState

__all__ = [
    "Agent",
    "AgentGroup",
    "CallAttempt",
    "CallDetailRecord",
    "CallLeg",
    "Campaign",
    "CampaignEvent",
    "CampaignMode",
    "CampaignStatus",
    "DoNotCall",
    "Node",
    "Outcome",
    "Target",
    "TargetState",
    "Trunk",
]
