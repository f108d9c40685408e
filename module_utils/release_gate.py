"""The release gate: judge a canary release R by what Sentry saw of it since it took traffic,
against the release B it replaced, and decide pass or fail.

Two rules: new issues first seen in R, and R's error rate (error events per session, that is
per request) against B's. Too little data is decided by the ``insufficient`` policy (by
default: look again until ``max_window``, then go on with the rules that could be judged: a
quiet site is judged by its new issues), a Sentry that cannot be read by the
``unavailable`` policy. Every rule and the decision are one line each, with their numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ansible.module_utils.sentry_api import InputError, SentryAPIError, SentryClient, scrub
from ansible.module_utils.sentry_events import project_id
from ansible.module_utils.sentry_release_health import (
    NewIssues,
    Scope,
    Sessions,
    error_counts,
    new_issues,
    session_counts,
    stamp,
)

# How far ahead of the controller's clock ``since`` may be (another host's clock).
CLOCK_SKEW = 60.0
ISSUES_IN_LINE = 3
TIMES = "\u00d7"


@dataclass(frozen=True)
class Look:
    """What one look at Sentry found; None where the server lacks the API."""

    issues: NewIssues
    sessions: Sessions | None
    errors: tuple[int, int] | None
    events_api: bool = True


@dataclass(frozen=True)
class Rule:
    name: str
    result: str
    line: str
    numbers: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "result": self.result, "line": self.line, **self.numbers}


def ratio(params: Mapping[str, Any]) -> str:
    """max_error_ratio as the lines write it: 2.0, 1.5."""
    return str(float(params["max_error_ratio"]))


def percent(rate: float) -> str:
    text = f"{rate * 100:.1f}"
    if text == "0.0" and rate > 0:
        text = f"{rate * 100:.2g}"
    return f"{text}%"


# ---- the rules -----------------------------------------------------------------------


def issues_rule(found: NewIssues, params: Mapping[str, Any], since: datetime) -> Rule:
    allowed = params["max_new_issues"]
    result = "fail" if found.total > allowed else "pass"
    line = (f"new issues: {found.total} first seen in {params['release']} since {stamp(since)} "
            f"(allowed {allowed}): {result}")
    shown = found.first_page[:ISSUES_IN_LINE]
    if shown:
        line += " — " + "; ".join(
            " ".join(part for part in (issue["short_id"], issue["title"], issue["permalink"])
                     if part)
            for issue in shown
        )
    if found.total > len(shown) > 0:
        line += f"; and {found.total - len(shown)} more"
    return Rule("new_issues", result, line, {"count": found.total, "allowed": allowed})


def _missing(look: Look, baseline: str) -> str | None:
    """Why the error rate cannot be judged on this server, or None."""
    if look.sessions is None and not look.events_api:
        return "this Sentry has neither the events nor the sessions API"
    if look.sessions is None:
        return "this Sentry has no sessions API (release health), so no request count"
    if not look.events_api:
        return "this Sentry has no events API, so no error count per release"
    if look.sessions.counts[baseline] == 0:
        return f"{baseline} has no sessions (is release health sent?)"
    return None


def error_rate_rule(look: Look, params: Mapping[str, Any]) -> Rule:
    release, baseline = params["release"], params["baseline"]
    why = _missing(look, baseline)
    if why is not None:
        return Rule("error_rate", "skipped",
                    f"error rate: not judged: {why}; judged by new issues alone: skipped")
    assert look.sessions is not None and look.errors is not None
    requests = look.sessions.counts[release], look.sessions.counts[baseline]
    if requests[0] < params["min_requests"]:
        return Rule("error_rate", "insufficient",
                    f"error rate: {release} has {requests[0]} requests "
                    f"(at least {params['min_requests']} needed): insufficient",
                    {"requests": requests[0], "min_requests": params["min_requests"]})
    rates = look.errors[0] / requests[0], look.errors[1] / requests[1]
    limit = max(params["max_error_ratio"] * rates[1], params["error_rate_floor"])
    result = "fail" if rates[0] > limit else "pass"
    line = (f"error rate: {release} {percent(rates[0])} ({look.errors[0]} errors / "
            f"{requests[0]} requests) vs {baseline} {percent(rates[1])} ({look.errors[1]} / "
            f"{requests[1]}); limit max({ratio(params)} {TIMES} {percent(rates[1])}, "
            f"{percent(params['error_rate_floor'])}) = {percent(limit)}: {result}")
    numbers = {"errors": look.errors[0], "requests": requests[0], "rate": rates[0],
               "baseline_errors": look.errors[1], "baseline_requests": requests[1],
               "baseline_rate": rates[1], "limit": limit}
    return Rule("error_rate", result, line, numbers)


def judge(look: Look, params: Mapping[str, Any], since: datetime) -> list[Rule]:
    return [issues_rule(look.issues, params, since), error_rate_rule(look, params)]


def verdict(rules: list[Rule]) -> str:
    """fail if any rule fails, else insufficient if any rule lacks data, else pass."""
    results = {rule.result for rule in rules}
    for decision in ("fail", "insufficient"):
        if decision in results:
            return decision
    return "pass"


def decision_line(
    decision: str, rules: list[Rule], params: Mapping[str, Any], waited: float
) -> tuple[bool, str]:
    """The verdict after the policies, and its line."""
    if decision == "pass":
        return True, "decision: pass"
    if decision == "fail":
        failed = ", ".join(rule.name for rule in rules if rule.result == "fail")
        return False, f"decision: fail ({failed})"
    policy = params[decision]
    if decision == "insufficient" and policy == "wait":
        return True, (f"decision: insufficient: not enough data after {waited:.0f} s: "
                      "judged by new issues alone (policy insufficient=wait)")
    return policy == "pass", f"decision: {decision}: {policy} (policy {decision}={policy})"


# ---- the input -----------------------------------------------------------------------

VERSION_FORBIDDEN = frozenset('/\\"')
VERSION_REFUSED = (".", "..", "latest")


def check_version(value: str, option: str) -> None:
    """Sentry's rules for a release version, and no '"' as it goes quoted into searches."""
    if (not value.strip() or len(value) > 200 or value in VERSION_REFUSED
            or any(char in VERSION_FORBIDDEN or not char.isprintable() for char in value)):
        raise InputError(
            f"{option} must be a Sentry release version: 1 to 200 characters, no '/', '\\', "
            "'\"' or control characters, not '.', '..', 'latest' or blank"
        )


