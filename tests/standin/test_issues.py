"""The org issues list: events sent by the real SDK, grouped and searched as on Sentry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import requests
from standin_fields import FORBIDDEN, ISSUE, NOALERTS, READONLY, call, missing
from standin_sdk import sdk_app

ISSUES = "organizations/acme/issues/"


def issues(standin, token=None, **params):
    return call(standin, "GET", ISSUES, params=params, **({"token": token} if token else {}))


def next_link(response):
    found = re.search(r'<([^>]+)>; rel="next"; results="true"', response.headers["Link"])
    return found[1] if found else None


def test_events_are_grouped_into_issues_with_every_required_field(sentry_standin):
    with sdk_app(sentry_standin, "web@2") as app:
        for user in ("u1", "u2", "u1"):
            app.error(ValueError, f"bad value for {user}", user={"id": user})
        app.error(KeyError, "a", fingerprint=["cache-miss"])
        app.error(TypeError, "b", fingerprint=["cache-miss"])
        app.message("disk almost full")
        app.message("disk almost full")
    with sdk_app(sentry_standin, "api@1", project="4502") as app:
        app.error(ValueError, "bad value")
    response = issues(sentry_standin, project="web", limit=10)
    assert response.status_code == 200
    assert response.headers["X-Hits"] == "3"
    found = {i["shortId"]: i for i in response.json()}
    assert sorted(found) == ["WEB-1", "WEB-2", "WEB-3"]
    assert [missing(ISSUE, i) for i in found.values()] == [set()] * 3
    values = found["WEB-1"]
    assert (values["count"], values["userCount"]) == ("3", 2)
    assert values["title"] == "ValueError: bad value for u1"
    assert values["culprit"] == "standin_sdk in error"
    assert values["type"] == "error" and values["status"] == "unresolved"
    assert values["metadata"]["type"] == "ValueError"
    assert values["project"] == {"id": "4501", "name": "Web", "slug": "web",
                                 "platform": "python-django"}
    assert values["permalink"] == f"{sentry_standin.url}/organizations/acme/issues/{values['id']}/"
    assert values["firstSeen"] <= values["lastSeen"]
    assert found["WEB-2"]["count"] == "2"  # one fingerprint, two exception types
    assert (found["WEB-3"]["title"], found["WEB-3"]["type"]) == ("disk almost full", "default")
    again = issues(sentry_standin, project="web", limit=10).json()
    assert {i["shortId"]: i["id"] for i in again} == {k: v["id"] for k, v in found.items()}
    both = issues(sentry_standin, project=["4501", "api"], limit=10)
    assert both.headers["X-Hits"] == "4"
    assert "API-1" in {i["shortId"] for i in both.json()}


def test_new_issues_of_a_release_since_a_moment(sentry_standin):
    t0 = datetime.now(UTC) - timedelta(minutes=30)
    with sdk_app(sentry_standin, "web@1") as app:
        app.error(ValueError, "old", at=t0 - timedelta(hours=2))
        app.error(KeyError, "before t0", at=t0 - timedelta(minutes=5))
    with sdk_app(sentry_standin, "web@2") as app:
        app.error(ValueError, "old")  # same issue, first seen in web@1
        app.error(RuntimeError, "new in web@2")
        app.error(RuntimeError, "new in web@2")
        app.error(ZeroDivisionError, "new too")
    query = f'firstRelease:"web@2" firstSeen:>={t0.strftime("%Y-%m-%dT%H:%M:%SZ")}'
    response = issues(sentry_standin, project="4501", environment="production", query=query,
                      start=(t0 - timedelta(hours=3)).isoformat(),
                      end=datetime.now(UTC).isoformat(), limit=25, sort="new")
    assert response.status_code == 200
    assert response.headers["X-Hits"] == "2"
    body = response.json()
    assert sorted(i["title"] for i in body) == ["RuntimeError: new in web@2",
                                                "ZeroDivisionError: new too"]
    assert {i["title"]: i["count"] for i in body}["RuntimeError: new in web@2"] == "2"
    assert body[0]["firstSeen"] >= body[1]["firstSeen"]
    in_release = issues(sentry_standin, query="release:web@2", limit=10).json()
    assert "ValueError: old" in {i["title"] for i in in_release}
    old_first = issues(sentry_standin, query="firstRelease:web@1", limit=10).json()
    assert sorted(i["title"] for i in old_first) == ["KeyError: 'before t0'", "ValueError: old"]
    before = issues(sentry_standin, query=f"firstSeen:<{t0.isoformat()}", limit=10).json()
    assert len(before) == 2


def test_counts_are_over_the_environment_and_range(sentry_standin):
    now = datetime.now(UTC)
    with sdk_app(sentry_standin, "web@1") as app:
        app.error(ValueError, "x", at=now - timedelta(hours=5))
        app.error(ValueError, "x", at=now - timedelta(hours=1))
        app.error(ValueError, "x", at=now - timedelta(days=20))
    with sdk_app(sentry_standin, "web@1", environment="staging") as app:
        app.error(ValueError, "x")
        app.error(OSError, "only staging")
    default = issues(sentry_standin, environment="production").json()
    assert [(i["count"], i["lifetime"]["count"]) for i in default] == [("2", "4")]
    assert default[0]["matchingEventEnvironment"] == "production"
    recent = issues(sentry_standin, environment="production", statsPeriod="2h").json()
    assert [i["count"] for i in recent] == ["1"]
    span = issues(sentry_standin, start=(now - timedelta(days=30)).isoformat(),
                  end=(now - timedelta(days=10)).isoformat()).json()
    assert [i["count"] for i in span] == ["1"]
    both = issues(sentry_standin, environment=["production", "staging"])
    assert both.headers["X-Hits"] == "2"
    by_query = issues(sentry_standin, query="environment:staging")
    assert sorted(i["count"] for i in by_query.json()) == ["1", "1"]
    not_staging = issues(sentry_standin, query="!environment:staging").json()
    assert [i["count"] for i in not_staging] == ["2"]
    assert issues(sentry_standin, query="is:sideways", project="api").status_code == 400


def test_query_terms_and_defaults(sentry_standin):
    with sdk_app(sentry_standin, "web@1") as app:
        app.error(ValueError, "needle in here")
        app.message("plain words")
    assert issues(sentry_standin).headers["X-Hits"] == "2"  # default is:unresolved
    assert issues(sentry_standin, query="").headers["X-Hits"] == "2"
    assert issues(sentry_standin, query="is:resolved").json() == []
    assert [i["title"] for i in issues(sentry_standin, query="needle").json()] == [
        "ValueError: needle in here"]
    assert len(issues(sentry_standin, query="level:error is:unresolved").json()) == 2
    assert issues(sentry_standin, query="level:fatal").json() == []
    bad = issues(sentry_standin, query="colour:blue")
    assert bad.status_code == 400
    assert "colour" in bad.json()["detail"]
    for params in ({"query": "is:sideways"}, {"sort": "alphabet"}, {"start": "yesterday"},
                   {"start": "2026-01-01T00:00:00"}, {"statsPeriod": "2x"}, {"limit": "101"},
                   {"query": "firstSeen:>=soon"}):
        response = issues(sentry_standin, **params)
        assert response.status_code == 400, params
        assert set(response.json()) == {"detail"}


def test_pages_follow_link_and_x_hits_counts_them_all(sentry_standin):
    kinds = [ValueError, KeyError, TypeError, OSError, RuntimeError]
    with sdk_app(sentry_standin, "web@1") as app:
        for kind in kinds:
            app.error(kind, "x")
    first = issues(sentry_standin, sort="new")
    assert len(first.json()) == 2  # the stand-in's page size without `limit`
    seen, response = [], first
    while True:
        assert response.headers["X-Hits"] == "5"
        seen += [i["id"] for i in response.json()]
        url = next_link(response)
        if url is None:
            break
        response = requests.get(url, headers=sentry_standin.headers(), timeout=10)
    assert len(seen) == len(set(seen)) == 5
    assert len(issues(sentry_standin, limit=3).json()) == 3
    freq = issues(sentry_standin, sort="freq", limit=100)
    assert next_link(freq) is None and len(freq.json()) == 5


def test_needs_an_event_scope(sentry_standin):
    assert issues(sentry_standin, token=READONLY).status_code == 200
    refused = issues(sentry_standin, token=NOALERTS)
    assert (refused.status_code, refused.json()) == (403, FORBIDDEN)
    assert issues(sentry_standin, token="sntrys_unknown").status_code == 401
    assert call(sentry_standin, "POST", ISSUES, json={}).status_code == 405
