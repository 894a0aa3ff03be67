"""Presence changes reach the agent log (with reason and actor); statistics replay it."""

import datetime as dt
import io
import time
import zipfile

import openpyxl
import pytest
from django.utils import timezone

from campaigns.models import AgentStateChange, Disposition
from campaigns.services.floor.agent_log import consume_changes
from campaigns.services.reporting.agent_stats import agent_stats, stats_rows
from campaigns.spreadsheets import stream_csv, stream_xlsx
from tests import factories

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def test_pauses_and_calls_land_in_the_log_once_with_reason_and_actor(floor):
    store, agent = floor["store"], floor["agents"][0]
    now = time.time()
    store.set_intent(agent.presence_key, "paused", "lunch", "supervisor", now)
    store.set_intent(agent.presence_key, "available", "", "1001", now + 1)
    assert consume_changes() > 0
    assert consume_changes() == 0  # acknowledged: nothing is read twice
    rows = list(AgentStateChange.objects.filter(agent=agent, axis="intent").values_list(
        "value", "reason", "actor"))
    assert rows == [("paused", "lunch", "supervisor"), ("available", "", "1001")]
    online = AgentStateChange.objects.filter(agent=agent, axis="registration")
    assert set(online.values_list("value", flat=True)) == {"online"}


def _log(agent, at_minutes, axis, value, reason=""):
    AgentStateChange.objects.create(agent=agent, at=T0 + dt.timedelta(minutes=at_minutes),
                                    axis=axis, value=value, reason=reason,
                                    stream_id=f"{agent.id}-{at_minutes}-{axis}")


def test_statistics_replay_available_paused_by_reason_and_wrapup(db):
    agent = factories.make_agent(wrapup_seconds=60)
    other = factories.make_agent(agent.group)
    # Before the period: online and available since 08:00.
    _log(agent, -60, "registration", "online")
    _log(agent, -60, "intent", "available")
    _log(agent, 10, "activity", "reserved")
    _log(agent, 11, "activity", "on_call")
    _log(agent, 15, "activity", "wrapup")  # lapses by itself after 60 s
    _log(agent, 30, "intent", "paused", "lunch")
    _log(agent, 60, "intent", "available")
    _log(agent, 70, "intent", "paused", "coaching")
    _log(agent, 80, "registration", "offline")
    target = factories.make_target(factories.make_campaign(agent_group=agent.group))
    sale = Disposition.objects.create(campaign=target.campaign, code="sale", label="Sale")
    factories.make_attempt(target, agent=agent, bridged_at=T0 + dt.timedelta(minutes=11),
                           ended_at=T0 + dt.timedelta(minutes=15), billsec=240,
                           outcome="answered", disposition=sale)
    factories.make_attempt(target, agent=agent, ended_at=T0 + dt.timedelta(minutes=40),
                           outcome="agent_unavailable", hangup_cause="NO_ANSWER")
    factories.make_attempt(target, agent=agent, ended_at=T0 + dt.timedelta(minutes=41),
                           outcome="agent_unavailable", hangup_cause="CALL_REJECTED")
    rows = {r["agent_id"]: r for r in agent_stats(T0, T0 + dt.timedelta(minutes=90))}
    row = rows[agent.id]
    assert (row["calls"], row["talk_seconds"], row["refused"], row["missed"]) == (1, 240, 1, 1)
    assert row["wrapup_seconds"] == 60
    assert row["average_handle_seconds"] == 300.0
    # available 09:00-09:10, 09:16-09:30, 10:00-10:10 = 34 min
    assert row["available_seconds"] == 34 * 60
    assert row["paused_by_reason"] == {"coaching": 20 * 60, "lunch": 30 * 60}
    assert row["paused_seconds"] == 50 * 60
    assert row["dispositions"] == {"Sale": 1}
    assert rows[other.id]["calls"] == 0 and rows[other.id]["available_seconds"] == 0


def test_statistics_export_as_csv_and_xlsx_with_formulas_neutralised(client, db):
    factories.make_agent(name="=HYPERLINK(\"http://evil\")")
    client.force_login(factories.make_supervisor())
    day = timezone.localdate().isoformat()
    csv_response = client.get(f"/dashboard/agents/stats/?start={day}&end={day}&format=csv")
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(csv_response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Agent,Group,Calls taken,Talk time (s)")
    assert "'=HYPERLINK" in text
    xlsx = client.get(f"/dashboard/agents/stats/?start={day}&end={day}&format=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    sheet = book.active
    assert sheet.title == "Agent statistics"
    assert sheet["A1"].value == "Agent"
    # An XLSX text cell is a string cell, never evaluated: the name stays exact there.
    assert (sheet["A2"].value, sheet["A2"].data_type) == ('=HYPERLINK("http://evil")', "s")
    assert sheet["C2"].value == 0
    page = client.get(f"/dashboard/agents/stats/?start={day}&end={day}")
    assert page.status_code == 200 and b"agent-stats" in page.content
    bad = client.get("/dashboard/agents/stats/?start=yesterday&format=csv")
    assert (bad.status_code, bad.json()) == (400, {"start": "a date as YYYY-MM-DD"})


def test_the_xlsx_writer_streams_in_chunks_and_reads_back():
    taken = []
    rows = (taken.append(n) or [n, f"row {n}", "@SUM(A1)" if n == 3 else "x"]
            for n in range(1, 2001))
    stream = stream_xlsx(rows, sheet="Big")
    first = next(stream)
    assert first.startswith(b"PK") and taken == []  # written as it goes, not built whole
    data = first + b"".join(stream)
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert (sheet.max_row, sheet["A2000"].value, sheet["C3"].value) == (2000, 2000, "@SUM(A1)")
    assert (sheet["A3"].data_type, sheet["C3"].data_type) == ("n", "s")  # text is never run
    header = list(stats_rows([]))
    assert header == [[label for label in header[0]]]
    assert b"".join(stream_csv([["-1+1", 5]])) == "\ufeff'-1+1,5\r\n".encode()
