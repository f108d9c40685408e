"""Releases (201, 208 when the version exists) and deploys (201)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from standin_fields import DEPLOY, NOT_FOUND, RELEASE, call, missing

RELEASES = "organizations/acme/releases/"


def release_path(version):
    return f"{RELEASES}{quote(version, safe='')}/"


def test_create_then_already_reported(sentry_standin):
    created = call(sentry_standin, "POST", RELEASES,
                   json={"version": "web@1.2.3", "projects": ["web"], "ref": "abc123"})
    assert created.status_code == 201
    body = created.json()
    assert missing(RELEASE, body) == set()
    assert isinstance(body["id"], int)
    assert (body["version"], body["ref"], body["status"]) == ("web@1.2.3", "abc123", "open")
    assert [p["slug"] for p in body["projects"]] == ["web"]
    assert body["versionInfo"]["package"] == "web"
    again = call(sentry_standin, "POST", RELEASES,
                 json={"version": "web@1.2.3", "projects": ["api"]})
    assert again.status_code == 208
    assert again.json()["id"] == body["id"]
    assert [p["slug"] for p in again.json()["projects"]] == ["web", "api"]


def test_get_list_and_unknown(sentry_standin):
    call(sentry_standin, "POST", RELEASES, json={"version": "web@1.0.0", "projects": ["web"]})
    assert call(sentry_standin, "GET", release_path("web@1.0.0")).json()["version"] == "web@1.0.0"
    listed = call(sentry_standin, "GET", RELEASES, params={"query": "web@"}).json()
    assert [r["version"] for r in listed] == ["web@1.0.0"]
    assert call(sentry_standin, "GET", RELEASES, params={"project": "4502"}).json() == []
    missing_release = call(sentry_standin, "GET", release_path("web@0.0.1"))
    assert (missing_release.status_code, missing_release.json()) == (404, NOT_FOUND)


def test_update_and_delete(sentry_standin):
    call(sentry_standin, "POST", RELEASES, json={"version": "web@2.0.0", "projects": ["web"]})
    path = release_path("web@2.0.0")
    updated = call(sentry_standin, "PUT", path, json={"url": "https://example.com/r/2",
                                                      "dateReleased": "2026-01-02T03:04:05Z"})
    assert updated.status_code == 200
    assert updated.json()["url"] == "https://example.com/r/2"
    assert call(sentry_standin, "DELETE", path).status_code == 204
    assert call(sentry_standin, "GET", path).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"projects": ["web"]}, "version"),
        ({"version": "", "projects": ["web"]}, "version"),
        ({"version": "a/b", "projects": ["web"]}, "version"),
        ({"version": "latest", "projects": ["web"]}, "version"),
        ({"version": "v" * 201, "projects": ["web"]}, "version"),
        ({"version": "web@1"}, "projects"),
        ({"version": "web@1", "projects": []}, "projects"),
        ({"version": "web@1", "projects": ["mobile"]}, "projects"),
        ({"version": "web@1", "projects": ["4501"]}, "projects"),
        ({"version": "web@1", "projects": ["web"], "url": "not a url"}, "url"),
        ({"version": "web@1", "projects": ["web"], "status": "gone"}, "status"),
        ({"version": "web@1", "projects": ["web"], "dateReleased": "yesterday"}, "dateReleased"),
        ({"version": "web@1", "projects": ["web"], "commits": [{"message": "x"}]}, "commits"),
    ],
)
def test_invalid_release_is_refused(sentry_standin, body, field):
    response = call(sentry_standin, "POST", RELEASES, json=body)
    assert response.status_code == 400
    assert field in response.json()
    assert sentry_standin.state()["releases"] == []


def test_deploys(sentry_standin):
    call(sentry_standin, "POST", RELEASES, json={"version": "web@3.0.0", "projects": ["web"]})
    path = release_path("web@3.0.0") + "deploys/"
    created = call(sentry_standin, "POST", path, json={"environment": "production",
                                                       "name": "deploy 1"})
    assert created.status_code == 201
    deploy = created.json()
    assert missing(DEPLOY, deploy) == set()
    assert isinstance(deploy["id"], str)
    assert deploy["dateFinished"]
    listed = call(sentry_standin, "GET", path)
    assert [d["id"] for d in listed.json()] == [deploy["id"]]
    release = call(sentry_standin, "GET", release_path("web@3.0.0")).json()
    assert release["deployCount"] == 1
    assert release["lastDeploy"]["environment"] == "production"
    by_env = call(sentry_standin, "GET", RELEASES, params={"environment": "production"})
    assert [r["version"] for r in by_env.json()] == ["web@3.0.0"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "environment"),
        ({"environment": "a/b"}, "environment"),
        ({"environment": "e" * 65}, "environment"),
        ({"environment": "prod", "url": "ftp:nothing"}, "url"),
        ({"environment": "prod", "projects": ["api"]}, "projects"),
    ],
)
def test_invalid_deploy_is_refused(sentry_standin, body, field):
    call(sentry_standin, "POST", RELEASES, json={"version": "web@4.0.0", "projects": ["web"]})
    response = call(sentry_standin, "POST", release_path("web@4.0.0") + "deploys/", json=body)
    assert response.status_code == 400
    assert field in response.json()
    assert sentry_standin.state()["deploys"] == {"web@4.0.0": []}


def test_deploy_for_unknown_release_is_404(sentry_standin):
    response = call(sentry_standin, "POST", release_path("nope@1") + "deploys/",
                    json={"environment": "production"})
    assert response.status_code == 404