def _number(params: Mapping[str, Any], option: str, valid: bool, rule: str) -> None:
    if not (math.isfinite(params[option]) and valid):
        raise InputError(f"{option} must be {rule}")


def check(params: Mapping[str, Any]) -> None:
    """Refuse, before any request, the first option that cannot be used (one line)."""
    check_version(params["release"], "release")
    check_version(params["baseline"], "baseline")
    environment = params["environment"]
    if not 1 <= len(environment) <= 64 or not environment.isprintable() or "/" in environment:
        raise InputError("environment must be 1 to 64 printable characters without '/'")
    try:
        parse_since(params["since"])
    except ValueError as err:
        raise InputError(f"since {err}") from None
    _number(params, "window", params["window"] > 0, "more than 0 seconds")
    _number(params, "max_window", params["max_window"] >= params["window"],
            "at least window")
    _number(params, "interval", params["interval"] > 0, "more than 0 seconds")
    _number(params, "sessions_delay", params["sessions_delay"] >= 0, "0 seconds or more")
    _number(params, "max_error_ratio", params["max_error_ratio"] >= 1, "1 or more")
    _number(params, "error_rate_floor", 0 <= params["error_rate_floor"] < 1,
            "from 0 up to (not including) 1")
    _number(params, "api_deadline", params["api_deadline"] > params["max_window"],
            "more than max_window: it bounds the whole gate, its waits included")
    if params["max_new_issues"] < 0:
        raise InputError("max_new_issues must be 0 or more")
    if params["min_requests"] < 1:
        raise InputError("min_requests must be 1 or more")


