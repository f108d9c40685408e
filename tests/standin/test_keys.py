"""Client keys (DSNs): shapes, the dsn object, create/update/delete and the status filter."""

from __future__ import annotations

import pytest
from standin_fields import API_KEY, DSN, KEY, NOT_FOUND, WEB_KEY, call, missing

KEYS = "projects/acme/web/keys/"


def test_default_key_shape_and_dsn(sentry_standin):
    response = call(sentry_standin, "GET", KEYS)
    assert response.status_code == 200
    keys = response.json()
    assert [k["name"] for k in keys] == ["Default"]
    key = keys[0]
    assert missing(KEY, key) == set()
    assert key["id"] == key["public"] == WEB_KEY
    assert key["projectId"] == 4501
    assert key["isActive"] is True
    assert key["label"] == key["name"]
    assert set(key["dsn"]) == DSN
    host = sentry_standin.url.removeprefix("http://")
    assert key["dsn"]["public"] == f"http://{WEB_KEY}@{host}/4501"
    assert key["dsn"]["secret"] == f"http://{WEB_KEY}:{key['secret']}@{host}/4501"
    assert key["dsn"]["csp"] == f"{sentry_standin.url}/api/4501/csp-report/?sentry_key={WEB_KEY}"
    assert key["dsn"]["crons"].endswith(f"/api/4501/crons/___MONITOR_SLUG___/{WEB_KEY}/")
    assert key["dsn"]["otlp_logs"] == f"{sentry_standin.url}/api/4501/integration/otlp/v1/logs"


def test_public_url_goes_into_dsn(make_sentry_standin):
    standin = make_sentry_standin(public_url="http://sentry.internal:9000")
    key = call(standin, "GET", "projects/acme/api/keys/").json()[0]
    assert key["dsn"]["public"] == f"http://{API_KEY}@sentry.internal:9000/4502"
    assert key["dsn"]["minidump"].startswith("http://sentry.internal:9000/api/4502/minidump/")


def test_key_by_id_in_its_project_only(sentry_standin):
    assert call(sentry_standin, "GET", f"{KEYS}{WEB_KEY}/").json()["public"] == WEB_KEY
    wrong = call(sentry_standin, "GET", f"projects/acme/api/keys/{WEB_KEY}/")
    assert (wrong.status_code, wrong.json()) == (404, NOT_FOUND)


def test_create_update_delete(sentry_standin):
    created = call(sentry_standin, "POST", KEYS, json={"name": "Rotation 2",
                                                       "rateLimit": {"count": 100,
                                                                     "window": 60}})
    assert created.status_code == 201
    key = created.json()
    assert missing(KEY, key) == set()
    assert key["public"] != WEB_KEY
    assert len(key["public"]) == 32
    assert key["rateLimit"] == {"count": 100, "window": 60}
    path = f"{KEYS}{key['id']}/"
    refused = call(sentry_standin, "PUT", path, json={"rateLimit": None})
    assert refused.status_code == 400  # the schema's rateLimit is an object, not nullable
    updated = call(sentry_standin, "PUT", path, json={"isActive": False,
                                                      "rateLimit": {"window": None,
                                                                    "count": None}})
    assert updated.status_code == 200
    assert (updated.json()["isActive"], updated.json()["rateLimit"]) == (False, None)
    deleted = call(sentry_standin, "DELETE", path)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert call(sentry_standin, "GET", path).status_code == 404


def test_status_filter(sentry_standin):
    spare = call(sentry_standin, "POST", KEYS, json={"name": "Spare"}).json()
    call(sentry_standin, "PUT", f"{KEYS}{spare['id']}/", json={"isActive": False})
    active = call(sentry_standin, "GET", KEYS, params={"status": "active"}).json()
    inactive = call(sentry_standin, "GET", KEYS, params={"status": "inactive"}).json()
    assert [k["name"] for k in active] == ["Default"]
    assert [k["name"] for k in inactive] == ["Spare"]
    assert call(sentry_standin, "GET", KEYS, params={"status": "odd"}).status_code == 400


def test_org_wide_project_keys(sentry_standin):
    keys = call(sentry_standin, "GET", "organizations/acme/project-keys/").json()
    assert {k["public"] for k in keys} == {WEB_KEY, API_KEY}
    inactive = call(sentry_standin, "GET", "organizations/acme/project-keys/",
                    params={"status": "inactive"}).json()
    assert inactive == []


def test_created_name_is_generated_when_omitted(sentry_standin):
    key = call(sentry_standin, "POST", KEYS, json={}).json()
    assert key["name"]


@pytest.mark.parametrize(
    ("method", "body", "field"),
    [
        ("POST", {"name": "x" * 65}, "name"),
        ("POST", {"rateLimit": {"count": -1, "window": 60}}, "rateLimit"),
        ("POST", {"rateLimit": {"count": 1, "window": 86401}}, "rateLimit"),
        ("POST", {"useCase": "fun"}, "useCase"),
        ("PUT", {"isActive": "no"}, "isActive"),
        ("PUT", {"browserSdkVersion": "9.x"}, "browserSdkVersion"),
        ("PUT", {"dynamicSdkLoaderOptions": {"hasReplay": "yes"}}, "dynamicSdkLoaderOptions"),
    ],
)
def test_invalid_bodies_change_nothing(sentry_standin, method, body, field):
    path = KEYS if method == "POST" else f"{KEYS}{WEB_KEY}/"
    before = sentry_standin.state()["keys"]
    response = call(sentry_standin, method, path, json=body)
    assert response.status_code == 400
    assert field in response.json()
    assert sentry_standin.state()["keys"] == before
