"""The FreeSWITCH emulator: real ESL over TCP, scripted calls and agents (see README.md)."""

from emulator.cluster import Cluster, NodeHandle
from emulator.control import EmulatorControl
from emulator.node import Node
from emulator.outcomes import Outcome

__all__ = ["Cluster", "EmulatorControl", "Node", "NodeHandle", "Outcome"]
