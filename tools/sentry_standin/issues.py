"""Issues: received error events grouped as Sentry groups them, and the org issue search."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .events import error_events, event_time, message, user_key
from .search import QueryError, Term, check_times, compare, holds, iso, parse, parse_time
from .state import State

SEARCH_KEYS = ("is", "firstRelease", "release", "firstSeen", "lastSeen", "environment",
               "level", "title", "message")
STATUS_MATCHES = {"unresolved": True, "unassigned": True, "for_review": True,
                  "resolved": False, "ignored": False, "archived": False, "assigned": False}
SORTS = {
    "date": lambda i: i.last_seen, "new": lambda i: i.first_seen, "freq": lambda i: i.count,
    "user": lambda i: i.user_count, "trends": lambda i: i.last_seen,
    "inbox": lambda i: i.first_seen, "recommended": lambda i: i.last_seen,
}
DEFAULT_FINGERPRINT = ["{{ default }}"]


@dataclass
class Group:
    """One issue: its identity and every event Sentry grouped into it, oldest first."""

    id: str
    short_id: str
    project: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Match:
    """An issue as one search sees it: the events inside the environment and range."""

    group: Group
    events: list[dict[str, Any]]

    @property
    def count(self) -> int:
        return len(self.events)

    @property
    def user_count(self) -> int:
        return len({user_key(e) for e in self.events} - {None})

    @property
    def first_seen(self) -> datetime:
        return event_time(self.events[0])

    @property
    def last_seen(self) -> datetime:
        return event_time(self.events[-1])


def last_exception(payload: dict[str, Any]) -> dict[str, Any] | None:
    values = (payload.get("exception") or {}).get("values") or []
    return values[-1] if values and isinstance(values[-1], dict) else None


def crash_frame(payload: dict[str, Any]) -> dict[str, Any]:
    """The innermost in-app frame of the last exception (else its innermost frame)."""
    frames = ((last_exception(payload) or {}).get("stacktrace") or {}).get("frames") or []
    frames = [f for f in frames if isinstance(f, dict)]
    return next((f for f in reversed(frames) if f.get("in_app")), frames[-1] if frames else {})


def culprit(payload: dict[str, Any]) -> str | None:
    """Sentry's culprit: the one sent, the transaction, or the crashing frame."""
    if payload.get("culprit") or payload.get("transaction"):
        return str(payload.get("culprit") or payload.get("transaction"))
    frame = crash_frame(payload)
    if not frame:
        return None
    return f"{frame.get('module') or frame.get('filename') or '?'} in {frame.get('function')}"


def group_key(event: dict[str, Any]) -> tuple[Any, ...]:
    payload = event["payload"]
    fingerprint = payload.get("fingerprint")
    if isinstance(fingerprint, list) and fingerprint and fingerprint != DEFAULT_FINGERPRINT:
        return (event["project_id"], "fingerprint", tuple(str(f) for f in fingerprint))
    exception = last_exception(payload)
    if exception is not None:
        return (event["project_id"], "exception", exception.get("type"), culprit(payload))
    return (event["project_id"], "message", message(event))


def groups(state: State) -> list[Group]:
    """Every issue, numbered in the order its first event arrived (stable across calls)."""
    found: dict[tuple[Any, ...], Group] = {}
    per_project: dict[str, int] = {}
    for event in reversed(error_events(state, None)):
        key = group_key(event)
        if key not in found:
            project = state.project(event["project_id"]) or {"id": event["project_id"],
                                                              "slug": event["project_id"]}
            number = per_project[project["id"]] = per_project.get(project["id"], 0) + 1
            found[key] = Group(str(int(project["id"]) * 100000 + number),
                               f"{project['slug'].upper()}-{number}", project)
        found[key].events.append(event)
    for group in found.values():
        group.events.sort(key=event_time)
    return list(found.values())


def title(event: dict[str, Any]) -> str:
    exception = last_exception(event["payload"])
    if exception is not None:
        kind, value = exception.get("type") or "Error", exception.get("value") or ""
        return f"{kind}: {value}" if value else str(kind)
    return message(event) or "<unlabeled event>"


def metadata(event: dict[str, Any]) -> dict[str, Any]:
    exception = last_exception(event["payload"])
    if exception is None:
        return {"title": title(event)}
    frame = crash_frame(event["payload"])
    return {"type": exception.get("type"), "value": exception.get("value"),
            "filename": frame.get("filename"), "function": frame.get("function")}


# search ---------------------------------------------------------------------------------------
def term_holds(match: Match, in_env: list[dict[str, Any]], term: Term) -> bool:
    """One search term against an issue; firstRelease and firstSeen look at the issue's whole
    life in the environments searched, as Sentry's per-environment group data does."""
    latest = match.events[-1]
    if term.key in ("", "title", "message"):
        return all(v.lower() in title(latest).lower() for v in term.values)
    if term.key == "is":
        return any(STATUS_MATCHES[v] for v in term.values)
    if term.key == "firstRelease":
        return in_env[0]["payload"].get("release") in term.values
    if term.key == "release":
        return any(e["payload"].get("release") in term.values for e in match.events)
    if term.key == "level":
        return (latest["payload"].get("level") or "error") in term.values
    if term.key in ("firstSeen", "lastSeen"):
        seen = event_time(in_env[0] if term.key == "firstSeen" else in_env[-1])
        return any(compare(seen, term.op, parse_time(v, term.key)) for v in term.values)
    raise QueryError(f"Invalid search query: unknown key {term.key!r}.")


