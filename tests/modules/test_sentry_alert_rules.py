"""sentry_alert_rules against the stand-in: the plan, exclusive mode, shared workflows, lost
answers to writes, validation before the first write, and the cost of a no-op run."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from sentry_harness import run_module

WORKFLOWS = "/api/0/organizations/acme/workflows/"
RULES = "/api/0/projects/acme/web/rules/"
SLACK = "sentry.integrations.slack.notify_action.SlackNotifyServiceAction"


@pytest.fixture(params=["current", "legacy"])
def standin(request: pytest.FixtureRequest, make_sentry_standin: Callable[..., Any]) -> Any:
    return make_sentry_standin(mode=request.param, page_size=2)


def rule(name: str, frequency: int = 30, **extra: Any) -> dict[str, Any]:
    return {"name": name, "when": ["first_seen"], "email": {"to": "issue_owners"},
            "frequency": frequency, **extra}


def args(standin: Any, rules: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    return {"api_url": standin.url, "api_token": standin.full_token, "org": "acme",
            "project": "web", "rules": rules, **overrides}


def writes(standin: Any, since: int = 0) -> list[tuple[str, str, int]]:
    return [(r["method"], r["path"], r["status"]) for r in standin.requests()[since:]
            if r["method"] != "GET"]


def stored(standin: Any) -> list[dict[str, Any]]:
    state = standin.state()
    return state["workflows"] if standin.mode == "current" else state["rules"]


def names(standin: Any) -> list[str]:
    return sorted(r["name"] for r in stored(standin))


def listing(standin: Any) -> str:
    return WORKFLOWS if standin.mode == "current" else RULES


def seed(standin: Any, *rules: dict[str, Any]) -> None:
    assert run_module("sentry_alert_rules", args(standin, list(rules)))["changed"]


def add_slack_rule(standin: Any, name: str) -> None:
    """A rule this module never makes: it notifies Slack, not by email."""
    with standin.server.state.lock:
        if standin.mode == "legacy":
            standin.server.state.rules.append({
                "id": "777", "project": "4501", "name": name, "conditions": [
                    {"id": "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"}],
                "filters": [], "actions": [{"id": SLACK, "workspace": "1", "channel": "#ops"}],
                "actionMatch": "any", "filterMatch": "all", "frequency": 30,
                "dateCreated": "2026-01-01T00:00:00Z", "owner": None, "createdBy": None,
                "environment": None, "status": "active", "snooze": False, "lastTriggered": None,
            })
        else:
            standin.server.state.workflows.append({
                "id": "777", "name": name, "organizationId": "1", "createdBy": None,
                "dateCreated": "2026-01-01T00:00:00Z", "dateUpdated": "2026-01-01T00:00:00Z",
                "triggers": {"id": "1", "logicType": "any-short", "conditions": []},
                "actionFilters": [{"id": "2", "logicType": "all", "conditions": [], "actions": [
                    {"id": "3", "type": "slack", "integrationId": "1", "data": {},
                     "config": {"targetType": "specific", "targetIdentifier": "#ops",
                                "targetDisplay": "#ops"}, "status": "active"}]}],
                "environment": None, "config": {"frequency": 30}, "detectorIds": ["5001"],
                "enabled": True, "lastTriggered": None, "owner": None,
            })


# ---- 1. exclusive mode never deletes everything by accident ------------------------------


@pytest.mark.parametrize("check", [False, True], ids=["apply", "check"])
def test_exclusive_with_an_empty_list_refuses_and_deletes_nothing(
    standin: Any, check: bool
) -> None:
    seed(standin, rule("one", 10), rule("two", 11))
    mark = len(standin.requests())
    result = run_module("sentry_alert_rules", args(standin, [], exclusive=True), check=check)
    assert result.get("failed") is True
    assert "would delete all 2 alert rules" in result["msg"]
    assert "confirm_delete_all" in result["msg"]
    assert writes(standin, mark) == []
    assert names(standin) == ["one", "two"]


def test_exclusive_with_an_empty_list_deletes_when_confirmed(standin: Any) -> None:
    seed(standin, rule("one", 10))
    result = run_module(
        "sentry_alert_rules", args(standin, [], exclusive=True, confirm_delete_all=True)
    )
    assert result["changed"] and result["summary"]["delete"] == 1
    assert names(standin) == []


def test_exclusive_leaves_rules_with_other_actions_alone(standin: Any) -> None:
    seed(standin, rule("mine", 10), rule("old email rule", 11))
    add_slack_rule(standin, "Pager for ops")
    result = run_module("sentry_alert_rules", args(standin, [rule("mine", 10)], exclusive=True))
    assert sorted((r["name"], r["action"]) for r in result["rules"]) == [
        ("Pager for ops", "skip"), ("mine", "unchanged"), ("old email rule", "delete"),
    ]
    assert names(standin) == ["Pager for ops", "mine"]
    everything = args(standin, [rule("mine", 10)], exclusive=True, exclusive_scope="all")
    assert run_module("sentry_alert_rules", everything)["summary"]["delete"] == 1
    assert names(standin) == ["mine"]


# ---- 2. a write whose answer was lost is read back, not repeated --------------------------


@pytest.mark.parametrize("status", [502, 504])
def test_create_applied_behind_a_gateway_error_is_not_duplicated(
    standin: Any, status: int
) -> None:
    standin.add_fault(method="POST", path=listing(standin), count=1, status=status, apply=True)
    result = run_module("sentry_alert_rules", args(standin, [rule("one")]))
    assert result["changed"] and result["rules"][0]["action"] == "create"
    assert result["rules"][0]["id"] == stored(standin)[0]["id"]
    assert names(standin) == ["one"]
    assert writes(standin) == [("POST", listing(standin), status)]
    mark = len(standin.requests())
    again = run_module("sentry_alert_rules", args(standin, [rule("one")]))
    assert (again["changed"], again["rules"][0]["action"]) == (False, "unchanged")
    assert writes(standin, mark) == []


def test_create_lost_before_sentry_applied_it_is_sent_again(standin: Any) -> None:
    standin.add_fault(method="POST", path=listing(standin), count=1, status=502)
    result = run_module("sentry_alert_rules", args(standin, [rule("one")]))
    assert result["changed"] and names(standin) == ["one"]
    assert [w[2] for w in writes(standin)] == [502, 201]


# ---- 3. workflows shared with another project are left alone ------------------------------


def shared_workflow(standin: Any) -> str:
    body = {
        "name": "Shared", "enabled": True, "detectorIds": [5001, 5003],
        "config": {"frequency": 30},
        "triggers": {"logicType": "any-short", "conditions": [
            {"type": "first_seen_event", "comparison": True, "conditionResult": True}]},
        "actionFilters": [{"logicType": "all", "conditions": [], "actions": [
            {"type": "email", "integrationId": None, "data": {"fallthroughType": "ActiveMembers"},
             "config": {"targetType": "issue_owners", "targetDisplay": None,
                        "targetIdentifier": ""}, "status": "active"}]}],
    }
    request = urllib.request.Request(
        standin.url + WORKFLOWS, data=json.dumps(body).encode(), method="POST",
        headers={**standin.headers(), "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return str(json.loads(answer.read())["id"])


@pytest.mark.parametrize(
    "declared",
    [{"name": "Shared", "state": "absent"}, rule("Shared", 60)],
    ids=["absent", "update"],
)
def test_a_workflow_shared_with_another_project_is_never_changed(
    make_sentry_standin: Callable[..., Any], declared: dict[str, Any]
) -> None:
    standin = make_sentry_standin(mode="current")
    workflow_id = shared_workflow(standin)
    mark = len(standin.requests())
    result = run_module("sentry_alert_rules", args(standin, [declared]))
    assert result["rules"] == [{
        "name": "Shared", "action": "skip", "id": workflow_id,
        "reason": "also connected to monitors of other projects; left alone",
    }]
    assert not result["changed"]
    assert writes(standin, mark) == []
    [kept] = standin.state()["workflows"]
    assert (kept["detectorIds"], kept["config"]["frequency"]) == (["5001", "5003"], 30)


# ---- 4. what Sentry would refuse is found before the first write --------------------------


def test_unknown_environment_fails_before_any_write(standin: Any) -> None:
    declared = [rule("fine", 10), rule("typo", 11, environment="prodution")]
    result = run_module("sentry_alert_rules", args(standin, declared))
    assert result["failed"]
    assert "rule 'typo': environment 'prodution' does not exist" in result["msg"]
    assert writes(standin) == []


def test_legacy_exact_duplicates_fail_before_any_write(
    make_sentry_standin: Callable[..., Any]
) -> None:
    standin = make_sentry_standin(mode="legacy")
    seed(standin, rule("existing", 10))
    mark = len(standin.requests())
    declared = [rule("existing", 10), rule("new one", 20), rule("copy", 10)]
    result = run_module("sentry_alert_rules", args(standin, declared))
    assert result["failed"]
    assert "rules 'copy' and 'existing' would be exact duplicates" in result["msg"]
    assert writes(standin, mark) == []


def test_rename_keeps_the_rule_and_succeeds(standin: Any) -> None:
    seed(standin, rule("Old name", 10), rule("Other", 11))
    [old_id] = [r["id"] for r in stored(standin) if r["name"] == "Old name"]
    mark = len(standin.requests())
    declared = [rule("New name", 10), rule("Other", 11)]
    result = run_module("sentry_alert_rules", args(standin, declared, exclusive=True))
    assert result["rules"][0] == {
        "name": "New name", "action": "rename", "id": old_id, "previous_name": "Old name",
        "fields": ["name"],
    }
    assert writes(standin, mark) == [("PUT", f"{listing(standin)}{old_id}/", 200)]
    assert names(standin) == ["New name", "Other"]
    assert not run_module("sentry_alert_rules", args(standin, declared, exclusive=True))[
        "changed"]


def test_duplicate_declared_names_make_no_request(standin: Any) -> None:
    result = run_module("sentry_alert_rules", args(standin, [rule("a", 10), rule("a", 11)]))
    assert result["failed"] and "rule name 'a' is declared twice" in result["msg"]
    assert standin.requests() == []


# ---- check mode and diff ----------------------------------------------------------------


def test_check_mode_returns_the_plan_and_one_diff_per_rule(standin: Any) -> None:
    seed(standin, rule("keep", 10), rule("change", 11), rule("drop", 12))
    mark = len(standin.requests())
    declared = [rule("keep", 10), rule("change", 60), rule("add", 13)]
    preview = run_module(
        "sentry_alert_rules", args(standin, declared, exclusive=True), check=True
    )
    assert [(r["name"], r["action"]) for r in preview["rules"]] == [
        ("keep", "unchanged"), ("change", "update"), ("add", "create"), ("drop", "delete"),
    ]
    assert preview["rules"][1]["fields"] == ["frequency"]
    assert [d["after_header"] for d in preview["diff"]] == ["change", "add", "drop"]
    assert preview["diff"][2]["after"] == {}
    assert writes(standin, mark) == []
    applied = run_module("sentry_alert_rules", args(standin, declared, exclusive=True))
    assert applied["rules"] == [{**r, "id": applied["rules"][i]["id"]}
                                for i, r in enumerate(preview["rules"])]
    assert names(standin) == ["add", "change", "keep"]


# ---- 10. the cost of a no-op run does not grow with the rules ----------------------------


def test_noop_requests_do_not_grow_with_the_number_of_rules(
    make_sentry_standin: Callable[..., Any]
) -> None:
    counts = []
    for size in (3, 30):
        standin = make_sentry_standin(mode="current", page_size=100)
        declared = [rule(f"rule {i}", 10 + i, environment="production") for i in range(size)]
        declared[0]["email"] = {"to": "team", "team": "backend"}
        declared[1]["email"] = {"to": "member", "member": "alice@example.com"}
        seed(standin, *declared)
        mark = len(standin.requests())
        assert not run_module("sentry_alert_rules", args(standin, declared))["changed"]
        requests = standin.requests()[mark:]
        assert all(r["method"] == "GET" for r in requests)
        counts.append(len(requests))
    assert counts[0] == counts[1] == 6
