"""sentry_alert_rules when runs overlap or stop half-way: writes before deletes, the result
says what was applied, two runs at once converge, and legacy Sentry swaps two rules."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from ansible.module_utils.sentry_alert_plan import (
    Directory,
    Options,
    apply_plan,
    declare,
    make_plan,
    select_backend,
    sync,
)
from ansible.module_utils.sentry_api import SentryClient
from sentry_harness import run_module


@pytest.fixture(params=["current", "legacy"])
def standin(request: pytest.FixtureRequest, make_sentry_standin: Callable[..., Any]) -> Any:
    return make_sentry_standin(mode=request.param, page_size=2)


def rule(name: str, frequency: int = 30, **extra: Any) -> dict[str, Any]:
    return {"name": name, "when": ["first_seen"], "email": {"to": "issue_owners"},
            "frequency": frequency, **extra}


def args(standin: Any, rules: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    return {"api_url": standin.url, "api_token": standin.full_token, "org": "acme",
            "project": "web", "rules": rules, **overrides}


def stored(standin: Any) -> list[dict[str, Any]]:
    state = standin.state()
    return state["workflows"] if standin.mode == "current" else state["rules"]


def names(standin: Any) -> list[str]:
    return sorted(r["name"] for r in stored(standin))


def listing(standin: Any) -> str:
    return "workflows/" if standin.mode == "current" else "rules/"


def client(standin: Any) -> SentryClient:
    return SentryClient(standin.url, standin.full_token, max_attempts=1, backoff=0)


def plan_for(standin: Any, rules: list[dict[str, Any]], exclusive: bool = False) -> Any:
    api = client(standin)
    backend = select_backend(api, "acme", "web", "auto")
    return backend, make_plan(backend, Directory(api, "acme", "web"), declare(rules),
                              Options(exclusive=exclusive))


# ---- partial failure ------------------------------------------------------------------


def test_a_failed_create_in_exclusive_mode_deletes_nothing(standin: Any) -> None:
    run_module("sentry_alert_rules", args(standin, [rule("old one"), rule("old two", 60)]))
    standin.add_fault(method="POST", path=listing(standin), status=500, count=4)
    failed = run_module("sentry_alert_rules", args(
        standin, [rule("new one", 90)], exclusive=True, api_retries=0))
    assert failed["failed"] and "HTTP 500" in failed["msg"]
    # before the fix the deletes ran first and left the project with no rule at all
    assert names(standin) == ["old one", "old two"]
    assert (failed["changed"], failed["applied"]) == (False, [])
    assert [r["action"] for r in failed["rules"]] == ["create", "delete", "delete"]
    again = run_module("sentry_alert_rules", args(standin, [rule("new one", 90)], exclusive=True))
    assert names(standin) == ["new one"] and again["changed"]


def test_a_failure_after_a_write_reports_what_was_applied(standin: Any) -> None:
    run_module("sentry_alert_rules", args(standin, [rule("kept"), rule("dropped", 60)]))
    standin.add_fault(method="DELETE", path=listing(standin), status=503, count=4)
    failed = run_module("sentry_alert_rules", args(
        standin, [rule("kept", 45), rule("added", 90)], exclusive=True, api_retries=0))
    assert failed["failed"] and "HTTP 503" in failed["msg"]
    assert failed["changed"] is True
    assert [(a["name"], a["action"]) for a in failed["applied"]] == [
        ("kept", "update"), ("added", "create")]
    assert names(standin) == ["added", "dropped", "kept"]
    again = run_module("sentry_alert_rules", args(
        standin, [rule("kept", 45), rule("added", 90)], exclusive=True))
    assert [(a["name"], a["action"]) for a in again["applied"]] == [("dropped", "delete")]
    assert names(standin) == ["added", "kept"]
    assert not run_module("sentry_alert_rules", args(
        standin, [rule("kept", 45), rule("added", 90)], exclusive=True))["changed"]


# ---- two runs at once -----------------------------------------------------------------


def test_two_runs_that_planned_together_leave_one_copy(standin: Any) -> None:
    declared = [rule("alpha"), rule("beta", 60)]
    first_backend, first = plan_for(standin, declared)
    second_backend, second = plan_for(standin, declared)
    apply_plan(first_backend, first)
    if standin.mode == "legacy":
        # legacy Sentry refuses the second run's exact duplicates itself
        with pytest.raises(Exception, match="exact duplicate"):
            apply_plan(second_backend, second)
    else:
        apply_plan(second_backend, second)
        assert all("another run created it" in (c.reason or "") for c in second.changes)
    assert names(standin) == ["alpha", "beta"]
    kept = {r["name"]: str(r["id"]) for r in stored(standin)}
    assert {c.name: c.id for c in first.changes} == kept
    later = run_module("sentry_alert_rules", args(standin, declared, exclusive=True))
    assert not later["changed"], later


def test_two_module_runs_in_parallel_converge(make_sentry_standin: Callable[..., Any]) -> None:
    standin = make_sentry_standin(mode="current", page_size=2)
    declared = declare([rule(f"rule {n}", 30 + n) for n in range(6)])
    errors: list[Exception] = []

    def one_run() -> None:
        try:
            sync(client(standin), "acme", "web", "auto", declared, Options(), False)
        except Exception as err:  # reported below
            errors.append(err)

    for _ in range(3):
        threads = [threading.Thread(target=one_run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors
        assert names(standin) == [f"rule {n}" for n in range(6)]
        standin.reset("current")


def test_copies_left_by_a_dead_run_are_removed_oldest_kept(
    make_sentry_standin: Callable[..., Any],
) -> None:
    # current Sentry only: legacy Sentry refuses the exact duplicate in the first place
    standin = make_sentry_standin(mode="current", page_size=2)
    backend, first = plan_for(standin, [rule("alpha")])
    apply_plan(backend, first)
    _, second = plan_for(standin, [rule("zulu")])
    second.changes[0].body["name"] = "alpha"  # the copy a dead run left behind
    copy = str(backend.create(second.changes[0].body)["id"])
    assert names(standin) == ["alpha", "alpha"]
    repaired = run_module("sentry_alert_rules", args(standin, [rule("alpha")], exclusive=True))
    assert [(a["action"], a["id"]) for a in repaired["applied"]] == [("delete", copy)]
    assert [str(r["id"]) for r in stored(standin)] == [first.changes[0].id]


# ---- legacy swap ----------------------------------------------------------------------


def test_two_rules_swap_contents(standin: Any) -> None:
    before = [rule("a", 30), rule("b", 60)]
    run_module("sentry_alert_rules", args(standin, before))
    ids = {r["name"]: str(r["id"]) for r in stored(standin)}
    swapped = run_module("sentry_alert_rules", args(standin, [rule("a", 60), rule("b", 30)]))
    assert swapped["changed"] and not swapped.get("failed"), swapped
    after = {r["name"]: (str(r["id"]), r.get("frequency", (r.get("config") or {}).get(
        "frequency"))) for r in stored(standin)}
    assert after == {"a": (ids["a"], 60), "b": (ids["b"], 30)}
    assert not run_module("sentry_alert_rules", args(
        standin, [rule("a", 60), rule("b", 30)]))["changed"]


def test_a_rule_taking_the_content_of_a_deleted_one(standin: Any) -> None:
    """On legacy Sentry the delete must come first here (the update would duplicate the rule
    still there); elsewhere writes come first."""
    run_module("sentry_alert_rules", args(standin, [rule("a", 30), rule("b", 60)]))
    result = run_module("sentry_alert_rules", args(standin, [rule("a", 60)], exclusive=True))
    assert not result.get("failed"), result
    order = [(a["name"], a["action"]) for a in result["applied"]]
    assert order == ([("b", "delete"), ("a", "update")] if standin.mode == "legacy"
                     else [("a", "update"), ("b", "delete")])
    assert names(standin) == ["a"]


def test_a_three_way_rotation_converges(standin: Any) -> None:
    run_module("sentry_alert_rules", args(standin, [rule("a", 30), rule("b", 60),
                                                    rule("c", 90)]))
    rotated = [rule("a", 60), rule("b", 90), rule("c", 30)]
    result = run_module("sentry_alert_rules", args(standin, rotated))
    assert result["changed"] and not result.get("failed"), result
    assert not run_module("sentry_alert_rules", args(standin, rotated))["changed"]
