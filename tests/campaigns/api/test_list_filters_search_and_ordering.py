"""List endpoints filter, search, order and paginate: each filter returns exactly its rows."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import make_agent, make_attempt, make_campaign, make_target

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(db):
    one, two = make_campaign(name="One"), make_campaign(name="Two", status="running")
    agent = make_agent(name="Zed")
    targets = {
        "a": make_target(
            one, number="+14155550001", external_ref="crm-1", state="pending", next_attempt_at=T0
        ),
        "b": make_target(
            one,
            number="+14155550002",
            external_ref="crm-2",
            state="retry_wait",
            next_attempt_at=T0 + dt.timedelta(hours=2),
        ),
        "c": make_target(
            two, number="+14155550001", extension="12", external_ref="crm-3", state="completed"
        ),
    }
    attempts = {
        "x": make_attempt(targets["a"], outcome="busy", node="fs1", agent=agent),
        "y": make_attempt(targets["b"], outcome="answered", node="fs2"),
        "z": make_attempt(targets["c"], outcome="busy", node="fs2", agent=agent),
    }
    # created_at is auto_now_add: spread them in time for the range filters.
    for hours, key in enumerate("xyz"):
        attempts[key].__class__.objects.filter(pk=attempts[key].pk).update(
            created_at=T0 + dt.timedelta(hours=hours),
            ended_at=T0 + dt.timedelta(hours=hours, minutes=1),
        )
    return {"campaigns": {"one": one, "two": two}, "agent": agent, **targets, **attempts}


def _ids(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _pks(world, keys):
    return [world[k].pk for k in keys]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"campaign": "one"}, "ab"),
        ({"state": "pending"}, "a"),
        ({"state": ["pending", "completed"]}, "ac"),
        ({"number": "+14155550001"}, "ac"),
        ({"external_ref": "crm-2"}, "b"),
        ({"next_attempt_after": "2026-03-01T13:00:00Z"}, "b"),
        ({"next_attempt_before": "2026-03-01T13:00:00Z"}, "a"),
        ({"search": "crm-3"}, "c"),
        ({"ordering": "-id"}, "cba"),
    ],
)
def test_each_target_filter_returns_exactly_its_rows(as_viewer, world, params, expected):
    params = {k: (world["campaigns"][v].pk if k == "campaign" else v) for k, v in params.items()}

    assert _ids(as_viewer, "/api/targets/", **params) == _pks(world, expected)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"campaign": "two"}, "z"),
        ({"outcome": "busy"}, "zx"),
        ({"node": "fs2"}, "zy"),
        ({"agent": "agent"}, "zx"),
        ({"created_after": "2026-03-01T13:00:00Z"}, "zy"),
        ({"created_before": "2026-03-01T13:00:00Z"}, "x"),
        ({"ended_after": "2026-03-01T14:00:00Z", "ended_before": "2026-03-01T15:00:00Z"}, "z"),
        ({"ordering": "created_at"}, "xyz"),
    ],
)
def test_each_attempt_filter_returns_exactly_its_rows(as_viewer, world, params, expected):
    lookup = {"campaign": lambda v: world["campaigns"][v].pk, "agent": lambda v: world["agent"].pk}
    params = {k: lookup.get(k, lambda v: v)(v) for k, v in params.items()}

    assert _ids(as_viewer, "/api/attempts/", **params) == _pks(world, expected)


def test_campaigns_filter_by_status_and_search_by_name(as_viewer, world):
    assert _ids(as_viewer, "/api/campaigns/", status="running") == [world["campaigns"]["two"].pk]
    assert _ids(as_viewer, "/api/campaigns/", search="One") == [world["campaigns"]["one"].pk]


@pytest.mark.parametrize(
    ("params", "body"),
    [
        (
            {"state": "lost"},
            {"state": ["Select a valid choice. lost is not one of the available choices."]},
        ),
        ({"next_attempt_after": "yesterday"}, {"next_attempt_after": ["Enter a valid date/time."]}),
        (
            {"campaign": "x"},
            {
                "campaign": [
                    "Select a valid choice. That choice is not one of the available choices."
                ]
            },
        ),
        ({"search": "a\x00b"}, ["Null characters are not allowed."]),
        ({"number": "+1\x00"}, {"number": ["Null characters are not allowed."]}),
    ],
)
def test_a_bad_filter_is_a_400_naming_the_parameter(as_viewer, world, params, body):
    response = as_viewer.get("/api/targets/", params)

    assert (response.status_code, response.json()) == (400, body)


def test_pages_are_bounded_and_linked(as_viewer, world):
    first = as_viewer.get("/api/targets/", {"page_size": 2}).json()
    second = as_viewer.get("/api/targets/", {"page_size": 2, "page": 2}).json()

    assert first["count"] == 3
    assert [r["id"] for r in first["results"]] == _pks(world, "ab")
    assert first["next"].endswith("/api/targets/?page=2&page_size=2")
    assert [r["id"] for r in second["results"]] == _pks(world, "c")
    assert as_viewer.get("/api/targets/", {"page": 9}).status_code == 404