@dataclass
class EventFilter:
    """Which events count: the `environment` parameters and `environment:` terms."""

    wanted: set[str]
    unwanted: set[str]

    def __call__(self, event: dict[str, Any]) -> bool:
        env = event["payload"].get("environment")
        return (not self.wanted or env in self.wanted) and env not in self.unwanted


def split_environments(
    params: list[str], alternatives: list[list[Term]]
) -> tuple[EventFilter, list[list[Term]]]:
    """Environment terms select the events counted, as Sentry applies them to events."""
    events = EventFilter(set(params), set())
    for term in (t for terms in alternatives for t in terms if t.key == "environment"):
        (events.unwanted if term.negated else events.wanted).update(term.values)
    rest = [[t for t in terms if t.key != "environment"] for terms in alternatives]
    return events, rest


def search(
    state: State, project_ids: set[str] | None, env_params: list[str], query: str,
    span: tuple[datetime, datetime], sort: str,
) -> list[Match]:
    """Issues with an event in the environments and range that the query matches, sorted."""
    if sort not in SORTS:
        raise QueryError(f"Invalid sort: {sort!r}; one of {', '.join(SORTS)}.")
    alternatives = parse(query, SEARCH_KEYS)
    check_times(alternatives, ("firstSeen", "lastSeen"))
    for term in (t for terms in alternatives for t in terms if t.key == "is"):
        unknown = [v for v in term.values if v not in STATUS_MATCHES]
        if unknown:
            raise QueryError(f"Invalid value for is: {unknown[0]}")
    in_envs, alternatives = split_environments(env_params, alternatives)
    found = []
    for group in groups(state):
        if project_ids is not None and group.project["id"] not in project_ids:
            continue
        in_env = [e for e in group.events if in_envs(e)]
        in_range = [e for e in in_env if span[0] <= event_time(e) <= span[1]]
        if not in_range:
            continue
        match = Match(group, in_range)
        if holds(alternatives, lambda term, m=match, env=in_env: term_holds(m, env, term)):
            found.append(match)
    found.sort(key=lambda m: (SORTS[sort](m), int(m.group.id)), reverse=True)
    return found


# answer shape ---------------------------------------------------------------------------------
def hourly_stats(events: list[dict[str, Any]]) -> list[list[int]]:
    """Counts per hour over the last 24 hours, as the `24h` stats Sentry adds to each issue."""
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    hour = timedelta(hours=1)
    starts = [end - (24 - n) * hour for n in range(24)]
    return [[int(h.timestamp()), sum(1 for e in events if h <= event_time(e) < h + hour)]
            for h in starts]


def issue_json(state: State, match: Match) -> dict[str, Any]:
    group, latest = match.group, match.events[-1]
    payload, project = latest["payload"], group.project
    first = group.events[0]
    lifetime = Match(group, group.events)
    return {
        "id": group.id, "shareId": None, "shortId": group.short_id, "title": title(latest),
        "culprit": culprit(payload),
        "permalink": f"{state.public_url}/organizations/{state.org['slug']}/issues/{group.id}/",
        "logger": payload.get("logger"), "level": payload.get("level") or "error",
        "status": "unresolved", "statusDetails": {}, "substatus": "new", "isPublic": False,
        "platform": first["payload"].get("platform") or project.get("platform"),
        "priority": "high", "priorityLockedAt": None, "seerFixabilityScore": None,
        "seerAutofixLastTriggered": None, "seerExplorerAutofixLastTriggered": None,
        "project": {"id": project["id"], "name": project.get("name", project["slug"]),
                    "slug": project["slug"], "platform": project.get("platform")},
        "type": "error" if last_exception(payload) else "default",
        "issueType": "error", "issueCategory": "error", "metadata": metadata(latest),
        "numComments": 0, "assignedTo": None, "isBookmarked": False, "isSubscribed": False,
        "subscriptionDetails": None, "hasSeen": False, "annotations": [],
        "isUnhandled": any(not ((e.get("mechanism") or {}).get("handled", True))
                           for e in (payload.get("exception") or {}).get("values") or []
                           if isinstance(e, dict)),
        "count": str(match.count), "userCount": match.user_count,
        "firstSeen": iso(match.first_seen), "lastSeen": iso(match.last_seen),
        "derivedData": {}, "stats": {"24h": hourly_stats(match.events)},
        "lifetime": {"count": str(lifetime.count), "userCount": lifetime.user_count,
                     "firstSeen": iso(lifetime.first_seen), "lastSeen": iso(lifetime.last_seen)},
        "filtered": None, "sessionCount": 0,
        "inbox": {"reason": 0, "reason_details": None, "date_added": iso(lifetime.first_seen)},
        "owners": None, "integrationIssues": [], "sentryAppIssues": [],
        "latestEventHasAttachments": False, "matchingEventId": latest["event_id"],
        "matchingEventEnvironment": payload.get("environment"),
    }
