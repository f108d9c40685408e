"""sentry_alert against the Sentry stand-in, on the current (workflows) and legacy (rules) API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sentry_harness import run_module

PROJECT = "/api/0/projects/acme/web/"
DETECTORS = "/api/0/organizations/acme/detectors/"
WORKFLOWS = "/api/0/organizations/acme/workflows/"
RULES = "/api/0/projects/acme/web/rules/"
ENVIRONMENTS = "/api/0/organizations/acme/environments/"
LOOKUP = [("GET", PROJECT), ("GET", DETECTORS)]
LISTING = {
    "current": [*LOOKUP, ("GET", WORKFLOWS), ("GET", ENVIRONMENTS)],
    "legacy": [*LOOKUP, ("GET", RULES), ("GET", ENVIRONMENTS)],
}
CREATE = {"current": ("POST", WORKFLOWS), "legacy": ("POST", RULES)}
API = {"current": "workflows", "legacy": "rules"}


@pytest.fixture(params=["current", "legacy"])
def standin(request: pytest.FixtureRequest, make_sentry_standin: Callable[..., Any]) -> Any:
    return make_sentry_standin(mode=request.param, page_size=2)


def args(standin: Any, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "api_url": standin.url,
        "api_token": standin.full_token,
        "org": "acme",
        "project": "web",
        "name": "New issue in production",
        "environment": "production",
        "when": ["first_seen", "regression"],
        "email": {"to": "issue_owners"},
    }
    values.update(overrides)
    return values


def calls(standin: Any, since: int = 0) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in standin.requests()[since:]]


def writes(standin: Any, since: int = 0) -> list[tuple[str, str]]:
    return [c for c in calls(standin, since) if c[0] != "GET"]


def stored(standin: Any) -> list[dict[str, Any]]:
    state = standin.state()
    return state["workflows"] if standin.mode == "current" else state["rules"]


def test_create_then_noop_then_update(standin: Any) -> None:
    created = run_module("sentry_alert", args(standin))
    assert (created["changed"], created["action"], created["api"]) == (
        True,
        "created",
        API[standin.mode],
    )
    # after creating, the rules are read again to find a copy made by a run at the same time
    assert calls(standin) == [*LISTING[standin.mode], CREATE[standin.mode],
                              ("GET", CREATE[standin.mode][1])]
    assert [r["name"] for r in stored(standin)] == ["New issue in production"]

    mark = len(standin.requests())
    again = run_module("sentry_alert", args(standin))
    assert (again["changed"], again["action"]) == (False, "unchanged")
    assert calls(standin, mark) == LISTING[standin.mode]

    mark = len(standin.requests())
    updated = run_module("sentry_alert", args(standin, frequency=60))
    assert (updated["changed"], updated["action"]) == (True, "updated")
    item = f"{WORKFLOWS if standin.mode == 'current' else RULES}{created['id']}/"
    assert calls(standin, mark) == [*LISTING[standin.mode], ("PUT", item)]
    assert updated["diff"]["before"] != updated["diff"]["after"]
    assert len(stored(standin)) == 1


def test_payload_stored_by_sentry(standin: Any) -> None:
    rule = args(
        standin,
        when=["first_seen", {"event_frequency": {"value": 100, "interval": "1h"}}],
        match="all",
        filters=[{"level": {"match": "gte", "level": "error"}}],
        email={"to": "team", "team": "backend", "fallthrough": "all_members"},
        frequency=30,
    )
    assert run_module("sentry_alert", rule)["changed"]
    [body] = [r["body"] for r in standin.requests() if r["method"] == "POST"]
    if standin.mode == "current":
        assert body["detector_ids"] == [5001]
        assert body["triggers"]["conditions"][0]["type"] == "first_seen_event"
        action = body["action_filters"][0]["actions"][0]
        assert action["config"] == {
            "targetType": "team",
            "targetDisplay": None,
            "targetIdentifier": "2001",
        }
    else:
        assert body["actionMatch"] == "all"
        assert body["filters"][0]["level"] == "40"
        assert body["actions"][0]["targetIdentifier"] == 2001
    assert not run_module("sentry_alert", rule)["changed"]


def test_member_target_uses_user_id_not_member_id(standin: Any) -> None:
    rule = args(standin, email={"to": "member", "member": "Alice@Example.com"})
    assert run_module("sentry_alert", rule)["action"] == "created"
    [body] = [r["body"] for r in standin.requests() if r["method"] == "POST"]
    if standin.mode == "current":
        assert body["action_filters"][0]["actions"][0]["config"]["targetIdentifier"] == "9001"
    else:
        assert body["actions"][0]["targetIdentifier"] == 9001
    assert ("GET", "/api/0/projects/acme/web/members/") in calls(standin)


def test_check_mode_writes_nothing(standin: Any) -> None:
    preview = run_module("sentry_alert", args(standin), check=True)
    assert (preview["changed"], preview["action"]) == (True, "created")
    assert preview["diff"]["after"]["name"] == "New issue in production"
    assert writes(standin) == [] and stored(standin) == []

    run_module("sentry_alert", args(standin))
    mark = len(standin.requests())
    preview = run_module("sentry_alert", args(standin, frequency=120), check=True)
    assert (preview["changed"], preview["action"]) == (True, "updated")
    assert writes(standin, mark) == []
    freq = stored(standin)[0]
    assert (freq["config"]["frequency"] if standin.mode == "current" else freq["frequency"]) == 30


def test_absent_deletes_and_is_idempotent(standin: Any) -> None:
    run_module("sentry_alert", args(standin))
    gone = run_module("sentry_alert", args(standin, state="absent"))
    assert (gone["changed"], gone["action"]) == (True, "deleted")
    assert stored(standin) == []
    mark = len(standin.requests())
    again = run_module("sentry_alert", args(standin, state="absent"))
    assert (again["changed"], again["action"]) == (False, "absent")
    assert writes(standin, mark) == []


def test_pruned_deletes_only_undeclared_rules(standin: Any) -> None:
    # Sentry refuses exact duplicates of a rule, so each one gets its own frequency.
    for minutes, name in enumerate(("keep me", "drop one", "drop two"), start=10):
        assert run_module("sentry_alert", args(standin, name=name, frequency=minutes))["changed"]
    prune = args(standin, state="pruned", keep=["keep me"])
    preview = run_module("sentry_alert", prune, check=True)
    assert preview["deleted"] == ["drop one", "drop two"]
    assert len(stored(standin)) == 3
    pruned = run_module("sentry_alert", prune)
    assert (pruned["changed"], pruned["deleted"]) == (True, ["drop one", "drop two"])
    assert [r["name"] for r in stored(standin)] == ["keep me"]
    assert not run_module("sentry_alert", args(standin, state="pruned", keep=["keep me"]))[
        "changed"
    ]


def test_rules_listed_over_several_pages_are_found(standin: Any) -> None:
    for index in range(5):
        rule = args(standin, name=f"rule {index}", frequency=10 + index)
        assert run_module("sentry_alert", rule)["changed"]
    mark = len(standin.requests())
    assert not run_module("sentry_alert", args(standin, name="rule 4", frequency=14))["changed"]
    listing = WORKFLOWS if standin.mode == "current" else RULES
    assert calls(standin, mark).count(("GET", listing)) == 3


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ({"to": "team", "team": "nobody"}, "unknown team 'nobody' in organization 'acme'"),
        ({"to": "team", "team": "frontend"}, "team 'frontend' is not attached to project 'web'"),
        ({"to": "member", "member": "eve@example.com"}, "unknown member 'eve@example.com'"),
        (
            {"to": "member", "member": "bob@example.com"},
            "member 'bob@example.com' is not in a team attached to project 'web'",
        ),
        (
            {"to": "member", "member": "carol@example.com"},
            "member 'carol@example.com' has not accepted the invitation yet",
        ),
    ],
)
def test_unresolvable_targets_fail_before_any_write(
    standin: Any, email: dict[str, str], message: str
) -> None:
    result = run_module("sentry_alert", args(standin, email=email))
    assert result["failed"] and message in result["msg"]
    assert writes(standin) == []


def test_invalid_rule_makes_no_request(standin: Any) -> None:
    result = run_module("sentry_alert", args(standin, when=["first_seen", "on_fire"]))
    assert result["failed"] and "unknown condition 'on_fire'" in result["msg"]
    assert standin.requests() == []


def test_explicit_api_that_the_server_lacks_is_a_clear_error(standin: Any) -> None:
    other = "rules" if standin.mode == "current" else "workflows"
    result = run_module("sentry_alert", args(standin, api=other))
    expected = {
        "current": "GET /api/0/projects/acme/web/rules/ failed: HTTP 404",
        "legacy": "no monitors (detectors) API, so no workflows; use api: rules",
    }
    assert result["failed"] and expected[standin.mode] in result["msg"]
    assert writes(standin) == []


@pytest.mark.parametrize(
    ("token", "project", "status"),
    [
        ("sntrys_wrong_token_value", "web", 401),
        ("sntrys_test_noalerts", "web", 403),
        ("sntrys_test_full", "nope", 404),
    ],
)
def test_api_errors_name_method_path_status(
    standin: Any, token: str, project: str, status: int
) -> None:
    result = run_module("sentry_alert", args(standin, api_token=token, project=project))
    assert result["failed"] and result["status"] == status
    assert f"HTTP {status}" in result["msg"] and "/api/0/" in result["msg"]
    assert token not in str(result)
    # Only the token that can read but not write gets as far as its first write.
    expected = [CREATE[standin.mode]] if status == 403 else []
    assert writes(standin) == expected
    assert stored(standin) == []


def test_rate_limited_then_success(standin: Any) -> None:
    standin.add_fault(method="POST", path=".*", count=1, status=429, retry_after=1)
    result = run_module("sentry_alert", args(standin))
    assert result["action"] == "created"
    posts = [r["status"] for r in standin.requests() if r["method"] == "POST"]
    assert posts == [429, 201]
    assert len(stored(standin)) == 1


def test_persistent_5xx_fails_after_bounded_retries(standin: Any) -> None:
    standin.add_fault(method="GET", path=".*", count=50, status=503)
    result = run_module("sentry_alert", args(standin, api_retries=2))
    assert result["failed"] and "HTTP 503" in result["msg"]
    assert "gave up after 3 attempts" in result["msg"]
    assert len(standin.requests()) == 3
    assert writes(standin) == []


@pytest.mark.parametrize(
    ("option", "value"),
    [("org", "../acme"), ("org", "acme/web"), ("project", "web?x=1"), ("project", "web#x"),
     ("project", "..")],
)
def test_slugs_that_are_not_slugs_make_no_request(standin: Any, option: str, value: str) -> None:
    result = run_module("sentry_alert", args(standin, **{option: value}))
    assert result["failed"] and result["msg"].startswith(f"{option} must be a Sentry slug")
    assert value not in result["msg"]
    assert standin.requests() == []
