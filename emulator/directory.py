"""What a node is configured with: its trunk gateways and its directory of users and domains.

FreeSWITCH refuses a dial string up front when the configuration lacks what it names (capture
33): `sofia/gateway/<not defined>/...` is INVALID_GATEWAY, `user/<x>@<unknown domain>` and a user
missing from the directory are SUBSCRIBER_ABSENT, and only a directory user without a
registration is USER_NOT_REGISTERED. Names may be globs (`carrier*`) so tests that number their
trunks (`carrier1`, `carrier2`, ...) need no set-up; a test that wants the refusal configures a
list without the name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

# The gateways the product's tests, demo and benchmarks dial (tests/factories.py numbers them
# `carrier<n>`; scripts/demo_seed.py uses `demo-carrier`; bench/ uses `bench`), plus the vanilla
# `example.com`. Configure another list to make a trunk "missing" on a node.
DEFAULT_GATEWAYS: tuple[str, ...] = (
    "example.com", "carrier*", "demo-carrier", "bench", "gw*", "trunk*", "t",
)  # fmt: skip

# The vanilla directory holds users 1000-1019; every user that registers on the node is known too
# (a REGISTER needs a directory user to pass the digest), so it stays known after it unregisters.
DEFAULT_USERS: tuple[str, ...] = tuple(str(n) for n in range(1000, 1020))


def _matches(name: str, patterns: set[str]) -> bool:
    return name in patterns or any(fnmatchcase(name, p) for p in patterns if "*" in p or "?" in p)


@dataclass
class Directory:
    """Gateways, directory users and extra domains of one node (the node's own domain is known)."""

    gateways: set[str] = field(default_factory=lambda: set(DEFAULT_GATEWAYS))
    users: set[str] = field(default_factory=lambda: set(DEFAULT_USERS))
    domains: set[str] = field(default_factory=set)

    def has_gateway(self, name: str) -> bool:
        """True when `sofia/gateway/<name>/...` names a configured gateway."""
        return _matches(name, self.gateways)

    def user_cause(self, user: str, domain: str, own_domains: tuple[str, ...]) -> str:
        """The cause of a dial to this user (SUBSCRIBER_ABSENT), or "" for a directory user."""
        if domain and domain not in own_domains and not _matches(domain, self.domains):
            return "SUBSCRIBER_ABSENT"
        if not _matches(user, self.users):
            return "SUBSCRIBER_ABSENT"
        return ""

    def learn(self, user: str, domain: str) -> None:
        """A user registered: it is (and stays) in the directory."""
        self.users.add(user)
        if domain:
            self.domains.add(domain)

    def to_dict(self) -> dict[str, list[str]]:
        """JSON form for the control API."""
        return {
            "gateways": sorted(self.gateways),
            "users": sorted(self.users, key=lambda u: (len(u), u)),
            "domains": sorted(self.domains),
        }
