"""Release health: the org sessions time series, computed from ingested session items
(request-mode `sessions` aggregates and single `session` updates)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .search import QueryError, Term, as_time, holds, iso, parse, parse_period, time_range
from .state import State

FIELDS = ("sum(session)", "count_unique(user)")
GROUP_BY = ("project", "release", "environment", "session.status")
QUERY_KEYS = ("release", "environment", "project")
# aggregate key -> session.status
AGGREGATE_STATUS = {"exited": "healthy", "errored": "errored", "crashed": "crashed",
                    "abnormal": "abnormal"}
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Sessions:
    """`count` sessions of one release/environment/status that started at `started`."""

    project: int
    release: str | None
    environment: str | None
    status: str
    started: datetime
    count: int
    user: str | None = None

    def value(self, name: str) -> Any:
        return {"project": self.project, "release": self.release,
                "environment": self.environment, "session.status": self.status}[name]


def single_status(payload: dict[str, Any]) -> str:
    status = payload.get("status")
    if status in ("crashed", "abnormal"):
        return str(status)
    return "errored" if payload.get("errors") else "healthy"


def records(state: State) -> Iterator[Sessions]:
    """Every session the stand-in received, as (attributes, start, status, count)."""
    for item in state.events:
        payload, project = item["payload"], int(item["project_id"])
        if not isinstance(payload, dict):
            continue
        attrs = payload.get("attrs") if isinstance(payload.get("attrs"), dict) else {}
        release, env = attrs.get("release"), attrs.get("environment")
        if item["type"] == "sessions":
            for bucket in payload.get("aggregates") or []:
                started = as_time(bucket.get("started")) if isinstance(bucket, dict) else None
                if started is None:
                    continue
                for key, status in AGGREGATE_STATUS.items():
                    if isinstance(bucket.get(key), int) and bucket[key] > 0:
                        yield Sessions(project, release, env, status, started, bucket[key])
        elif item["type"] == "session" and payload.get("init") is True:
            started = as_time(payload.get("started"))
            if started is not None:
                yield Sessions(project, release, env, single_status(payload), started, 1,
                               payload.get("did"))


def check_interval(raw: str | None) -> timedelta:
    interval = parse_period(raw or "1h", "interval")
    if interval < timedelta(hours=1):
        raise QueryError("The interval has to be at least one hour.")
    if interval > DAY or DAY % interval:
        raise QueryError("The interval can be at most one day and has to divide one day cleanly.")
    return interval


def rounded_range(
    args: dict[str, list[str]], interval: timedelta
) -> tuple[datetime, datetime, list[datetime]]:
    """Start floored and end ceiled to the interval, at least one interval long."""
    span = time_range(args)
    step = int(interval.total_seconds())
    start_s = int(span[0].timestamp()) // step * step
    end_s = -(-int(span[1].timestamp()) // step) * step
    end_s = max(end_s, start_s + step)
    start = datetime.fromtimestamp(start_s, span[0].tzinfo)
    moments = [start + n * interval for n in range((end_s - start_s) // step)]
    return start, datetime.fromtimestamp(end_s, span[0].tzinfo), moments


def term_holds(record: Sessions, term: Term) -> bool:
    if term.key == "":
        raise QueryError(f"Invalid search query: free text {term.values[0]!r} is not supported.")
    found = record.value(term.key) if term.key != "project" else str(record.project)
    return found is not None and str(found) in term.values


def check_list(values: list[str], allowed: tuple[str, ...], name: str) -> list[str]:
    for value in values:
        if value not in allowed:
            raise QueryError(f'Invalid {name}: "{value}"; one of {", ".join(allowed)}.')
    return values


def field_value(name: str, members: list[Sessions]) -> int:
    if name == "sum(session)":
        return sum(r.count for r in members)
    return len({r.user for r in members} - {None})


def series(
    state: State, project_ids: set[str] | None, args: dict[str, list[str]]
) -> dict[str, Any]:
    """The answer of GET /organizations/{org}/sessions/."""
    def arg(name: str) -> str | None:
        return (args.get(name) or [None])[-1]

    fields = check_list(args.get("field") or [], FIELDS, "field")
    if not fields:
        raise QueryError('Request is missing a "field"')
    group_by = check_list(args.get("groupBy") or [], GROUP_BY, "groupBy")
    interval = check_interval(arg("interval"))
    start, end, moments = rounded_range(args, interval)
    query = arg("query") or ""
    alternatives = parse(query, QUERY_KEYS)
    envs = set(args.get("environment") or [])
    groups: dict[tuple[Any, ...], list[Sessions]] = {}
    for record in records(state):
        if ((project_ids is None or str(record.project) in project_ids)
                and (not envs or record.environment in envs)
                and start <= record.started < end
                and holds(alternatives, lambda term, r=record: term_holds(r, term))):
            groups.setdefault(tuple(record.value(g) for g in group_by), []).append(record)
    if not group_by:
        groups.setdefault((), [])
    answer = [group_json(dict(zip(group_by, key, strict=True)), members, fields, moments,
                         interval, args) for key, members in groups.items()]
    order(answer, arg("orderBy"), fields, arg("includeTotals") != "0")
    per_page = arg("per_page")
    if per_page is not None:
        if not per_page.isdigit() or int(per_page) < 1:
            raise QueryError("Invalid per_page parameter.")
        answer = answer[:int(per_page)]
    return {"start": iso(start), "end": iso(end), "intervals": [iso(m) for m in moments],
            "groups": answer, "query": query}


def group_json(
    by: dict[str, Any], members: list[Sessions], fields: list[str], moments: list[datetime],
    interval: timedelta, args: dict[str, list[str]],
) -> dict[str, Any]:
    group: dict[str, Any] = {"by": by}
    if (args.get("includeTotals") or ["1"])[-1] != "0":
        group["totals"] = {name: field_value(name, members) for name in fields}
    if (args.get("includeSeries") or ["1"])[-1] != "0":
        group["series"] = {
            name: [field_value(name, [r for r in members if m <= r.started < m + interval])
                   for m in moments]
            for name in fields
        }
    return group


def order(groups: list[dict[str, Any]], order_by: str | None, fields: list[str],
          totals: bool) -> None:
    if not order_by:
        groups.sort(key=lambda g: [str(v) for v in g["by"].values()])
        return
    name = order_by.lstrip("-")
    if name not in fields:
        raise QueryError("'orderBy' must be one of the provided 'fields'")
    if not totals:
        raise QueryError("'orderBy' needs the totals (includeTotals=1)")
    groups.sort(key=lambda g: g["totals"][name], reverse=order_by.startswith("-"))
