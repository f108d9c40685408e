"""Organization, projects, teams and members: shapes, ids and the email-target lookups."""

from __future__ import annotations

from standin_fields import (
    MEMBER,
    NOT_FOUND,
    ORGANIZATION,
    PROJECT_DETAIL,
    PROJECT_IN_LIST,
    TEAM,
    TEAM_MEMBER,
    call,
    missing,
)


def test_organization_by_slug_and_id(sentry_standin):
    for ident in ("acme", "1"):
        response = call(sentry_standin, "GET", f"organizations/{ident}/")
        assert response.status_code == 200
        body = response.json()
        assert missing(ORGANIZATION, body) == set()
        assert (body["id"], body["slug"]) == ("1", "acme")


def test_unknown_organization_is_404(sentry_standin):
    response = call(sentry_standin, "GET", "organizations/nope/teams/")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_org_projects_list_shape(sentry_standin):
    body = call(sentry_standin, "GET", "organizations/acme/projects/").json()
    assert [p["slug"] for p in body] == ["api", "web"]
    for project in body:
        assert missing(PROJECT_IN_LIST, project) == set()
        assert isinstance(project["id"], str)


def test_project_detail_by_slug_or_id(sentry_standin):
    by_slug = call(sentry_standin, "GET", "projects/acme/web/").json()
    by_id = call(sentry_standin, "GET", "projects/acme/4501/").json()
    assert missing(PROJECT_DETAIL, by_slug) == set()
    assert by_slug["id"] == by_id["id"] == "4501"
    assert by_slug["slug"] == by_id["slug"] == "web"
    assert [t["slug"] for t in by_slug["teams"]] == ["backend"]
    assert by_slug["organization"]["slug"] == "acme"


def test_unknown_project_is_404(sentry_standin):
    response = call(sentry_standin, "GET", "projects/acme/nope/")
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_org_teams_carry_ids_and_projects(sentry_standin):
    teams = call(sentry_standin, "GET", "organizations/acme/teams/").json()
    assert {t["slug"]: t["id"] for t in teams} == {"backend": "2001", "frontend": "2002"}
    for team in teams:
        assert missing(TEAM, team) == set()
    backend = next(t for t in teams if t["slug"] == "backend")
    assert [p["slug"] for p in backend["projects"]] == ["web"]
    assert backend["memberCount"] == 1
    plain = call(sentry_standin, "GET", "organizations/acme/teams/", params={"detailed": "0"})
    assert all("projects" not in t for t in plain.json())


def test_org_teams_query_filters_by_slug(sentry_standin):
    teams = call(sentry_standin, "GET", "organizations/acme/teams/",
                 params={"query": "front"}).json()
    assert [t["slug"] for t in teams] == ["frontend"]


def test_org_members_user_id_differs_from_member_id(sentry_standin):
    response = call(sentry_standin, "GET", "organizations/acme/members/",
                    params={"per_page": 100})
    members = response.json()
    for _ in range(10):
        if response.links["next"]["results"] != "true":
            break
        response = call(sentry_standin, "GET", "organizations/acme/members/",
                        params={"cursor": response.links["next"]["cursor"]})
        members += response.json()
    by_email = {m["email"]: m for m in members}
    assert set(by_email) == {"alice@example.com", "bob@example.com", "carol@example.com"}
    for member in members:
        assert missing(MEMBER, member) == set()
    alice = by_email["alice@example.com"]
    assert (alice["id"], alice["user"]["id"]) == ("3001", "9001")
    assert alice["user"]["email"] == "alice@example.com"
    carol = by_email["carol@example.com"]
    assert carol["user"] is None
    assert carol["pending"] is True
    assert carol["inviteStatus"] == "pending"


def test_team_members(sentry_standin):
    response = call(sentry_standin, "GET", "teams/acme/backend/members/")
    assert response.status_code == 200
    members = response.json()
    assert [m["email"] for m in members] == ["alice@example.com"]
    assert missing(TEAM_MEMBER, members[0]) == set()
    assert members[0]["teamSlug"] == "backend"
    assert call(sentry_standin, "GET", "teams/acme/nope/members/").status_code == 404


def test_project_teams_and_members_follow_attached_teams(sentry_standin):
    teams = call(sentry_standin, "GET", "projects/acme/web/teams/").json()
    assert [t["slug"] for t in teams] == ["backend"]
    members = call(sentry_standin, "GET", "projects/acme/web/members/")
    assert members.status_code == 200
    assert "Link" not in members.headers
    assert [m["user"]["id"] for m in members.json()] == ["9001"]
    api_members = call(sentry_standin, "GET", "projects/acme/api/members/").json()
    assert [m["email"] for m in api_members] == ["bob@example.com"]
