"""sentry_release_gate on recorded answers (shaped as Sentry's schema documents them) from a
routed HTTP server on 127.0.0.1: the reads, the rules at their edges, the policies, older
servers, errors, bad input. Time is a fake clock, so the waits take no time."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils import release_gate
from ansible.module_utils.sentry_api import SentryClient
from ansible.module_utils.sentry_release_health import NewIssues, Sessions
from sentry_harness import run_module

RECORDED = Path(__file__).parent / "release_gate"
TOKEN = "sntrys_gate_secret_value"
T0 = "2026-12-06T23:10:04Z"
T0_SECONDS = datetime(2026, 12, 6, 23, 10, 4, tzinfo=UTC).timestamp()
R, B = "web@2.1.0", "web@2.0.0"
Answer = tuple[int, dict[str, str], Any]


def recorded(name: str) -> Any:
    return json.loads((RECORDED / f"{name}.json").read_text())


def events(r: int, b: int) -> dict[str, Any]:
    answer = recorded("events")
    answer["data"] = [{"release": R, "count()": r}, {"release": B, "count()": b}]
    return answer


def sessions(r: int, b: int) -> dict[str, Any]:
    answer = recorded("sessions")
    answer["groups"][0]["totals"]["sum(session)"] = r
    answer["groups"][1]["totals"]["sum(session)"] = b
    return answer


@dataclass
class Routed:
    """Answers by the last path segment (projects, issues, events, sessions): a list is
    answered in order and its last answer repeated; records what it received."""

    url: str = ""
    routes: dict[str, list[Answer]] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)

    def on(self, name: str, *answers: Answer) -> Routed:
        self.routes[name] = list(answers)
        return self

    def queries(self, name: str) -> list[dict[str, list[str]]]:
        return [r["query"] for r in self.received if r["route"] == name]

    def answer(self, path: str) -> Answer:
        route = path.rstrip("/").split("/")[-1]
        if path.startswith("/api/0/projects/"):
            route = "project"
        queue = self.routes.get(route) or [(404, {}, {"detail": "Not found"})]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def ok(body: Any, **headers: str) -> Answer:
    return 200, {k.replace("_", "-"): v for k, v in headers.items()}, body


def healthy(server: Routed, issues: int = 0, errors: tuple[int, int] = (5, 12),
            requests: tuple[int, int] = (1000, 2400)) -> Routed:
    found = recorded("issues")[:issues]
    return (server.on("project", ok({"id": "4501", "slug": "web"}))
            .on("issues", ok(found, X_Hits=str(issues)))
            .on("sessions", ok(sessions(*requests)))
            .on("events", ok(events(*errors))))


@pytest.fixture
def server() -> Iterator[Routed]:
    state = Routed()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            route = parts.path.rstrip("/").split("/")[-1]
            if parts.path.startswith("/api/0/projects/"):
                route = "project"
            state.received.append({"route": route, "path": parts.path,
                                   "query": urllib.parse.parse_qs(parts.query)})
            status, headers, body = state.answer(parts.path)
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=http.serve_forever, args=(0.05,), daemon=True).start()
    state.url = f"http://127.0.0.1:{http.server_address[1]}"
    yield state
    http.shutdown()
    http.server_close()


def params(server: Routed, **overrides: Any) -> dict[str, Any]:
    return {"api_url": server.url, "api_token": TOKEN, "org": "acme", "project": "web",
            "environment": "production", "release": R, "baseline": B, "since": T0,
            "window": 120.0, "max_window": 300.0, "interval": 10.0, "sessions_delay": 15.0,
            "max_new_issues": 0, "max_error_ratio": 2.0, "error_rate_floor": 0.02,
            "min_requests": 100, "insufficient": "wait", "unavailable": "fail",
            "api_deadline": 600.0, **overrides}


class FakeTime:
    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def run_gate(server: Routed, start: float = T0_SECONDS + 3, time: FakeTime | None = None,
             **overrides: Any) -> dict[str, Any]:
    """The gate against the server, its clock starting ``start`` (the module is called a few
    seconds after the switch)."""
    time = time or FakeTime(start)
    client = SentryClient(server.url, TOKEN, max_attempts=2, backoff=0.0)
    return release_gate.gate(client, params(server, **overrides), time.sleep, time.clock)


# ---- the reads -------------------------------------------------------------------------


def test_each_read_asks_for_what_the_rules_need(server: Routed) -> None:
    result = run_gate(healthy(server))
    assert result["decision"] == "pass" and result["looks"] == 1
    [issues] = server.queries("issues")
    assert issues["query"] == [f'firstRelease:"{R}" firstSeen:>={T0}']
    assert (issues["project"], issues["environment"], issues["sort"], issues["limit"]) == (
        ["4501"], ["production"], ["new"], ["25"])
    assert issues["start"] == ["2026-12-06T23:10:04"] and issues["end"] == ["2026-12-06T23:12:04"]
    [health] = server.queries("sessions")
    assert (health["field"], health["groupBy"], health["interval"]) == (
        ["sum(session)"], ["release"], ["1h"])
    assert health["query"] == [f'release:"{R}" OR release:"{B}"']
    errors_r, errors_b = server.queries("events")
    assert errors_r["dataset"] == ["errors"] and errors_r["field"] == ["release", "count()"]
    assert errors_r["query"] == errors_b["query"] == [f'release:["{R}","{B}"]']
    # R from the switch, B over the hours the sessions answer covers; both up to
    # sessions_delay before the look.
    assert (errors_r["start"], errors_r["end"]) == (["2026-12-06T23:10:04"],
                                                   ["2026-12-06T23:11:49"])
    assert (errors_b["start"], errors_b["end"]) == (["2026-12-06T23:00:00"],
                                                   ["2026-12-06T23:11:49"])


def test_the_issue_count_follows_the_pages_without_x_hits(server: Routed) -> None:
    issue = recorded("issues")[0]
    link = (f'<{server.url}/api/0/organizations/acme/issues/?cursor=0:25:0>; rel="next"; '
            'results="true"; cursor="0:25:0"')
    healthy(server).on("issues", ok([issue] * 25, Link=link), ok([issue] * 3))
    result = run_gate(server)
    assert result["rules"][0]["count"] == 28 and len(result["new_issues"]) == 25
    assert server.queries("issues")[1]["cursor"] == ["0:25:0"]


# ---- the rules -------------------------------------------------------------------------


def test_the_error_rate_line_has_its_numbers(server: Routed) -> None:
    result = run_gate(healthy(server, errors=(51, 12)))
    assert result["decision"] == "fail" and not result["passed"]
    assert result["lines"][2] == "decision: fail (error_rate)"
    assert result["lines"][1] == (
        f"error rate: {R} 5.1% (51 errors / 1000 requests) vs {B} 0.5% (12 / 2400); "
        "limit max(2.0 \u00d7 0.5%, 2.0%) = 2.0%: fail")
    rule = result["rules"][1]
    assert (rule["errors"], rule["requests"], rule["baseline_errors"],
            rule["baseline_requests"]) == (51, 1000, 12, 2400)


def test_a_new_issue_fails_with_its_name_and_link(server: Routed) -> None:
    result = run_gate(healthy(server, issues=1))
    assert result["decision"] == "fail"
    assert result["lines"][0] == (
        f"new issues: 1 first seen in {R} since {T0} (allowed 0): fail \u2014 WEB-7 "
        "ZeroDivisionError: division by zero https://sentry.example.com/organizations/acme/"
        "issues/7/")
    assert result["new_issues"] == [{
        "short_id": "WEB-7", "title": "ZeroDivisionError: division by zero",
        "permalink": "https://sentry.example.com/organizations/acme/issues/7/", "count": 51,
        "first_seen": "2026-12-06T23:10:41Z"}]
    assert run_gate(healthy(server, issues=1), max_new_issues=1)["decision"] == "pass"


def test_many_new_issues_are_counted_and_the_first_named(server: Routed) -> None:
    issue = recorded("issues")[0]
    healthy(server).on("issues", ok([issue] * 25, X_Hits="40"))
    result = run_gate(server)
    assert result["rules"][0]["count"] == 40 and len(result["new_issues"]) == 25
    assert result["lines"][0].count("WEB-7") == 3 and result["lines"][0].endswith("; and 37 more")
    assert len(server.queries("issues")) == 1


def look(errors: tuple[int, int], requests: tuple[int, int], issues: int = 0) -> release_gate.Look:
    covered = datetime(2026, 12, 6, 23, tzinfo=UTC), datetime(2026, 12, 7, tzinfo=UTC)
    return release_gate.Look(NewIssues(issues), Sessions(*covered, {R: requests[0],
                                                                    B: requests[1]}), errors)


@pytest.mark.parametrize(("errors", "requests", "result"), [
    ((20, 0), (1000, 1000), "pass"),      # exactly the floor
    ((21, 0), (1000, 1000), "fail"),      # just above the floor
    ((60, 30), (1000, 1000), "pass"),     # exactly twice the baseline, above the floor
    ((61, 30), (1000, 1000), "fail"),
    ((30, 20), (99, 1000), "insufficient"),   # one request short
    ((2, 20), (100, 1000), "pass"),
])
def test_the_error_rate_at_its_edges(
    errors: tuple[int, int], requests: tuple[int, int], result: str
) -> None:
    rule = release_gate.error_rate_rule(look(errors, requests), params(Routed()))
    assert rule.result == result, rule.line


def test_a_baseline_without_sessions_is_not_judged() -> None:
    rule = release_gate.error_rate_rule(look((5, 0), (1000, 0)), params(Routed()))
    assert rule.result == "skipped" and f"{B} has no sessions" in rule.line


@pytest.mark.parametrize(("results", "decision"), [
    (["pass", "pass"], "pass"), (["pass", "skipped"], "pass"),
    (["pass", "insufficient"], "insufficient"), (["fail", "insufficient"], "fail"),
])
def test_any_failure_decides_before_too_little_data(results: list[str], decision: str) -> None:
    rules = [release_gate.Rule(str(n), result, "") for n, result in enumerate(results)]
    assert release_gate.verdict(rules) == decision


# ---- too little data -------------------------------------------------------------------


def test_waiting_looks_again_until_there_are_enough_requests(server: Routed) -> None:
    healthy(server).on("sessions", ok(sessions(40, 2400)), ok(sessions(80, 2400)),
                       ok(sessions(400, 2400)))
    result = run_gate(server)
    assert (result["decision"], result["passed"], result["looks"]) == ("pass", True, 3)


def test_waiting_ends_at_max_window_judged_by_new_issues_alone(server: Routed) -> None:
    result = run_gate(healthy(server, requests=(40, 2400)))
    assert (result["decision"], result["passed"]) == ("insufficient", True)
    # at 120 s, then every 10 s up to 300 s
    assert result["looks"] == 19
    assert result["lines"][-1] == (
        "decision: insufficient: not enough data after 300 s: "
        "judged by new issues alone (policy insufficient=wait)")
    assert result["lines"][1] == (
        f"error rate: {R} has 40 requests (at least 100 needed): insufficient")


@pytest.mark.parametrize("policy", ["pass", "fail"])
def test_too_little_data_can_be_decided_at_once(server: Routed, policy: str) -> None:
    result = run_gate(healthy(server, requests=(40, 2400)), insufficient=policy)
    assert (result["decision"], result["passed"], result["looks"]) == (
        "insufficient", policy == "pass", 1)


def test_a_failure_does_not_wait_for_more_data(server: Routed) -> None:
    result = run_gate(healthy(server, issues=1, requests=(40, 2400)))
    assert (result["decision"], result["looks"]) == ("fail", 1)


def test_a_late_start_looks_at_once_and_once(server: Routed) -> None:
    result = run_gate(healthy(server, requests=(40, 2400)), start=T0_SECONDS + 400)
    assert (result["decision"], result["looks"]) == ("insufficient", 1)


# ---- older servers ---------------------------------------------------------------------


@pytest.mark.parametrize("absent", ["events", "sessions"])
def test_a_server_without_an_api_is_judged_by_new_issues(server: Routed, absent: str) -> None:
    healthy(server, errors=(500, 0)).on(absent, (404, {}, b"<h1>Not Found</h1>"))
    result = run_gate(server)
    assert (result["decision"], result["passed"]) == ("pass", True)
    assert result["capabilities"] == {"issues": True, "events": absent != "events",
                                      "sessions": absent != "sessions"}
    assert result["rules"][1]["result"] == "skipped"
    assert f"no {absent} API" in result["lines"][1]
    assert run_gate(healthy(server, issues=1).on(absent, (404, {}, {})))["decision"] == "fail"


# ---- an unreadable Sentry --------------------------------------------------------------


@pytest.mark.parametrize(("route", "answer"), [
    ("project", (401, {}, {"detail": f"Invalid token {TOKEN}"})),
    ("issues", (403, {}, {"detail": "You do not have permission"})),
    ("issues", (429, {"Retry-After": "0"}, {"detail": "rate limited"})),
    ("sessions", (500, {}, {"detail": "boom"})),
    ("events", (400, {}, {"detail": "Invalid query"})),
    ("events", ok(b"<html>maintenance</html>")),
    ("sessions", ok({"groups": []})),
    ("events", ok({"data": [{"release": R}], "meta": {}})),
    ("issues", ok({"detail": "not a list"})),
])
def test_an_unreadable_sentry_is_unavailable(
    server: Routed, route: str, answer: Answer
) -> None:
    healthy(server).on(route, answer)
    result = run_gate(server)
    assert (result["decision"], result["passed"], result["rules"]) == ("unavailable", False, [])
    assert result["lines"][0].startswith("Sentry unavailable: Sentry API GET /api/0/")
    assert TOKEN not in json.dumps(result)
    assert run_gate(healthy(server).on(route, answer), unavailable="pass")["passed"] is True


def test_a_wrong_token_shows_before_the_window(server: Routed) -> None:
    time = FakeTime(T0_SECONDS + 3)
    result = run_gate(healthy(server).on("project", (401, {}, {"detail": "Invalid token"})),
                      time=time)
    assert result["decision"] == "unavailable" and time.slept == []


def test_a_sentry_lost_on_a_later_look_keeps_the_earlier_lines(server: Routed) -> None:
    healthy(server, requests=(40, 2400)).on("sessions", ok(sessions(40, 2400)),
                                            (503, {}, {"detail": "down"}))
    result = run_gate(server)
    assert (result["decision"], result["looks"], len(result["lines"])) == ("unavailable", 2, 4)
    assert result["lines"][1].endswith(": insufficient")
    assert result["lines"][2].startswith("Sentry unavailable: Sentry API GET /api/0/")
    assert result["lines"][3] == "decision: unavailable: fail (policy unavailable=fail)"


def test_an_unreachable_server_is_unavailable(server: Routed) -> None:
    client = SentryClient("http://127.0.0.1:9", TOKEN, max_attempts=1)
    time = FakeTime(T0_SECONDS)
    result = release_gate.gate(client, params(server), time.sleep, time.clock)
    assert result["decision"] == "unavailable" and "no response" in result["lines"][0]


# ---- the module ------------------------------------------------------------------------


def now_params(server: Routed, **overrides: Any) -> dict[str, Any]:
    """The module's own clock: a switch a second ago, looked at a tenth of a second later."""
    since = datetime.now(UTC).timestamp() - 1
    return params(server, since=datetime.fromtimestamp(since, UTC).isoformat(), window=1.1,
                  max_window=1.1, **overrides)


