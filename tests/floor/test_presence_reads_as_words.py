"""Presence reads as the words a supervisor uses, never as raw axis names."""

import zoneinfo

import pytest

from campaigns.services.floor.snapshot import presence_words
from telephony.presence_views import AgentPresence, RegistrationView

UTC = zoneinfo.ZoneInfo("UTC")
NOW = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
REG = RegistrationView(node="fs1", call_id="c1", contact="sip:1001@h", transport="tcp",
                       network="127.0.0.1:5060", user_agent="Zoiper", expires_at=NOW + 60,
                       unreachable=False, trusted=True)


def _p(intent="available", activity="idle", until=None, reason="", registered=True,
       enabled=True, known=True):
    return AgentPresence(agent="1001@h", known=known, enabled=enabled, groups=("sales",),
                         intent=intent, reason=reason, activity=activity, activity_until=until,
                         registrations=(REG,) if registered else ())


@pytest.mark.parametrize(("presence", "code", "words"), [
    (_p(), "available", "Available"),
    (_p(activity="on_call"), "on_call", "On a call"),
    (_p(activity="ringing"), "ringing", "Ringing"),
    (_p(activity="reserved"), "reserved", "Reserved"),
    (_p(activity="wrapup", until=NOW + 9 * 60 + 30), "wrapup", "Wrap-up until 08:09"),
    (_p(intent="paused", reason="lunch"), "paused", "Paused: lunch"),
    (_p(intent="paused", reason="lunch", activity="on_call"), "on_call", "On a call"),
    (_p(registered=False), "phone_offline", "Phone offline"),
    (_p(registered=False, intent="paused", reason="lunch"), "phone_offline", "Phone offline"),
    (_p(intent="logged_out"), "logged_out", "Logged out"),
    (_p(enabled=False), "disabled", "Disabled"),
    (_p(known=False), "disabled", "Disabled"),
])
def test_presence_words(presence, code, words):
    assert presence_words(presence, NOW, UTC) == (code, words)


def test_wrapup_until_is_in_the_supervisors_zone():
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    assert presence_words(_p(activity="wrapup", until=NOW + 60), NOW, tokyo)[1] == (
        "Wrap-up until 17:01")