def parse_since(value: str) -> datetime:
    """``since`` as a time; it must give its zone (a time without one is ambiguous)."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time, e.g. 2026-12-06T23:10:04Z") from None
    if moment.utcoffset() is None:
        raise ValueError("must give its time zone (Z or +hh:mm)")
    return moment.astimezone(UTC)


def plan(params: Mapping[str, Any]) -> list[str]:
    """What the gate will do, one line each."""
    since = stamp(parse_since(params["since"]))
    release, baseline = params["release"], params["baseline"]
    lines = [
        f"judge {release} against {baseline} in {params['environment']} of "
        f"{params['org']}/{params['project']}, {params['window']:g} s after {since}",
        f"new issues: fail when more than {params['max_new_issues']} first seen in {release} "
        f"since {since}",
        f"error rate: fail when rate({release}) > max({ratio(params)} {TIMES} "
        f"rate({baseline}), {percent(params['error_rate_floor'])}), with at least "
        f"{params['min_requests']} requests of {release}; errors counted up to "
        f"{params['sessions_delay']:g} s before each look",
    ]
    if params["insufficient"] == "wait":
        lines.append(f"too little data: look again every {params['interval']:g} s until "
                     f"{params['max_window']:g} s after {since}, then judge by new issues alone")
    else:
        lines.append(f"too little data: {params['insufficient']}")
    lines.append(f"Sentry unavailable: {params['unavailable']}")
    return lines


# ---- the gate ------------------------------------------------------------------------


def observe(
    client: SentryClient, scope: Scope, params: Mapping[str, Any], since: datetime,
    now: datetime, capabilities: dict[str, bool],
) -> Look:
    """One look: R's new issues; sessions of R and B (whole hours around [since, now]); error
    events of R since ``since`` and of B over the sessions' range, both only up to
    ``sessions_delay`` before now, so no error counts without its request's session."""
    releases = params["release"], params["baseline"]
    issues = new_issues(client, scope, params["release"], since, now)
    capabilities["issues"] = True
    sessions = session_counts(client, scope, releases, since, now)
    capabilities["sessions"] = sessions is not None
    counted_until = now - timedelta(seconds=params["sessions_delay"])
    errors_r = error_counts(client, scope, releases, since, counted_until)
    capabilities["events"] = errors_r is not None
    if sessions is None or errors_r is None:
        return Look(issues, sessions, None, events_api=errors_r is not None)
    errors_b = error_counts(client, scope, releases, sessions.start, counted_until)
    if errors_b is None:
        capabilities["events"] = False
        return Look(issues, sessions, None, events_api=False)
    return Look(issues, sessions, (errors_r[releases[0]], errors_b[releases[1]]))


@dataclass
class Outcome:
    decision: str = "unavailable"
    rules: list[Rule] = field(default_factory=list)
    new_issues: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""
    looks: int = 0
    capabilities: dict[str, bool] = field(
        default_factory=lambda: {"issues": False, "events": False, "sessions": False})


def _looks(
    client: SentryClient, scope: Scope, params: Mapping[str, Any], since: datetime,
    outcome: Outcome, sleep: Callable[[float], None], clock: Callable[[], float],
) -> None:
    """Wait for the window; look until the verdict is not "insufficient", or the policy
    says not to wait, or ``max_window`` is over."""
    sleep(max(0.0, since.timestamp() + params["window"] - clock()))
    last = since.timestamp() + params["max_window"]
    while True:
        outcome.looks += 1
        now = datetime.fromtimestamp(clock(), UTC)
        look = observe(client, scope, params, since, now, outcome.capabilities)
        outcome.rules = judge(look, params, since)
        outcome.new_issues = look.issues.first_page
        outcome.decision = verdict(outcome.rules)
        if (outcome.decision != "insufficient" or params["insufficient"] != "wait"
                or clock() + params["interval"] > last):
            return
        sleep(params["interval"])


def gate(
    client: SentryClient, params: Mapping[str, Any],
    sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    """Find the project (a wrong token or slug shows at once, not after the window), wait,
    look (again while the data is too little), decide."""
    since = parse_since(params["since"])
    if since.timestamp() > clock() + CLOCK_SKEW:
        raise InputError("since must not be in the future")
    outcome = Outcome()
    try:
        scope = Scope(params["org"], project_id(client, params["org"], params["project"]),
                      params["environment"])
        _looks(client, scope, params, since, outcome, sleep, clock)
    except SentryAPIError as err:
        outcome.decision = "unavailable"
        outcome.reason = scrub(str(err), [params["api_token"] or ""])
    return result(params, since, outcome, clock())


def result(
    params: Mapping[str, Any], since: datetime, outcome: Outcome, decided: float
) -> dict[str, Any]:
    """The module's result; the lines of an earlier look stay above an unavailable Sentry."""
    waited = decided - since.timestamp()
    passed, last_line = decision_line(outcome.decision, outcome.rules, params, waited)
    lines = [rule.line for rule in outcome.rules]
    if outcome.decision == "unavailable":
        lines.append(f"Sentry unavailable: {outcome.reason}")
    return {
        "changed": False, "decision": outcome.decision, "passed": passed,
        "rules": [rule.as_dict() for rule in outcome.rules], "lines": [*lines, last_line],
        "new_issues": outcome.new_issues, "capabilities": outcome.capabilities,
        "looks": outcome.looks, "since": stamp(since),
        "decided_at": stamp(datetime.fromtimestamp(decided, UTC)),
        "seconds_to_decision": round(waited, 3), "plan": plan(params),
    }