def test_the_module_decides_without_failing_the_task(server: Routed) -> None:
    result = run_module("sentry_release_gate", now_params(healthy(server, errors=(51, 12))))
    assert not result.get("failed") and not result["changed"]
    assert (result["decision"], result["passed"]) == ("fail", False)
    assert result["capabilities"] == {"issues": True, "events": True, "sessions": True}
    assert TOKEN not in json.dumps(result)


def test_check_mode_makes_no_request(server: Routed) -> None:
    result = run_module("sentry_release_gate", params(healthy(server)), check=True)
    assert set(result) >= {"plan", "changed"} and "decision" not in result
    assert result["plan"][2] == (
        f"error rate: fail when rate({R}) > max(2.0 \u00d7 rate({B}), 2.0%), with at least "
        f"100 requests of {R}; errors counted up to 15 s before each look")
    assert server.received == []


@pytest.mark.parametrize(("option", "value"), [
    ("release", "web/2.1.0"), ("release", 'web@2.1.0" OR release:x'), ("release", "."),
    ("release", "latest"), ("release", " "), ("release", "a\tb"), ("release", "x" * 201),
    ("baseline", "web@2.0.0\n"), ("environment", ""),
    ("since", "2026-12-06T23:10:04"), ("since", "yesterday"), ("window", 0.0),
    ("max_window", 60.0), ("interval", 0.0), ("sessions_delay", -1.0),
    ("max_error_ratio", 0.5), ("error_rate_floor", 1.0), ("error_rate_floor", float("nan")),
    ("min_requests", 0), ("max_new_issues", -1), ("api_deadline", 300.0),
])
def test_bad_input_is_one_line_naming_the_option(
    server: Routed, option: str, value: Any
) -> None:
    result = run_module("sentry_release_gate", params(healthy(server), **{option: value}))
    assert result["failed"] and result["msg"].startswith(f"{option} ")
    assert "\n" not in result["msg"] and server.received == []


def test_check_mode_takes_a_first_deploy_judged_against_itself(server: Routed) -> None:
    # A first deploy has no release before it: the play checks the settings with the
    # release as its own baseline.
    result = run_module("sentry_release_gate", params(server, baseline=R), check=True)
    assert not result.get("failed") and result["plan"]


def test_a_switch_in_the_future_is_refused(server: Routed) -> None:
    with pytest.raises(release_gate.InputError, match=r"^since must not be in the future"):
        run_gate(healthy(server), start=T0_SECONDS - 3600)
    assert server.received == []
