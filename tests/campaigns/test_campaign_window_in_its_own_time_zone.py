"""Campaign.is_in_window: weekdays, daily hours, dates, midnight crossings and DST, in its own zone.

These are unit tests of a pure method on an unsaved model instance: no database is needed.
The server's zone is UTC (settings); every campaign here lives somewhere else.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from campaigns.models import Campaign

NY = zoneinfo.ZoneInfo("America/New_York")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
EVERY_DAY = 0b1111111


def campaign(**fields) -> Campaign:
    fields.setdefault("timezone", "America/New_York")
    fields.setdefault("weekdays", EVERY_DAY)
    return Campaign(**fields)


def at(zone, *args, fold=0) -> dt.datetime:
    """An aware instant given as wall-clock time in `zone`, converted to UTC like a real clock."""
    return dt.datetime(*args, tzinfo=zone, fold=fold).astimezone(dt.UTC)


# (description, campaign fields, instant, expected)
CASES = [
    ("inside 9-17 on a Monday in New York", {}, at(NY, 2026, 3, 2, 9, 0), True),
    ("one microsecond before 9", {}, at(NY, 2026, 3, 2, 8, 59, 59, 999999), False),
    ("17:00 is already closed", {}, at(NY, 2026, 3, 2, 17, 0), False),
    ("UTC 14:00 is 09:00 in New York", {}, dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC), True),
    ("UTC 13:59 is 08:59 in New York", {}, dt.datetime(2026, 3, 2, 13, 59, tzinfo=dt.UTC), False),
    ("Saturday is off in a Mon-Fri mask", {"weekdays": 0b0011111}, at(NY, 2026, 3, 7, 10), False),
    ("Friday is on in a Mon-Fri mask", {"weekdays": 0b0011111}, at(NY, 2026, 3, 6, 10), True),
    ("Sunday only: bit 6", {"weekdays": 0b1000000}, at(NY, 2026, 3, 8, 10), True),
    ("no weekday set", {"weekdays": 0}, at(NY, 2026, 3, 2, 10), False),
    # Monday 09:00 in New York is already Monday 15:00 in Berlin: the campaign's zone decides.
    (
        "Berlin campaign, Berlin afternoon",
        {"timezone": "Europe/Berlin"},
        at(NY, 2026, 3, 2, 10),
        True,
    ),
    (
        "Berlin campaign, Berlin evening",
        {"timezone": "Europe/Berlin"},
        at(NY, 2026, 3, 2, 12),
        False,
    ),
    # Window 22:00-06:00 crosses midnight; the day that counts is the day it started.
    (
        "night window, Friday 23:00",
        {"daily_start": dt.time(22), "daily_end": dt.time(6), "weekdays": 0b0010000},
        at(NY, 2026, 3, 6, 23),
        True,
    ),
    (
        "night window, Saturday 05:59 belongs to Friday",
        {"daily_start": dt.time(22), "daily_end": dt.time(6), "weekdays": 0b0010000},
        at(NY, 2026, 3, 7, 5, 59),
        True,
    ),
    (
        "night window, Saturday 06:00 is closed",
        {"daily_start": dt.time(22), "daily_end": dt.time(6), "weekdays": 0b0010000},
        at(NY, 2026, 3, 7, 6, 0),
        False,
    ),
    (
        "night window, Saturday 22:00 is a Saturday window",
        {"daily_start": dt.time(22), "daily_end": dt.time(6), "weekdays": 0b0010000},
        at(NY, 2026, 3, 7, 22),
        False,
    ),
    (
        "night window, Friday 05:00 belongs to Thursday (off)",
        {"daily_start": dt.time(22), "daily_end": dt.time(6), "weekdays": 0b0010000},
        at(NY, 2026, 3, 6, 5),
        False,
    ),
    (
        "night window, Sunday->Monday wraps the mask",
        {"daily_start": dt.time(22), "daily_end": dt.time(6), "weekdays": 0b1000000},
        at(NY, 2026, 3, 9, 1),
        True,
    ),
    (
        "start equal to end means all day",
        {"daily_start": dt.time(0), "daily_end": dt.time(0)},
        at(NY, 2026, 3, 2, 3),
        True,
    ),
    # Dates are absolute instants: [starts_at, ends_at).
    ("before starts_at", {"starts_at": at(NY, 2026, 3, 2, 12)}, at(NY, 2026, 3, 2, 11), False),
    ("at starts_at", {"starts_at": at(NY, 2026, 3, 2, 12)}, at(NY, 2026, 3, 2, 12), True),
    ("at ends_at", {"ends_at": at(NY, 2026, 3, 2, 12)}, at(NY, 2026, 3, 2, 12), False),
    # DST, New York: 2026-03-08 02:00 -> 03:00 and 2026-11-01 02:00 -> 01:00.
    ("spring forward: 9-17 still opens at 09:00 EDT", {}, at(NY, 2026, 3, 8, 9, 0), True),
    (
        "spring forward: 13:00 UTC is 09:00 EDT (08:00 the day before)",
        {},
        dt.datetime(2026, 3, 8, 13, 0, tzinfo=dt.UTC),
        True,
    ),
    (
        "spring forward: 13:00 UTC the day before is 08:00 EST",
        {},
        dt.datetime(2026, 3, 7, 13, 0, tzinfo=dt.UTC),
        False,
    ),
    (
        "spring forward: a 02:00-03:00 window never opens (03:00 EDT)",
        {"daily_start": dt.time(2), "daily_end": dt.time(3)},
        dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC),
        False,
    ),
    (
        "spring forward: 01:59 EST is before a 02:00-03:00 window",
        {"daily_start": dt.time(2), "daily_end": dt.time(3)},
        dt.datetime(2026, 3, 8, 6, 59, tzinfo=dt.UTC),
        False,
    ),
    (
        "fall back: 01:30 EDT is inside a 01:00-02:00 window",
        {"daily_start": dt.time(1), "daily_end": dt.time(2)},
        at(NY, 2026, 11, 1, 1, 30),
        True,
    ),
    (
        "fall back: 01:30 EST (the repeat) is inside it too",
        {"daily_start": dt.time(1), "daily_end": dt.time(2)},
        at(NY, 2026, 11, 1, 1, 30, fold=1),
        True,
    ),
    (
        "fall back: 14:00 UTC is 09:00 EST after the change",
        {},
        dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.UTC),
        True,
    ),
    (
        "fall back: 13:30 UTC is 08:30 EST after the change",
        {},
        dt.datetime(2026, 11, 2, 13, 30, tzinfo=dt.UTC),
        False,
    ),
    # DST, Berlin: 2026-03-29 02:00 -> 03:00 and 2026-10-25 03:00 -> 02:00.
    (
        "Berlin spring forward: 08:00 UTC is 10:00 CEST",
        {"timezone": "Europe/Berlin", "daily_start": dt.time(10), "daily_end": dt.time(11)},
        dt.datetime(2026, 3, 29, 8, 0, tzinfo=dt.UTC),
        True,
    ),
    (
        "Berlin the day before: 08:00 UTC is 09:00 CET",
        {"timezone": "Europe/Berlin", "daily_start": dt.time(10), "daily_end": dt.time(11)},
        dt.datetime(2026, 3, 28, 8, 0, tzinfo=dt.UTC),
        False,
    ),
    (
        "Berlin fall back: a night window 22-03 across the change",
        {
            "timezone": "Europe/Berlin",
            "daily_start": dt.time(22),
            "daily_end": dt.time(3),
            "weekdays": 0b0100000,
        },
        at(BERLIN, 2026, 10, 25, 2, 30, fold=1),
        True,
    ),
    (
        "Berlin fall back: 03:00 CET closes the night window",
        {
            "timezone": "Europe/Berlin",
            "daily_start": dt.time(22),
            "daily_end": dt.time(3),
            "weekdays": 0b0100000,
        },
        at(BERLIN, 2026, 10, 25, 3, 0),
        False,
    ),
]


@pytest.mark.parametrize(
    ("description", "fields", "instant", "expected"), CASES, ids=[case[0] for case in CASES]
)
def test_the_window_is_judged_in_the_campaigns_own_zone(description, fields, instant, expected):
    assert campaign(**fields).is_in_window(instant) is expected


def test_a_targets_zone_overrides_the_campaigns_when_given():
    monday_noon_ny = at(NY, 2026, 3, 2, 12)  # 18:00 in Berlin, 09:00 in Los Angeles
    made = campaign(daily_start=dt.time(9), daily_end=dt.time(10))
    assert made.is_in_window(monday_noon_ny) is False
    assert made.is_in_window(monday_noon_ny, "America/Los_Angeles") is True
    assert made.is_in_window(monday_noon_ny, "Europe/Berlin") is False


NEXT = [
    ("inside the window: now", {}, at(NY, 2026, 3, 2, 10), at(NY, 2026, 3, 2, 10)),
    ("before opening: today 09:00", {}, at(NY, 2026, 3, 2, 7), at(NY, 2026, 3, 2, 9)),
    ("after closing: tomorrow 09:00", {}, at(NY, 2026, 3, 2, 18), at(NY, 2026, 3, 3, 9)),
    (
        "Friday evening, Mon-Fri: Monday 09:00",
        {"weekdays": 0b0011111},
        at(NY, 2026, 3, 6, 18),
        at(NY, 2026, 3, 9, 9),
    ),
    ("across spring forward: 09:00 EDT", {}, at(NY, 2026, 3, 7, 18), at(NY, 2026, 3, 8, 9)),
    (
        "opening inside the skipped hour resolves after the gap",
        {"daily_start": dt.time(2, 30), "daily_end": dt.time(4)},
        at(NY, 2026, 3, 8, 1),
        dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC),
    ),
    (
        "before starts_at: starts_at if inside the window",
        {"starts_at": at(NY, 2026, 3, 4, 12)},
        at(NY, 2026, 3, 2, 10),
        at(NY, 2026, 3, 4, 12),
    ),
    ("after ends_at: none", {"ends_at": at(NY, 2026, 3, 2, 12)}, at(NY, 2026, 3, 2, 13), None),
    ("no weekday: none", {"weekdays": 0}, at(NY, 2026, 3, 2, 10), None),
]


@pytest.mark.parametrize(
    ("description", "fields", "now", "expected"), NEXT, ids=[case[0] for case in NEXT]
)
def test_the_next_window_start_is_the_first_open_instant(description, fields, now, expected):
    assert campaign(**fields).next_window_start(now) == expected
