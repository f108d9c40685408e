"""sentry_release_gate end to end: the real sentry_sdk sends a canary's requests (sessions) and
errors to the stand-in over HTTP, and the module reads them back through the issues, events
and sessions APIs and decides."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sentry_sdk
from sentry_harness import run_module
from sentry_sdk.session import Session

R, B = "web@2.1.0", "web@2.0.0"


class CheckoutBroken(ZeroDivisionError):
    """What the new release raises on a few of its requests."""


def serve(standin: Any, release: str, requests: int, failing_every: int, error: type,
          at: datetime) -> None:
    """``requests`` requests of ``release`` as a Django app in request mode reports them:
    one session each, and every ``failing_every``-th raises ``error``, captured as an
    event and counted as an errored session."""
    key = next(k for k in standin.state()["keys"] if str(k["projectId"]) == "4501")
    host = standin.url.removeprefix("http://")
    client = sentry_sdk.Client(
        dsn=f"http://{key['public']}@{host}/4501", release=release, environment="production",
        default_integrations=False, auto_session_tracking=False,
    )
    try:
        for number in range(requests):
            session = Session(release=release, environment="production",
                              session_mode="request", started=at)
            if number % failing_every == 0:
                capture(client, error, at)
                session.update(errors=1)
            client.capture_session(session)
        client.flush(timeout=10)
    finally:
        client.close(timeout=10)


def capture(client: sentry_sdk.Client, error: type, at: datetime) -> None:
    try:
        raise error("division by zero")
    except error as exc:
        with sentry_sdk.isolation_scope() as scope:
            scope.set_client(client)
            scope.add_event_processor(lambda event, _hint: {**event,
                                                            "timestamp": at.timestamp()})
            scope.capture_exception(exc)


def gate(standin: Any, since: datetime, **overrides: Any) -> dict[str, Any]:
    """The module, its first look right away (the window ends now)."""
    window = (datetime.now(UTC) - since).total_seconds() + 0.1
    return run_module("sentry_release_gate", {
        "api_url": standin.url, "api_token": standin.full_token, "org": "acme",
        "project": "web", "environment": "production", "release": R, "baseline": B,
        "since": since.isoformat(), "window": window, "max_window": window,
        "sessions_delay": 5, **overrides})


def switched(standin: Any, error: type, failing_every: int) -> datetime:
    """B (on the other hosts) served 2000 requests, every 200th raising a ValueError; R took
    over 30 seconds ago and served 1000, every ``failing_every``-th raising ``error``. Their
    traffic is dated 10 seconds after the switch."""
    since = datetime.now(UTC) - timedelta(seconds=30)
    served = since + timedelta(seconds=10)
    serve(standin, B, 2000, 200, ValueError, served)
    serve(standin, R, 1000, failing_every, error, served)
    return since


def test_a_canary_with_a_new_error_on_5_percent_fails(
    make_sentry_standin: Callable[..., Any]
) -> None:
    standin = make_sentry_standin()
    since = switched(standin, CheckoutBroken, 20)
    result = gate(standin, since)
    assert not result.get("failed"), result.get("msg")
    assert (result["decision"], result["passed"]) == ("fail", False)
    assert result["capabilities"] == {"issues": True, "events": True, "sessions": True}
    issues, rate = result["rules"]
    assert (issues["result"], issues["count"]) == ("fail", 1)
    assert result["new_issues"][0]["title"].startswith("CheckoutBroken")
    assert (rate["result"], rate["errors"], rate["requests"], rate["baseline_errors"],
            rate["baseline_requests"]) == ("fail", 50, 1000, 10, 2000)
    assert result["lines"][1].endswith("limit max(2.0 \u00d7 0.5%, 2.0%) = 2.0%: fail")
    assert standin.full_token not in json.dumps(result)


def test_a_canary_as_good_as_its_baseline_passes(
    make_sentry_standin: Callable[..., Any]
) -> None:
    standin = make_sentry_standin()
    since = switched(standin, ValueError, 200)
    result = gate(standin, since)
    assert (result["decision"], result["passed"]) == ("pass", True), result["lines"]
    assert result["lines"][:2] == [
        f"new issues: 0 first seen in {R} since {since:%Y-%m-%dT%H:%M:%SZ} (allowed 0): pass",
        f"error rate: {R} 0.5% (5 errors / 1000 requests) vs {B} 0.5% (10 / 2000); "
        "limit max(2.0 \u00d7 0.5%, 2.0%) = 2.0%: pass",
    ]


def test_an_older_sentry_without_sessions_is_judged_by_new_issues(
    make_sentry_standin: Callable[..., Any]
) -> None:
    standin = make_sentry_standin(without=["sessions"])
    since = switched(standin, CheckoutBroken, 20)
    result = gate(standin, since)
    assert result["capabilities"] == {"issues": True, "events": True, "sessions": False}
    assert [rule["result"] for rule in result["rules"]] == ["fail", "skipped"]
    assert result["decision"] == "fail"
