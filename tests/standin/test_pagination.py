"""Link-header pagination as Sentry's docs describe it, with a page size of 2."""

from __future__ import annotations

import re

import pytest
import requests
from standin_fields import FULL, RATE_LIMIT_HEADERS, call, email_workflow

LINK = re.compile(
    r'^<(?P<prev_url>[^>]+)>; rel="previous"; results="(?P<prev_results>true|false)"; '
    r'cursor="(?P<prev_cursor>[^"]+)", '
    r'<(?P<next_url>[^>]+)>; rel="next"; results="(?P<next_results>true|false)"; '
    r'cursor="(?P<next_cursor>[^"]+)"$'
)
CURSOR = re.compile(r"^\d+:\d+:[01]$")


def parse_link(response):
    match = LINK.match(response.headers["Link"])
    assert match, response.headers["Link"]
    assert CURSOR.match(match["prev_cursor"]) and CURSOR.match(match["next_cursor"])
    assert match["next_url"].endswith(f"cursor={match['next_cursor']}")
    return match


def walk(url):
    """Follow rel=next while results="true"; returns the pages."""
    pages = []
    for _ in range(20):
        response = requests.get(url, headers={"Authorization": f"Bearer {FULL}"}, timeout=10)
        assert response.status_code == 200
        pages.append(response)
        link = parse_link(response)
        if link["next_results"] == "false":
            return pages
        url = link["next_url"]
    raise AssertionError("pagination did not end")


def test_walk_members_page_by_page(sentry_standin):
    pages = walk(f"{sentry_standin.api_url}/organizations/acme/members/")
    assert [len(p.json()) for p in pages] == [2, 1]
    first, last = parse_link(pages[0]), parse_link(pages[-1])
    assert (first["prev_results"], first["next_results"]) == ("false", "true")
    assert (last["prev_results"], last["next_results"]) == ("true", "false")
    emails = [m["email"] for p in pages for m in p.json()]
    assert sorted(emails) == ["alice@example.com", "bob@example.com", "carol@example.com"]


def test_walk_many_workflows_keeps_filters(sentry_standin):
    for index in range(5):
        call(sentry_standin, "POST", "organizations/acme/workflows/",
             json=email_workflow(f"alert {index}"))
    pages = walk(f"{sentry_standin.api_url}/organizations/acme/workflows/?project=web")
    assert [len(p.json()) for p in pages] == [2, 2, 1]
    assert all("project=web" in parse_link(p)["next_url"] for p in pages)
    names = [w["name"] for p in pages for w in p.json()]
    assert names == [f"alert {i}" for i in range(5)]


def test_previous_link_goes_back(sentry_standin):
    pages = walk(f"{sentry_standin.api_url}/organizations/acme/members/")
    back = requests.get(parse_link(pages[-1])["prev_url"],
                        headers={"Authorization": f"Bearer {FULL}"}, timeout=10)
    assert back.json() == pages[0].json()


def test_per_page_where_sentry_has_it(sentry_standin):
    teams = call(sentry_standin, "GET", "organizations/acme/teams/", params={"per_page": 1})
    assert len(teams.json()) == 1
    assert parse_link(teams)["next_cursor"] == "1:1:0"
    both = call(sentry_standin, "GET", "organizations/acme/teams/", params={"per_page": 100})
    assert len(both.json()) == 2
    assert parse_link(both)["next_results"] == "false"


def test_per_page_is_ignored_where_sentry_does_not_document_it(sentry_standin):
    for index in range(3):
        call(sentry_standin, "POST", "organizations/acme/workflows/",
             json=email_workflow(f"alert {index}"))
    page = call(sentry_standin, "GET", "organizations/acme/workflows/", params={"per_page": 100})
    assert len(page.json()) == 2
    assert parse_link(page)["next_results"] == "true"


@pytest.mark.parametrize(
    "params",
    [{"per_page": 101}, {"per_page": 0}, {"per_page": "many"}, {"cursor": "abc"},
     {"cursor": "2:-1:0"}, {"cursor": "2:1"}],
)
def test_bad_paging_parameters_are_400(sentry_standin, params):
    response = call(sentry_standin, "GET", "organizations/acme/teams/", params=params)
    assert response.status_code == 400
    assert "detail" in response.json()


def test_every_api_answer_has_rate_limit_headers(sentry_standin):
    answers = [
        call(sentry_standin, "GET", "organizations/acme/"),
        call(sentry_standin, "GET", "organizations/acme/", token=None),
        call(sentry_standin, "GET", "projects/acme/nope/"),
        call(sentry_standin, "POST", "organizations/acme/releases/", json={}),
    ]
    assert [a.status_code for a in answers] == [200, 401, 404, 400]
    for answer in answers:
        for header in RATE_LIMIT_HEADERS:
            assert answer.headers[header].isdigit(), header
