"""With the agent at the hello the attendant's answer is no person: the abandon rate counts heard
people only, waits run from the hello, and the campaign shows the agent time saved (what
target_first would have spent listening from the digits to the hello, or to the end)."""

from __future__ import annotations

import datetime as dt

from campaigns.models import Outcome
from campaigns.services.reporting.stats import abandon_figures
from telephony.floor import STATE_WORDS, call_state
from tests.factories import make_attempt, make_campaign, make_target

T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


def _at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_people_only_count_and_the_saved_agent_time_is_shown(db):
    campaign = make_campaign(mode="agent_at_hello", connect_plan="attendant")
    person = make_attempt(make_target(campaign), answered_at=_at(0), dtmf_sent_at=_at(5),
                          hello_at=_at(17), bridged_at=_at(17.4), answer_to_agent_ms=400,
                          ended_at=_at(80), heard="person", outcome=Outcome.ANSWERED)
    make_attempt(make_target(campaign), answered_at=_at(0), dtmf_sent_at=_at(5),
                 ended_at=_at(20), heard="machine", outcome=Outcome.VOICEMAIL)
    make_attempt(make_target(campaign), answered_at=_at(0), dtmf_sent_at=_at(5),
                 ended_at=_at(40), heard="no_person", outcome=Outcome.NO_PERSON)
    make_attempt(make_target(campaign), answered_at=_at(0), dtmf_sent_at=_at(5),
                 hello_at=_at(12), ended_at=_at(13), heard="person", outcome=Outcome.ABANDONED)

    figures = abandon_figures(campaign.pk, campaign.mode)

    assert (figures["abandoned"], figures["abandon_rate"]) == (1, 0.5)
    assert figures["answer_to_agent_ms"] == {"p50": 400, "p95": 400}
    # 12 s (digits to hello) + 15 s (to the machine's end) + 35 s (ringing out) + 7 s
    assert figures["agent_seconds_saved"] == 12 + 15 + 35 + 7
    assert person.heard == "person"


def test_target_first_saves_nothing(db):
    campaign = make_campaign(mode="target_first")
    make_attempt(make_target(campaign), answered_at=_at(0), dtmf_sent_at=_at(5),
                 bridged_at=_at(6), ended_at=_at(60), outcome=Outcome.ANSWERED)
    assert abandon_figures(campaign.pk, campaign.mode)["agent_seconds_saved"] == 0


def test_the_floor_names_each_listening_state():
    assert call_state(True, True, False, False, "attendant") == "attendant"
    assert call_state(True, True, False, False, "sending_digits") == "sending_digits"
    assert call_state(True, True, True, False, "extension_ringing") == "extension_ringing"
    assert call_state(True, True, True, False, "person") == "person"
    assert call_state(True, True, True, False, "machine") == "machine"
    assert call_state(True, True, True, True, "person") == "connected"
    assert [STATE_WORDS[s] for s in ("attendant", "extension_ringing", "person", "machine")] == [
        "Attendant speaking", "Extension ringing", "Person", "Machine"]
