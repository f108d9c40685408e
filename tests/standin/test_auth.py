"""Bearer tokens and scopes: 401 without a valid token, 403 without one of the listed scopes."""

from __future__ import annotations

import pytest
from standin_fields import FORBIDDEN, FULL, NOALERTS, NOT_FOUND, READONLY, WEB_KEY, call

from tools.sentry_standin.state import load_seed

RELEASE = {"version": "web@9.9.9", "projects": ["web"]}


def test_missing_token_is_401(sentry_standin):
    response = call(sentry_standin, "GET", "organizations/acme/", token=None)
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize("header", ["Bearer wrong", "Basic dXNlcjpwdw==", "Bearer "])
def test_bad_token_is_401(sentry_standin, header):
    response = call(sentry_standin, "GET", "organizations/acme/", token=None,
                    headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token"}


@pytest.mark.parametrize(
    ("token", "method", "path", "body", "status"),
    [
        (READONLY, "GET", "organizations/acme/detectors/", None, 200),
        (READONLY, "GET", "organizations/acme/workflows/", None, 200),
        (READONLY, "POST", "organizations/acme/workflows/", {"name": "x"}, 403),
        (NOALERTS, "POST", "organizations/acme/workflows/", {"name": "x"}, 403),
        (READONLY, "GET", "projects/acme/web/keys/", None, 200),
        (READONLY, "POST", "projects/acme/web/keys/", {}, 403),
        (READONLY, "PUT", f"projects/acme/web/keys/{WEB_KEY}/", {"isActive": False}, 403),
        (READONLY, "DELETE", f"projects/acme/web/keys/{WEB_KEY}/", None, 403),
        (READONLY, "POST", "organizations/acme/releases/", RELEASE, 403),
        (NOALERTS, "POST", "organizations/acme/releases/", RELEASE, 201),
        (READONLY, "GET", "organizations/acme/members/", None, 200),
        (READONLY, "GET", "teams/acme/backend/members/", None, 200),
        (FULL, "POST", "projects/acme/web/keys/", {"name": "extra"}, 201),
    ],
)
def test_scopes_per_operation(sentry_standin, token, method, path, body, status):
    response = call(sentry_standin, method, path, token=token, json=body)
    assert response.status_code == status
    if status == 403:
        assert response.json() == FORBIDDEN


def test_write_without_scope_changes_nothing(sentry_standin):
    before = sentry_standin.state()
    call(sentry_standin, "DELETE", f"projects/acme/web/keys/{WEB_KEY}/", token=READONLY)
    call(sentry_standin, "POST", "organizations/acme/workflows/", token=NOALERTS,
         json={"name": "x"})
    assert sentry_standin.state() == before


def test_key_delete_needs_project_admin(make_sentry_standin):
    seed = _seed_with_token("sntrys_writer", ["project:read", "project:write"])
    standin = make_sentry_standin(seed=seed)
    path = f"projects/acme/web/keys/{WEB_KEY}/"
    assert call(standin, "PUT", path, token="sntrys_writer",
                json={"name": "Renamed"}).status_code == 200
    assert call(standin, "DELETE", path, token="sntrys_writer").status_code == 403
    assert call(standin, "DELETE", path, token=FULL).status_code == 204


def test_unknown_org_is_404_before_scope_check(sentry_standin):
    response = call(sentry_standin, "POST", "organizations/nope/workflows/", token=READONLY,
                    json={"name": "x"})
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_unknown_path_and_wrong_method(sentry_standin):
    assert call(sentry_standin, "GET", "organizations/acme/nothing/").status_code == 404
    assert call(sentry_standin, "DELETE", "organizations/acme/teams/").status_code == 405


def _seed_with_token(token, scopes):
    seed = load_seed()
    seed["tokens"][token] = scopes
    return seed
