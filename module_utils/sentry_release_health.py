"""What Sentry saw of two releases of one project in one environment: the issues first seen in
a release, error events per release, and sessions (requests) per release.

Each read is one function on the shared client. The events and sessions APIs are missing
from older self-hosted Sentry: their 404 is returned as None (the capability is absent), any
other failure or an answer of the wrong shape raises SentryAPIError.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ansible.module_utils.sentry_api import (
    SentryAPIError,
    SentryClient,
    next_cursor,
    path_segment,
)

ISSUES_PAGE = 25
SESSIONS = "sum(session)"
COUNT = "count()"


@dataclass(frozen=True)
class Scope:
    """The project (numeric id) and environment every read is about."""

    org: str
    project_id: str
    environment: str


@dataclass(frozen=True)
class NewIssues:
    total: int
    first_page: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Sessions:
    """Sessions per release, and the range Sentry counted them over (whole hours)."""

    start: datetime
    end: datetime
    counts: dict[str, int]


def stamp(moment: datetime) -> str:
    """A UTC time as Sentry's search syntax and the reports write it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime:
    """An ISO 8601 time; one without a zone is UTC, as Sentry writes and reads it."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def _query_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _shape_error(client: SentryClient, path: str, what: str) -> SentryAPIError:
    return SentryAPIError("GET", client.full_path(path), 200, f"the answer {what}")


def _read_if_there(
    client: SentryClient, path: str, query: dict[str, Any]
) -> dict[str, Any] | None:
    """The answer of an API that older servers lack; None when the server has no such path
    (its 404 may not even be JSON)."""
    try:
        return client.get(path, query)
    except SentryAPIError as err:
        if err.status == 404:
            return None
        raise


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers).items():
        if key.lower() == name.lower():
            return value
    return None


def _count(value: Any) -> int | None:
    """A count as Sentry sends it (a number, or a string of digits for issues)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, (int, float)) and math.isfinite(value) and value >= 0:
        return int(value)
    return None


def _issue(item: Any) -> dict[str, Any]:
    item = item if isinstance(item, dict) else {}
    return {
        "short_id": str(item.get("shortId") or item.get("id") or "?"),
        "title": str(item.get("title") or ""),
        "permalink": str(item.get("permalink") or ""),
        "count": _count(item.get("count")),
        "first_seen": str(item.get("firstSeen") or ""),
    }


def new_issues(
    client: SentryClient, scope: Scope, release: str, since: datetime, now: datetime
) -> NewIssues:
    """Issues first seen in ``release`` since ``since``: their number (``X-Hits``, else the
    pages counted) and the first page, newest first."""
    path = f"/organizations/{path_segment(scope.org)}/issues/"
    query = {
        "project": scope.project_id, "environment": scope.environment,
        "query": f'firstRelease:"{release}" firstSeen:>={stamp(since)}',
        "start": _query_time(since), "end": _query_time(now), "sort": "new",
        "limit": ISSUES_PAGE,
    }
    answer = client.request("GET", path, query, expect=list)
    hits = _count(_header(answer.headers, "X-Hits"))
    if hits is None:
        hits = len(answer.data) + _rest(client, path, query, answer.headers)
    return NewIssues(hits, [_issue(item) for item in answer.data])


def _rest(client: SentryClient, path: str, query: dict[str, Any], headers: Any) -> int:
    cursor = next_cursor(_header(headers, "Link"))
    if cursor is None:
        return 0
    return len(client.paginate(path, {**query, "cursor": cursor}))


def error_counts(
    client: SentryClient, scope: Scope, releases: tuple[str, str], start: datetime,
    end: datetime,
) -> dict[str, int] | None:
    """Error events per release between ``start`` and ``end``; None without the events API."""
    path = f"/organizations/{path_segment(scope.org)}/events/"
    names = ",".join(f'"{release}"' for release in releases)
    query = {
        "dataset": "errors", "field": ["release", COUNT], "project": scope.project_id,
        "environment": scope.environment, "query": f"release:[{names}]",
        "start": _query_time(start), "end": _query_time(max(start, end)),
    }
    answer = _read_if_there(client, path, query)
    if answer is None:
        return None
    rows = answer.get("data")
    if not isinstance(rows, list):
        raise _shape_error(client, path, "has no data list")
    counts = dict.fromkeys(releases, 0)
    for row in rows:
        number = _count(row.get(COUNT)) if isinstance(row, dict) else None
        if number is None:
            raise _shape_error(client, path, f"has a row without a usable {COUNT!r}")
        if row.get("release") in counts:
            counts[row["release"]] += number
    return counts


def session_counts(
    client: SentryClient, scope: Scope, releases: tuple[str, str], start: datetime,
    end: datetime,
) -> Sessions | None:
    """Sessions per release from release health; None without the sessions API."""
    path = f"/organizations/{path_segment(scope.org)}/sessions/"
    query = {
        "field": SESSIONS, "groupBy": "release", "project": scope.project_id,
        "environment": scope.environment,
        "query": " OR ".join(f'release:"{release}"' for release in releases),
        "start": _query_time(start), "end": _query_time(end), "interval": "1h",
    }
    data = _read_if_there(client, path, query)
    if data is None:
        return None
    groups = data.get("groups")
    try:
        covered = parse_time(data["start"]), parse_time(data["end"])
    except (KeyError, TypeError, AttributeError, ValueError):
        raise _shape_error(client, path, "has no usable start and end") from None
    if not isinstance(groups, list):
        raise _shape_error(client, path, "has no groups list")
    counts = dict.fromkeys(releases, 0)
    for group in groups:
        by = group.get("by") if isinstance(group, dict) else None
        totals = group.get("totals") if isinstance(group, dict) else None
        if not isinstance(by, dict) or not isinstance(totals, dict):
            raise _shape_error(client, path, "has a group without by and totals")
        number = 0 if totals.get(SESSIONS) is None else _count(totals.get(SESSIONS))
        if number is None:
            raise _shape_error(client, path, f"has a group without a usable {SESSIONS!r}")
        if by.get("release") in counts:
            counts[by["release"]] += number
    return Sessions(covered[0], covered[1], counts)
