"""The Explore table's aggregates: error counts per release, as a canary gate asks for them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from standin_fields import call
from standin_sdk import sdk_app

EVENTS = "organizations/acme/events/"


def explore(standin, fields=("release", "count()"), **params):
    return call(standin, "GET", EVENTS, params={"dataset": "errors", "field": list(fields),
                                                **params})


def send_errors(standin, now):
    with sdk_app(standin, "web@1") as app:
        app.error(ValueError, "a", user={"id": "u1"})
        app.error(ValueError, "a", user={"id": "u2"}, at=now - timedelta(hours=3))
    with sdk_app(standin, "web@2") as app:
        for user in ("u1", "u1", "u3"):
            app.error(KeyError, "b", user={"id": user})
    with sdk_app(standin, "web@2", environment="staging") as app:
        app.error(KeyError, "b")
    with sdk_app(standin, "api@1", project="4502") as app:
        app.error(KeyError, "b")


def test_error_counts_per_release(sentry_standin):
    now = datetime.now(UTC)
    send_errors(sentry_standin, now)
    response = explore(sentry_standin, project="4501", environment="production",
                       query='release:["web@2","web@1"]',
                       start=(now - timedelta(hours=1)).isoformat(),
                       end=(now + timedelta(minutes=5)).isoformat())
    assert response.status_code == 200
    body = response.json()
    assert sorted(body["data"], key=lambda r: r["release"]) == [
        {"release": "web@1", "count()": 1}, {"release": "web@2", "count()": 3}]
    assert body["meta"]["fields"] == {"release": "string", "count()": "integer"}
    whole = explore(sentry_standin, query="release:[web@1,web@2]", sort="-count()",
                    per_page="100").json()["data"]
    assert whole == [{"release": "web@2", "count()": 4}, {"release": "web@1", "count()": 2}]
    recent = explore(sentry_standin, query="release:web@1", statsPeriod="1h").json()["data"]
    assert recent == [{"release": "web@1", "count()": 1}]


def test_count_unique_and_totals_without_a_group(sentry_standin):
    send_errors(sentry_standin, datetime.now(UTC))
    rows = explore(sentry_standin, fields=("release", "count_unique(user)"),
                   query="release:web@2", environment="production").json()["data"]
    assert rows == [{"release": "web@2", "count_unique(user)": 2}]
    total = explore(sentry_standin, fields=("count()",), project="api").json()["data"]
    assert total == [{"count()": 1}]
    staging = explore(sentry_standin, environment=["staging", "production"],
                      query="!release:web@1", fields=("count()",)).json()["data"]
    assert staging == [{"count()": 5}]


def test_aggregate_parameters_are_checked(sentry_standin):
    for params in ({"sort": "-count_unique(user)"}, {"start": "2026-01-01T00:00:00Z"},
                   {"statsPeriod": "forever"}, {"query": "timestamp:>=later"}):
        response = explore(sentry_standin, **params)
        assert response.status_code == 400, params
        assert set(response.json()) == {"detail"}
    assert explore(sentry_standin, fields=("count_unique()",)).status_code == 400
