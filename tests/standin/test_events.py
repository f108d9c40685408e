"""Reading events back: project events, one event, and the Explore table searched by tag."""

from __future__ import annotations

import json
import uuid

import requests
from standin_fields import API_KEY, WEB_KEY, call, missing

PROJECT_EVENT = {
    "crashFile", "culprit", "dateCreated", "event.type", "eventID", "groupID", "id", "location",
    "message", "metadata", "platform", "projectID", "tags", "title", "user",
}


def send(standin, key=WEB_KEY, project="4501", tags=None, message="boom", **extra):
    event_id = uuid.uuid4().hex
    payload = {"event_id": event_id, "timestamp": 1767225600.5, "platform": "python",
               "level": "error", "message": message, "tags": tags or {}, **extra}
    data = json.dumps(payload).encode()
    body = b"\n".join([json.dumps({"event_id": event_id}).encode(),
                       json.dumps({"type": "event", "length": len(data)}).encode(), data])
    response = requests.post(f"{standin.url}/api/{project}/envelope/?sentry_key={key}",
                             data=body, timeout=10)
    assert response.status_code == 200
    return event_id


def explore(standin, query, fields=("id", "rotation"), token=None, **params):
    params = {"dataset": "errors", "field": list(fields), "query": query, **params}
    return call(standin, "GET", "organizations/acme/events/", params=params,
                **({"token": token} if token else {}))


def test_explore_finds_an_event_by_tag(sentry_standin):
    wanted = send(sentry_standin, tags={"rotation": "abc-web1"}, environment="production")
    send(sentry_standin, tags={"rotation": "abc-web2"})
    send(sentry_standin, key=API_KEY, project="4502", tags={"rotation": "abc-web1"})
    response = explore(sentry_standin, "rotation:abc-web1", project="4501")
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == [{"id": wanted, "rotation": "abc-web1"}]
    assert body["meta"]["fields"] == {"id": "string", "rotation": "string"}
    both = explore(sentry_standin, "tags[rotation]:abc-web1", fields=("id", "project.id"))
    assert sorted(r["project.id"] for r in both.json()["data"]) == [4501, 4502]
    env = explore(sentry_standin, "environment:production !rotation:abc-web2")
    assert [r["id"] for r in env.json()["data"]] == [wanted]


def test_explore_checks_its_parameters(sentry_standin):
    assert explore(sentry_standin, "x:y", fields=()).status_code == 400
    assert explore(sentry_standin, "x:y", dataset="nope").status_code == 400
    assert explore(sentry_standin, "x:y", dataset="spans").json()["data"] == []
    assert explore(sentry_standin, "", fields=("p99(duration)",)).status_code == 400


def test_explore_needs_an_org_scope(sentry_standin):
    response = call(sentry_standin, "GET", "organizations/acme/events/",
                    params={"dataset": "errors", "field": "id"}, token="sntrys_test_nothing")
    assert response.status_code == 401


def test_project_events_list_and_detail(sentry_standin):
    first = send(sentry_standin, tags={"rotation": "one"}, release="web@1")
    second = send(sentry_standin, tags={"rotation": "two"})
    listed = call(sentry_standin, "GET", "projects/acme/web/events/")
    assert listed.status_code == 200
    assert {e["id"] for e in listed.json()} == {first, second}
    assert [missing(PROJECT_EVENT, e) for e in listed.json()] == [set(), set()]
    found = call(sentry_standin, "GET", "projects/acme/web/events/",
                 params={"query": "rotation:one"}).json()
    assert [e["eventID"] for e in found] == [first]
    assert {"key": "release", "value": "web@1"} in found[0]["tags"]
    detail = call(sentry_standin, "GET", f"projects/acme/web/events/{first}/")
    assert detail.status_code == 200
    assert detail.json()["dateCreated"] == "2026-01-01T00:00:00Z"
    assert call(sentry_standin, "GET", f"projects/acme/api/events/{first}/").status_code == 404
