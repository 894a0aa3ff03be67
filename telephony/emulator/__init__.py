"""The FreeSWITCH emulator: real ESL over TCP, scripted calls and agents (see README.md)."""

from telephony.emulator.cluster import Cluster, NodeHandle
from telephony.emulator.control import EmulatorControl
from telephony.emulator.node import Node
from telephony.emulator.outcomes import Outcome

__all__ = ["Cluster", "EmulatorControl", "Node", "NodeHandle", "Outcome"]
