"""Find error events by one tag through Sentry's events (Discover) API, looking again until
they arrive or the wait is over: events reach the API a few seconds after ingestion."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from ansible.module_utils.sentry_api import InputError, SentryAPIError, SentryClient, path_segment

TAG = re.compile(r"^[A-Za-z0-9_.:-]{1,32}$")
VALUE = re.compile(r"^[A-Za-z0-9_.:@+-]{1,200}$")
PERIOD = re.compile(r"^[0-9]{1,4}[mhdw]$")


def check(params: Mapping[str, Any]) -> None:
    """Refuse options that cannot go into a search query as they are."""
    if not TAG.match(params["tag"]):
        raise InputError("tag must be 1 to 32 letters, digits, '_', '.', ':' or '-'")
    if not VALUE.match(params["value"]):
        raise InputError("value must be 1 to 200 letters, digits or '_.:@+-'")
    if not PERIOD.match(params["period"]):
        raise InputError("period must be a number and a unit (m, h, d or w), for example 1h")
    if params["wait"] < 0 or params["interval"] <= 0:
        raise InputError("wait must be 0 or more seconds and interval more than 0")


def project_id(client: SentryClient, org: str, project: str) -> str:
    path = f"/projects/{path_segment(org)}/{path_segment(project)}/"
    found = client.get(path).get("id")
    if not isinstance(found, (str, int)) or isinstance(found, bool):
        raise SentryAPIError("GET", client.full_path(path), 200, "the answer has no project id")
    return str(found)


def lookup(client: SentryClient, org: str, project: str, params: Mapping[str, Any]) -> list[dict]:
    """One look: the project's error events whose tag has the value, as {id}."""
    path = f"/organizations/{path_segment(org)}/events/"
    query = {"dataset": "errors", "field": ["id", params["tag"]], "project": project,
             "statsPeriod": params["period"], "query": f"{params['tag']}:{params['value']}"}
    answer = client.request("GET", path, query, expect=dict).data
    rows = answer.get("data")
    if not isinstance(rows, list):
        raise SentryAPIError("GET", client.full_path(path), 200, "the answer has no data list")
    return [{"id": str(row.get("id"))} for row in rows
            if isinstance(row, dict) and str(row.get(params["tag"])) == params["value"]]


def find(
    client: SentryClient,
    params: Mapping[str, Any],
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Look until at least ``params['count']`` events are found or ``wait`` seconds passed."""
    pid = project_id(client, params["org"], params["project"])
    ends = clock() + params["wait"]
    looks = 0
    while True:
        looks += 1
        events = lookup(client, params["org"], pid, params)
        if len(events) >= params["count"] or clock() + params["interval"] > ends:
            return {"changed": False, "events": events, "project_id": pid, "looks": looks}
        sleep(params["interval"])
