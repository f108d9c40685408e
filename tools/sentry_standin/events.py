"""Reading back ingested error events: project events, one event, and the Explore table
(`/organizations/{org}/events/?dataset=errors`), searchable by tag as on Sentry."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from .state import State

DATASETS = ("errors", "logs", "profile_functions", "spans", "tracemetrics", "uptime_results")
BUILTIN_TAGS = ("environment", "level", "release", "server_name", "transaction")
MAX_FIELDS = 20
TERM = re.compile(r'(?P<neg>!)?(?:(?P<key>[\w.\[\]-]+):)?(?P<value>"[^"]*"|\S+)')


class QueryError(ValueError):
    """The search or field list is not valid: a 400 answer with this detail."""


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


def timestamp(event: dict[str, Any]) -> str:
    value = event["payload"].get("timestamp")
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value or event["received_at"])


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


def parse_query(query: str | None) -> list[tuple[bool, str, str]]:
    """`key:value tags[k]:"v w" !key:value words` -> [(negated, key, value)]; key "" = text."""
    terms = []
    for match in TERM.finditer(query or ""):
        key = match["key"] or ""
        tag = re.fullmatch(r"tags\[([\w.-]+)\]", key)
        terms.append((bool(match["neg"]), tag[1] if tag else key, match["value"].strip('"')))
    return terms


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
    }
    if name in builtin:
        return builtin[name]
    return next((t["value"] for t in tags(event) if t["key"] == name), None)


def matches(event: dict[str, Any], terms: list[tuple[bool, str, str]], state: State) -> bool:
    for negated, key, value in terms:
        if key == "":
            hit = value.lower() in message(event).lower()
        elif key == "has":
            hit = field_value(event, value, state) is not None
        else:
            found = field_value(event, key, state)
            hit = found is not None and str(found) == value
        if hit == negated:
            return False
    return True


def check_fields(fields: list[str]) -> None:
    if not fields:
        raise QueryError("No columns selected")
    if len(fields) > MAX_FIELDS:
        raise QueryError(f"You can view up to {MAX_FIELDS} fields at a time. "
                         "Please delete some and try again.")
    for name in fields:
        if "(" in name:
            raise QueryError(f"Unsupported function in the stand-in: {name}")


def explore_rows(
    state: State, project_ids: set[str] | None, dataset: str | None, fields: list[str],
    query: str | None,
) -> list[dict[str, Any]]:
    """Rows of the Explore table; only the `errors` dataset holds anything here."""
    if dataset not in DATASETS:
        raise QueryError(f"dataset must be one of {', '.join(DATASETS)}")
    check_fields(fields)
    if dataset != "errors":
        return []
    terms = parse_query(query)
    return [
        {name: field_value(e, name, state) for name in fields}
        for e in error_events(state, project_ids) if matches(e, terms, state)
    ]


def explore_meta(fields: list[str]) -> dict[str, Any]:
    kinds = {"project.id": "integer", "timestamp": "date"}
    return {
        "fields": {name: kinds.get(name, "string") for name in fields},
        "units": dict.fromkeys(fields),
        "dataset": "errors",
        "isMetricsData": False,
        "isMetricsExtractedData": False,
        "tips": {},
    }
