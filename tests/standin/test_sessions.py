"""Release health: session counts from the sessions the real SDK sent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from standin_fields import FORBIDDEN, SESSIONS, call, missing
from standin_sdk import sdk_app

from tools.sentry_standin.state import load_seed

SESSIONS_PATH = "organizations/acme/sessions/"


def sessions(standin, token=None, **params):
    params.setdefault("field", "sum(session)")
    return call(standin, "GET", SESSIONS_PATH, params=params,
                **({"token": token} if token else {}))


def hour(moment):
    return moment.replace(minute=0, second=0, microsecond=0)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def send_canary_sessions(standin, base):
    """web@1: 2 healthy in the first hour; web@2: 3 healthy, 1 errored, 1 crashed in the
    second; staging: 4 healthy of web@2."""
    with sdk_app(standin, "web@1") as app:
        app.sessions(base + timedelta(minutes=10), "exited", "exited")
    with sdk_app(standin, "web@2") as app:
        app.sessions(base + timedelta(minutes=70), "exited", "exited", "exited", "errored",
                     "crashed")
    with sdk_app(standin, "web@2", environment="staging") as app:
        app.sessions(base + timedelta(minutes=70), *["exited"] * 4)


def test_sessions_per_release_as_a_canary_gate_asks(sentry_standin):
    base = hour(datetime.now(UTC)) - timedelta(hours=3)
    send_canary_sessions(sentry_standin, base)
    assert {e["type"] for e in sentry_standin.events()} == {"sessions"}
    response = sessions(sentry_standin, groupBy="release", project="4501",
                        environment="production", query='release:"web@2" OR release:"web@1"',
                        start=iso(base), end=iso(base + timedelta(hours=2)), interval="1h")
    assert response.status_code == 200
    body = response.json()
    assert missing(SESSIONS, body) == set()
    assert body["intervals"] == [iso(base), iso(base + timedelta(hours=1))]
    assert (body["start"], body["end"]) == (iso(base), iso(base + timedelta(hours=2)))
    assert body["query"] == 'release:"web@2" OR release:"web@1"'
    assert body["groups"] == [
        {"by": {"release": "web@1"}, "totals": {"sum(session)": 2},
         "series": {"sum(session)": [2, 0]}},
        {"by": {"release": "web@2"}, "totals": {"sum(session)": 5},
         "series": {"sum(session)": [0, 5]}},
    ]


def test_group_by_status_environment_and_filters(sentry_standin):
    base = hour(datetime.now(UTC)) - timedelta(hours=3)
    send_canary_sessions(sentry_standin, base)
    by_status = sessions(sentry_standin, groupBy="session.status", query="release:web@2",
                         environment="production", statsPeriod="1d").json()
    assert {g["by"]["session.status"]: g["totals"]["sum(session)"]
            for g in by_status["groups"]} == {"healthy": 3, "errored": 1, "crashed": 1}
    by_env = sessions(sentry_standin, groupBy=["environment", "release"],
                      query="release:[web@1,web@2]", includeSeries="0").json()
    assert [(g["by"], g["totals"]) for g in by_env["groups"]] == [
        ({"environment": "production", "release": "web@1"}, {"sum(session)": 2}),
        ({"environment": "production", "release": "web@2"}, {"sum(session)": 5}),
        ({"environment": "staging", "release": "web@2"}, {"sum(session)": 4}),
    ]
    assert all("series" not in g for g in by_env["groups"])
    total = sessions(sentry_standin, query="environment:staging", includeTotals="0").json()
    assert total["groups"][0]["by"] == {}
    assert sum(total["groups"][0]["series"]["sum(session)"]) == 4
    assert "totals" not in total["groups"][0]
    ordered = sessions(sentry_standin, groupBy="release", orderBy="-sum(session)").json()
    assert [g["by"]["release"] for g in ordered["groups"]] == ["web@2", "web@1"]
    assert sessions(sentry_standin, project="api").json()["groups"][0]["totals"] == {
        "sum(session)": 0}


def test_single_sessions_count_once_with_their_status_and_user(sentry_standin):
    started = datetime.now(UTC) - timedelta(minutes=5)
    with sdk_app(sentry_standin, "web@3") as app:
        app.sessions(started, "exited", user="u1", mode="application")
        app.sessions(started, "crashed", user="u2", mode="application")
        app.sessions(started, "abnormal", user="u1", mode="application")
    assert {e["type"] for e in sentry_standin.events()} == {"session"}
    body = sessions(sentry_standin, field=["sum(session)", "count_unique(user)"],
                    groupBy="session.status", statsPeriod="1h").json()
    assert {g["by"]["session.status"]: g["totals"] for g in body["groups"]} == {
        "healthy": {"sum(session)": 1, "count_unique(user)": 1},
        "crashed": {"sum(session)": 1, "count_unique(user)": 1},
        "abnormal": {"sum(session)": 1, "count_unique(user)": 1},
    }


def test_range_is_rounded_to_the_interval(sentry_standin):
    start = datetime(2026, 3, 1, 10, 20, tzinfo=UTC)
    body = sessions(sentry_standin, start=iso(start),
                    end=iso(start + timedelta(minutes=50))).json()
    assert (body["start"], body["end"]) == ("2026-03-01T10:00:00Z", "2026-03-01T12:00:00Z")
    assert body["intervals"] == ["2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z"]
    assert body["groups"][0]["series"] == {"sum(session)": [0, 0]}
    same = sessions(sentry_standin, start=iso(start), end=iso(start)).json()
    assert same["intervals"] == ["2026-03-01T10:00:00Z"]
    daily = sessions(sentry_standin, start=iso(start), end=iso(start + timedelta(days=1)),
                     interval="1d").json()
    assert daily["intervals"] == ["2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"]
    six = sessions(sentry_standin, start=iso(start), end=iso(start), interval="6h").json()
    assert six["start"] == "2026-03-01T06:00:00Z"


def test_bad_input_is_a_400_with_a_detail(sentry_standin):
    for params in ({"interval": "30m"}, {"interval": "5h"}, {"interval": "2d"},
                   {"interval": "often"}, {"field": "p50(session.duration)"},
                   {"groupBy": "browser"}, {"query": "browser:firefox"},
                   {"start": "2026-01-01T00:00:00Z"}, {"orderBy": "sum(user)"},
                   {"query": 'release:"a" OR'}, {"per_page": "0"}):
        response = sessions(sentry_standin, **params)
        assert response.status_code == 400, params
        assert set(response.json()) == {"detail"}, params
    missing_field = call(sentry_standin, "GET", SESSIONS_PATH)
    assert missing_field.status_code == 400


def test_needs_an_org_scope(make_sentry_standin, tmp_path):
    seed = load_seed()
    seed["tokens"]["sntrys_test_events_only"] = ["event:read", "project:read"]
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(seed))
    standin = make_sentry_standin(seed=str(seed_file))
    refused = sessions(standin, token="sntrys_test_events_only")
    assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    issues = call(standin, "GET", "organizations/acme/issues/", token="sntrys_test_events_only")
    assert issues.status_code == 200
