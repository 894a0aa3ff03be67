"""Lua scripts behind the presence store: each runs as one atomic Redis operation.

The scripts are files of their own, `telephony/lua/presence/<name>.lua`, read as package
resources. A script's first line names the helper files put before it
(`-- uses: _common.lua _agent.lua`).

Keys are built inside the scripts from a prefix (ARGV[1]) because a reservation must look at a
number of agents and registrations that is not known before it runs. That is fine on one Redis
or a Sentinel pair; a Redis Cluster would need every presence key under one hash tag.

Layout (P = "<prefix>:presence"):
  P:reg:<node>:<call-id>        hash   one registration (agent, contact, ip, port, core, seq,
                                       unreachable, stale: listed after a restart, TCP/TLS,
                                       not registered again since; ...)
  P:noderegs:<node>             set    call-ids held for a node
  P:addr:<node>:<ip>:<port>     set    call-ids seen from one network address (TCP-drop index)
  P:agentregs:<agent>           set    "<node>|<call-id>" of the agent's registrations
  P:expiry                      zset   "<node>|<call-id>" scored by absolute expiry
  P:tomb:<node>:<call-id>       string "ip:port" of a row removed while the node may still list
                                       it (a dead connection, a replaced registration)
  P:agent:<agent>               hash   enabled, groups, wrapup_s, intent, activity, token, ...
  P:ready:<group>               zset   the group's enabled agents by the time they became ready
  P:node:<node>                 hash   state, core, last_seen, trusted_until, HEARTBEAT figures
  P:changes                     stream every change, for the dashboard and the API

A change entry has fields kind, agent, node, detail, t (the caller's `now`). Kinds: register,
unregister, socket_disconnect, expire, transport_drop, expired (swept by time),
reconcile_remove, not_registered (USER_NOT_REGISTERED), unreachable, reachable, replaced (a
newer registration from the same contact or ip:port), stale (listed after a restart, awaiting
a REGISTER) (detail: the call-id); activity (detail: reserved/ringing/on_call/wrapup/idle),
intent (detail: the intent), agent_sync; node_restart, node_up (detail: Core-UUID), node_lost
(detail: the reason).
P:node:<node> also holds restart_core: the Core-UUID of a run that followed one we knew;
followed_core: the run whose end (a shutdown notice, or EOF) the listener saw while reconciled;
previous_followed: 1 when the run before restart_core was followed to its end.
"""

from __future__ import annotations

import functools
from importlib import resources

SCRIPTS = (
    "register", "remove", "drop_address", "reachability", "reconcile", "sweep_expired",
    "node_connected", "node_lost", "node_ended", "heartbeat",
    "reserve", "hold", "mark", "release", "set_intent", "sync_agents", "remove_agent",
)
_USES = "-- uses:"


def _read(name: str) -> str:
    return resources.files("telephony").joinpath("lua", "presence", name).read_text("utf-8")


@functools.cache
def source(name: str) -> str:
    """The full source of one presence script (its helpers first), e.g. `source("reserve")`."""
    if name not in SCRIPTS:
        raise KeyError(f"no presence script {name!r}")
    text = _read(f"{name}.lua")
    first, _, _rest = text.partition("\n")
    if not first.startswith(_USES):
        raise ValueError(f"{name}.lua must start with {_USES!r} naming its helpers")
    helpers = [_read(helper) for helper in first[len(_USES):].split()]
    return "".join(helpers) + text
