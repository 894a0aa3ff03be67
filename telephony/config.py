"""Plain, frozen configuration values handed to telephony code (never django.conf)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_NODE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,62}")
_HOST = re.compile(r"[A-Za-z0-9.:_-]{1,253}")


def validate_node_name(value: str) -> str:
    """A node name as FREESWITCH_NODES and the Node table accept it."""
    if not _NODE_NAME.fullmatch(value):
        raise ValueError(
            "node name must start with a letter and contain only letters, digits, _ and - "
            "(at most 63)"
        )
    return value


def validate_esl_host(value: str) -> str:
    """An Event Socket host: a host name or an IP address."""
    if not _HOST.fullmatch(value):
        raise ValueError("ESL host must be a host name or an IP address")
    return value


def validate_esl_password(value: str) -> str:
    """An ESL password; the message never repeats the value."""
    # It is written into "auth <password>" on the socket: no whitespace, no control characters.
    if not all("!" <= char <= "~" for char in value):
        raise ValueError("ESL password may contain only printable ASCII characters without spaces")
    return value


@dataclass(frozen=True)
class NodeConfig:
    """One FreeSWITCH node's Event Socket address; the password never appears in repr."""

    name: str
    host: str
    port: int
    password: str = field(repr=False)
    sip_profile: str = "internal"
    max_sessions: int = 1000
    max_cps: int = 30

    def __post_init__(self) -> None:
        if not _NODE_NAME.fullmatch(self.name):
            raise ValueError(f"invalid node name {self.name!r}")
        if not _HOST.fullmatch(self.host):
            raise ValueError(f"invalid host for node {self.name}")
        if not 0 < self.port < 65536:
            raise ValueError(f"invalid port for node {self.name}")


def parse_node_list(
    spec: str,
    default_password: str,
    password_for: Callable[[str], str | None] = lambda _name: None,
) -> tuple[NodeConfig, ...]:
    """Parse "fs1=10.0.0.5:8021,fs2=10.0.0.6:8021" into node configs."""
    nodes: list[NodeConfig] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        name, sep, address = item.partition("=")
        host, colon, port = address.rpartition(":")
        if not sep or not colon or not port.isdigit():
            raise ValueError(f"FREESWITCH_NODES entry {item!r} is not name=host:port")
        nodes.append(
            NodeConfig(
                name=name.strip(),
                host=host.strip("[]"),
                port=int(port),
                password=password_for(name.strip()) or default_password,
            )
        )
    names = [node.name for node in nodes]
    if len(names) != len(set(names)):
        raise ValueError("FREESWITCH_NODES names must be unique")
    return tuple(nodes)
