"""Reading back ingested error events: project events, one event, and the Explore table
(`/organizations/{org}/events/?dataset=errors`), searchable by tag as on Sentry."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from .search import (
    QueryError,
    Term,
    as_time,
    check_times,
    compare,
    holds,
    iso,
    parse,
    parse_time,
    requested_range,
)
from .state import State

DATASETS = ("errors", "logs", "profile_functions", "spans", "tracemetrics", "uptime_results")
BUILTIN_TAGS = ("environment", "level", "release", "server_name", "transaction")
MAX_FIELDS = 20
FUNCTION = re.compile(r"(?P<name>count|count_unique)\((?P<arg>[\w.\[\]-]*)\)")


def error_events(state: State, project_ids: set[str] | None) -> list[dict[str, Any]]:
    """Accepted `event` items of the given projects (all when None), newest first."""
    found = [
        e for e in state.events
        if e["type"] == "event" and isinstance(e["payload"], dict)
        and (project_ids is None or e["project_id"] in project_ids)
    ]
    return sorted(found, key=lambda e: e["received_at"], reverse=True)


def tags(event: dict[str, Any]) -> list[dict[str, str]]:
    """The event's tags as Sentry lists them: the SDK's tags plus the built-in ones."""
    payload = event["payload"]
    raw = payload.get("tags") or {}
    pairs = list(raw.items()) if isinstance(raw, dict) else [
        tuple(p) for p in raw if isinstance(p, (list, tuple)) and len(p) == 2
    ]
    for name in BUILTIN_TAGS:
        if payload.get(name) is not None:
            pairs.append((name, payload[name]))
    if "level" not in dict(pairs):
        pairs.append(("level", "error"))
    seen: dict[str, str] = {}
    for key, value in pairs:
        seen.setdefault(str(key), str(value))
    return [{"key": k, "value": v} for k, v in sorted(seen.items())]


def user_key(event: dict[str, Any]) -> str | None:
    """The user as Sentry tells users apart: by id, else username, email or IP address."""
    user = event["payload"].get("user")
    if not isinstance(user, dict):
        return None
    for name in ("id", "username", "email", "ip_address"):
        if user.get(name) is not None:
            return f"{name}:{user[name]}"
    return None


def message(event: dict[str, Any]) -> str:
    payload = event["payload"]
    entry = payload.get("logentry")
    if isinstance(entry, dict):
        return str(entry.get("formatted") or entry.get("message") or "")
    if payload.get("message"):
        return str(payload["message"])
    values = (payload.get("exception") or {}).get("values") or []
    if values and isinstance(values[-1], dict):
        last = values[-1]
        return f"{last.get('type', 'Error')}: {last.get('value', '')}"
    return ""


def event_time(event: dict[str, Any]) -> datetime:
    """When the event happened: its payload timestamp, else when it was received."""
    return as_time(event["payload"].get("timestamp")) or parse_time(event["received_at"], "at")


def timestamp(event: dict[str, Any]) -> str:
    return iso(event_time(event))


def event_json(event: dict[str, Any], detail: bool = False) -> dict[str, Any]:
    payload = event["payload"]
    text = message(event)
    body: dict[str, Any] = {
        "id": event["event_id"],
        "eventID": event["event_id"],
        "groupID": None,
        "projectID": event["project_id"],
        "message": text,
        "title": text or "<unlabeled event>",
        "location": None,
        "culprit": payload.get("culprit") or payload.get("transaction"),
        "user": payload.get("user"),
        "tags": tags(event),
        "platform": payload.get("platform"),
        "dateCreated": timestamp(event),
        "crashFile": None,
        "metadata": {},
        "event.type": "error" if payload.get("exception") else "default",
    }
    if detail:
        del body["event.type"], body["crashFile"]
        body.update(
            type="error" if payload.get("exception") else "default",
            dateReceived=event["received_at"], contexts=payload.get("contexts") or {},
            size=None, entries=[], dist=payload.get("dist"), sdk=payload.get("sdk"),
            context=payload.get("extra") or {}, packages={}, errors=[],
        )
    return body


def parse_query(query: str | None) -> list[list[Term]]:
    """`key:value tags[k]:"v w" !key:value key:[a,b] words`, alternatives split on OR."""
    return parse(query)


def field_value(event: dict[str, Any], name: str, state: State) -> Any:
    tag = re.fullmatch(r"tags\[([\w.-]+)\]", name)
    name = tag[1] if tag else name
    project = state.project(event["project_id"]) or {}
    builtin = {
        "id": event["event_id"],
        "project.id": int(event["project_id"]),
        "project": project.get("slug"),
        "project.name": project.get("slug"),
        "timestamp": timestamp(event),
        "message": message(event),
        "title": message(event) or "<unlabeled event>",
        "event.type": "error" if event["payload"].get("exception") else "default",
        "platform": event["payload"].get("platform"),
        "user": user_key(event),
    }
    if name in builtin:
        return builtin[name]
    return next((t["value"] for t in tags(event) if t["key"] == name), None)


def term_holds(event: dict[str, Any], term: Term, state: State) -> bool:
    if term.key == "":
        return all(v.lower() in message(event).lower() for v in term.values)
    if term.key == "has":
        return all(field_value(event, v, state) is not None for v in term.values)
    if term.key == "timestamp":
        return all(compare(event_time(event), term.op, parse_time(v, "timestamp"))
                   for v in term.values)
    found = field_value(event, term.key, state)
    return found is not None and str(found) in term.values


def matches(event: dict[str, Any], terms: list[list[Term]], state: State) -> bool:
    return holds(terms, lambda term: term_holds(event, term, state))


def check_fields(fields: list[str]) -> None:
    if not fields:
        raise QueryError("No columns selected")
    if len(fields) > MAX_FIELDS:
        raise QueryError(f"You can view up to {MAX_FIELDS} fields at a time. "
                         "Please delete some and try again.")
    for name in fields:
        if "(" in name and not FUNCTION.fullmatch(name):
            raise QueryError(f"Unsupported function in the stand-in: {name}")
        if name == "count_unique()":
            raise QueryError("count_unique: expected 1 argument(s)")


def selected(
    state: State, project_ids: set[str] | None, args: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Error events of the projects matching `environment` (repeated), the range and `query`."""
    envs = set(args.get("environment") or [])
    span = requested_range(args)
    terms = parse_query((args.get("query") or [""])[-1])
    check_times(terms, ("timestamp",))
    return [
        e for e in error_events(state, project_ids)
        if (not envs or e["payload"].get("environment") in envs)
        and (span is None or span[0] <= event_time(e) <= span[1])
        and matches(e, terms, state)
    ]


def aggregate(
    found: list[dict[str, Any]], fields: list[str], state: State
) -> list[dict[str, Any]]:
    """One row per distinct value of the non-function fields, with the functions over it."""
    keys = [f for f in fields if not FUNCTION.fullmatch(f)]
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for event in found:
        groups.setdefault(tuple(field_value(event, k, state) for k in keys), []).append(event)
    rows = []
    for values, members in groups.items():
        row = dict(zip(keys, values, strict=True))
        for name in fields:
            function = FUNCTION.fullmatch(name)
            if function is None:
                continue
            if function["name"] == "count":
                row[name] = len(members)
            else:
                seen = {field_value(e, function["arg"], state) for e in members}
                row[name] = len(seen - {None})
        rows.append({name: row[name] for name in fields})
    return rows


def sort_rows(rows: list[dict[str, Any]], sort: str | None, fields: list[str]) -> None:
    if not sort:
        return
    name = sort.lstrip("-")
    if name not in fields:
        raise QueryError(f"Cannot sort by a field that is not selected: {name}")
    rows.sort(key=lambda r: (r[name] is not None, r[name] if r[name] is not None else 0),
              reverse=sort.startswith("-"))


def explore_rows(
    state: State, project_ids: set[str] | None, fields: list[str], args: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """Rows of the Explore table; only the `errors` dataset holds anything here."""
    dataset = (args.get("dataset") or [None])[-1]
    if dataset not in DATASETS:
        raise QueryError(f"dataset must be one of {', '.join(DATASETS)}")
    check_fields(fields)
    if dataset != "errors":
        return []
    found = selected(state, project_ids, args)
    if any(FUNCTION.fullmatch(f) for f in fields):
        rows = aggregate(found, fields, state)
    else:
        rows = [{name: field_value(e, name, state) for name in fields} for e in found]
    sort_rows(rows, (args.get("sort") or [None])[-1], fields)
    return rows


def explore_meta(fields: list[str]) -> dict[str, Any]:
    kinds = {"project.id": "integer", "timestamp": "date"}
    return {
        "fields": {name: "integer" if FUNCTION.fullmatch(name) else kinds.get(name, "string")
                   for name in fields},
        "units": dict.fromkeys(fields),
        "dataset": "errors",
        "isMetricsData": False,
        "isMetricsExtractedData": False,
        "tips": {},
    }
