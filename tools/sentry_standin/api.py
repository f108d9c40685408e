"""The web API: route table (path, scopes, mode) and one handler per operation."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from . import alerts, events, issues, search, sessions, validation
from .state import (
    State,
    detector_json,
    key_json,
    member_json,
    new_key,
    now_iso,
    org_json,
    project_json,
    project_summary,
    release_json,
    rule_json,
    team_json,
    team_member_json,
)
from .validation import Invalid, as_int

NOT_FOUND = {"detail": "The requested resource does not exist"}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}
MAX_PER_PAGE = 100


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status, body)
        self.status, self.body = status, body


@dataclass
class Call:
    """One API request after routing and authentication."""

    state: State
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    base_url: str
    page_size: int
    args: dict[str, str] = field(default_factory=dict)
    project: dict[str, Any] | None = None

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Reply]


@dataclass
class Route:
    method: str
    regex: re.Pattern[str]
    handler: Handler
    scopes: tuple[str, ...]
    mode: str | None


# pagination -----------------------------------------------------------------------
def parse_cursor(raw: str) -> tuple[int, int]:
    parts = raw.split(":")
    try:
        value, offset, _is_prev = (int(float(parts[0])), int(parts[1]), int(parts[2]))
    except (ValueError, IndexError):
        raise ApiError(400, {"detail": "Invalid cursor parameter."}) from None
    if len(parts) != 3 or value < 1:
        raise ApiError(400, {"detail": "Invalid cursor parameter."})
    if offset < 0:
        raise ApiError(400, {"detail": "Pagination offset cannot be negative"})
    return value, offset


def cursor_for(start: int, limit: int, is_prev: bool) -> str:
    if start % limit == 0:
        return f"{limit}:{start // limit}:{int(is_prev)}"
    return f"1:{start}:{int(is_prev)}"


def page_limit(call: Call, per_page: bool, name: str = "per_page") -> int:
    raw = call.arg(name) if per_page else None
    if raw is None:
        return call.page_size
    number = as_int(raw)
    if number is None or number < 1:
        raise ApiError(400, {"detail": f"Invalid {name} parameter."})
    if number > MAX_PER_PAGE:
        raise ApiError(400, {"detail": f"Invalid {name} value. Cannot exceed {MAX_PER_PAGE}."})
    return number


def paginate(call: Call, items: list[Any], per_page: bool = False,
             name: str = "per_page") -> Reply:
    """Sentry's offset paginator: cursor `<page size>:<page>:<is_prev>`, both Link rels.
    `per_page`: honour the `name` parameter (else the server's page size)."""
    limit = page_limit(call, per_page, name)
    start = 0
    if call.arg("cursor"):
        value, offset = parse_cursor(call.arg("cursor") or "")
        start = value * offset
    has_next = start + limit < len(items)
    links = [
        link(call, cursor_for(max(start - limit, 0), limit, True), "previous", start > 0),
        link(call, cursor_for(start + limit, limit, False), "next", has_next),
    ]
    return Reply(200, items[start:start + limit], {"Link": ", ".join(links)})


def link(call: Call, cursor: str, rel: str, results: bool) -> str:
    pairs = [(k, v) for k, values in call.query.items() if k != "cursor" for v in values]
    url = f"{call.base_url}{call.path}?{urlencode(pairs)}&cursor={cursor}"
    return f'<{url}>; rel="{rel}"; results="{str(results).lower()}"; cursor="{cursor}"'


# search helpers -----------------------------------------------------------------------
def filter_projects(call: Call) -> set[str] | None:
    """`?project=` takes ids or slugs; -1 means all. Unknown ones are refused like Sentry."""
    values = call.query.get("project")
    if not values or "-1" in values:
        return None
    found = [call.state.project(v) for v in values]
    if not all(found):
        raise ApiError(403, FORBIDDEN)
    return {p["id"] for p in found if p}


def parse_search(query: str | None, keys: tuple[str, ...]) -> dict[str, list[str]]:
    """`type:issue_stream name:"x y" words` -> {"type": [...], "name": [...], "": [...]}."""
    terms: dict[str, list[str]] = {}
    for match in re.finditer(r'(?:(\w+):)?("[^"]*"|\[[^\]]*\]|\S+)', query or ""):
        key, value = match.group(1) or "", match.group(2)
        if key and key not in keys:
            raise ApiError(400, {"detail": f"Invalid key for this search: {key}"})
        values = value.strip("[]").split(",") if value.startswith("[") else [value.strip('"')]
        terms.setdefault(key, []).extend(v.strip() for v in values)
    return terms


def name_matches(name: str, terms: dict[str, list[str]]) -> bool:
    words = terms.get("", []) + terms.get("name", [])
    return all(w.lower() in name.lower() for w in words)


def sort_items(items: list[dict[str, Any]], sort_by: str | None, keys: dict[str, Any]) -> None:
    if not sort_by:
        items.sort(key=lambda i: int(i["id"]))
        return
    field_name = sort_by.lstrip("-")
    if field_name not in keys:
        raise ApiError(400, {"sortBy": [f'"{sort_by}" is not a valid choice.']})
    items.sort(key=keys[field_name], reverse=sort_by.startswith("-"))


def id_filter(call: Call) -> set[str] | None:
    values = call.query.get("id")
    if not values:
        return None
    if any(as_int(v) is None for v in values):
        raise ApiError(400, {"id": ["A valid integer is required."]})
    return set(values)


# organization, teams, members, projects -------------------------------------------------
def get_org(call: Call) -> Reply:
    return Reply(200, org_json(call.state))


def list_org_projects(call: Call) -> Reply:
    terms = parse_search(call.arg("query"), ("slug", "id", "team"))
    projects = sorted(call.state.projects, key=lambda p: p["slug"])
    items = [project_summary(call.state, p) for p in projects if name_matches(p["slug"], terms)]
    return paginate(call, items, per_page=True)


def list_org_teams(call: Call) -> Reply:
    detailed = call.arg("detailed") != "0"
    words = (call.arg("query") or "").lower()
    teams = sorted(call.state.teams, key=lambda t: t["slug"])
    items = [team_json(call.state, t, detailed) for t in teams
             if words in t["slug"].lower() or words in t["name"].lower()]
    return paginate(call, items, per_page=True)


def list_environments(call: Call) -> Reply:
    visibility = call.arg("visibility") or "visible"
    if visibility not in ("all", "hidden", "visible"):
        raise ApiError(400, {"detail": "Invalid value for 'visibility', valid values are: "
                                       "'all', 'hidden', 'visible'"})
    names = [] if visibility == "hidden" else call.state.environments
    return Reply(200, [{"id": str(i), "name": n} for i, n in enumerate(names, start=1)])


def list_org_members(call: Call) -> Reply:
    members = sorted(call.state.members, key=lambda m: m["email"])
    return paginate(call, [member_json(m) for m in members])


def list_team_members(call: Call) -> Reply:
    team = call.state.team(call.args["team"])
    if team is None:
        raise ApiError(404, NOT_FOUND)
    members = sorted(call.state.team_members(team["slug"]), key=lambda m: m["email"])
    return paginate(call, [team_member_json(m, team) for m in members])


def get_project(call: Call) -> Reply:
    return Reply(200, project_json(call.state, call.project or {}))


def list_project_teams(call: Call) -> Reply:
    project = call.project or {}
    teams = [t for t in call.state.teams if t["slug"] in project["teams"]]
    teams.sort(key=lambda t: t["slug"])
    return paginate(call, [team_json(call.state, t) for t in teams])


def list_project_members(call: Call) -> Reply:
    members = call.state.project_members(call.project or {})
    return Reply(200, [member_json(m) for m in sorted(members, key=lambda m: m["email"])])


# monitors (detectors) and alerts (workflows) ---------------------------------------------
def list_detectors(call: Call) -> Reply:
    state = call.state
    projects, ids = filter_projects(call), id_filter(call)
    terms = parse_search(call.arg("query"), ("type", "name", "assignee"))
    items = [
        detector_json(state, d) for d in state.detectors
        if (projects is None or d["project"] in projects)
        and (ids is None or d["id"] in ids)
        and ("type" not in terms or d["type"] in terms["type"])
        and ("assignee" not in terms or "none" in terms["assignee"])  # monitors have no owner
        and name_matches(d["name"], terms)
    ]
    sort_items(items, call.arg("sortBy"), {
        "id": lambda d: int(d["id"]), "name": lambda d: d["name"], "type": lambda d: d["type"],
        "connectedWorkflows": lambda d: len(d["workflowIds"]),
        "latestGroup": lambda d: int(d["id"]), "openIssues": lambda d: int(d["id"]),
    })
    return paginate(call, items)


def get_detector(call: Call) -> Reply:
    det = next((d for d in call.state.detectors if d["id"] == call.args["detector_id"]), None)
    if det is None:
        raise ApiError(404, NOT_FOUND)
    return Reply(200, detector_json(call.state, det))


def list_workflows(call: Call) -> Reply:
    state = call.state
    projects, ids = filter_projects(call), id_filter(call)
    terms = parse_search(call.arg("query"), ("name", "action"))
    detector_project = {d["id"]: d["project"] for d in state.detectors}
    items = [
        w for w in state.workflows
        if (projects is None or {detector_project.get(d) for d in w["detectorIds"]} & projects)
        and (ids is None or w["id"] in ids)
        and ("action" not in terms or action_types(w) & set(terms["action"]))
        and name_matches(w["name"], terms)
    ]
    sort_items(items, call.arg("sortBy"), {
        "id": lambda w: int(w["id"]), "name": lambda w: w["name"],
        "dateCreated": lambda w: w["dateCreated"], "dateUpdated": lambda w: w["dateUpdated"],
        "connectedDetectors": lambda w: len(w["detectorIds"]),
        "actions": lambda w: sum(len(g["actions"]) for g in w["actionFilters"]),
        "priorityDetector": lambda w: int(w["id"]),
    })
    return paginate(call, items)


def action_types(workflow: dict[str, Any]) -> set[str]:
    return {a["type"] for group in workflow["actionFilters"] for a in group["actions"]}


def find_workflow(call: Call) -> dict[str, Any]:
    if as_int(call.args["workflow_id"]) is None:
        raise ApiError(404, NOT_FOUND)
    found = next((w for w in call.state.workflows if w["id"] == call.args["workflow_id"]), None)
    if found is None:
        raise ApiError(404, NOT_FOUND)
    return found


def create_workflow(call: Call) -> Reply:
    workflow = alerts.build_workflow(call.state, call.body)
    call.state.workflows.append(workflow)
    return Reply(201, workflow)


def get_workflow(call: Call) -> Reply:
    return Reply(200, find_workflow(call))


def update_workflow(call: Call) -> Reply:
    current = find_workflow(call)
    updated = alerts.build_workflow(call.state, call.body, existing=current)
    call.state.workflows[call.state.workflows.index(current)] = updated
    return Reply(200, updated)


def delete_workflow(call: Call) -> Reply:
    call.state.workflows.remove(find_workflow(call))
    return Reply(204)


# legacy issue-alert rules -----------------------------------------------------------------
def find_rule(call: Call) -> dict[str, Any]:
    project = call.project or {}
    found = next((r for r in call.state.rules if r["id"] == call.args["rule_id"]
                  and r["project"] == project["id"]), None)
    if found is None:
        raise ApiError(404, NOT_FOUND)
    return found


def list_rules(call: Call) -> Reply:
    project = call.project or {}
    rules = [rule_json(call.state, r) for r in call.state.rules if r["project"] == project["id"]]
    return paginate(call, rules)


def create_rule(call: Call) -> Reply:
    rule = alerts.build_rule(call.state, call.project or {}, call.body)
    call.state.rules.append(rule)
    return Reply(201, rule_json(call.state, rule))


def get_rule(call: Call) -> Reply:
    return Reply(200, rule_json(call.state, find_rule(call)))


def update_rule(call: Call) -> Reply:
    current = find_rule(call)
    updated = alerts.build_rule(call.state, call.project or {}, call.body, existing=current)
    call.state.rules[call.state.rules.index(current)] = updated
    return Reply(200, rule_json(call.state, updated))


def delete_rule(call: Call) -> Reply:
    call.state.rules.remove(find_rule(call))
    return Reply(202)


# client keys --------------------------------------------------------------------------------
def key_status_filter(call: Call) -> bool | None:
    status = call.arg("status")
    if status in (None, ""):
        return None
    if status not in ("active", "inactive"):
        raise ApiError(400, {"detail": "Invalid status"})
    return status == "active"


def find_key(call: Call) -> dict[str, Any]:
    found = call.state.key((call.project or {})["id"], call.args["key_id"])
    if found is None:
        raise ApiError(404, NOT_FOUND)
    return found


def list_keys(call: Call) -> Reply:
    active = key_status_filter(call)
    keys = [key_json(call.state, k) for k in call.state.keys
            if k["project"] == (call.project or {})["id"]
            and (active is None or k["isActive"] == active)]
    return paginate(call, keys)


def list_org_keys(call: Call) -> Reply:
    active = key_status_filter(call)
    team = call.arg("team")
    projects = {p["id"] for p in call.state.projects if team is None or team in p["teams"]}
    keys = [key_json(call.state, k) for k in call.state.keys
            if k["project"] in projects and (active is None or k["isActive"] == active)]
    return paginate(call, keys)


def create_key(call: Call) -> Reply:
    fields = validation.validate_key_create(call.body)
    key = new_key((call.project or {})["id"], fields)
    call.state.keys.append(key)
    return Reply(201, key_json(call.state, key))


def get_key(call: Call) -> Reply:
    return Reply(200, key_json(call.state, find_key(call)))


def update_key(call: Call) -> Reply:
    key = find_key(call)
    key.update(validation.validate_key_update(call.body))
    return Reply(200, key_json(call.state, key))


def delete_key(call: Call) -> Reply:
    call.state.keys.remove(find_key(call))
    return Reply(204)


# releases and deploys -------------------------------------------------------------------
def find_release(call: Call) -> dict[str, Any]:
    found = call.state.release(call.args["version"])
    if found is None:
        raise ApiError(404, NOT_FOUND)
    return found


def list_releases(call: Call) -> Reply:
    state = call.state
    projects = set(call.query.get("project", [])) - {"-1"} or None
    env, words = call.arg("environment"), (call.arg("query") or "").lower()
    items = [
        release_json(state, r)
        for r in sorted(state.releases, key=lambda r: r["dateCreated"], reverse=True)
        if (projects is None or set(r["projects"]) & projects)
        and (env is None or any(d["environment"] == env for d in r["deploys"]))
        and words in r["version"].lower()
    ]
    return paginate(call, items, per_page=True)


def create_release(call: Call) -> Reply:
    fields = validation.validate_release(call.state, call.body)
    existing = call.state.release(fields["version"])
    if existing is not None:
        # Sentry only adds the new projects (and commits) to a release that already exists.
        existing["projects"] += [p for p in fields["projects"] if p not in existing["projects"]]
        existing["commits"] += fields["commits"]
        return Reply(208, release_json(call.state, existing))
    release = dict(fields, id=int(call.state.next_id()), dateCreated=now_iso(), deploys=[])
    call.state.releases.append(release)
    return Reply(201, release_json(call.state, release))


def get_release(call: Call) -> Reply:
    return Reply(200, release_json(call.state, find_release(call)))


def update_release(call: Call) -> Reply:
    release = find_release(call)
    release.update(validation.validate_release_update(call.body))
    return Reply(200, release_json(call.state, release))


def delete_release(call: Call) -> Reply:
    call.state.releases.remove(find_release(call))
    return Reply(204)


def list_deploys(call: Call) -> Reply:
    deploys = sorted(find_release(call)["deploys"], key=lambda d: d["dateFinished"], reverse=True)
    return paginate(call, [dict(d) for d in deploys])


def create_deploy(call: Call) -> Reply:
    release = find_release(call)
    fields = validation.validate_deploy(call.state, release, call.body)
    fields["id"] = call.state.next_id()
    fields["dateFinished"] = fields["dateFinished"] or now_iso()
    release["deploys"].append(fields)
    call.state.add_environment(fields["environment"])
    return Reply(201, dict(fields))


# ingested events ----------------------------------------------------------------------------
def list_project_events(call: Call) -> Reply:
    project = call.project or {}
    try:
        terms = events.parse_query(call.arg("query"))
    except search.QueryError as exc:
        raise ApiError(400, {"detail": str(exc)}) from None
    found = [events.event_json(e) for e in events.error_events(call.state, {project["id"]})
             if events.matches(e, terms, call.state)]
    return paginate(call, found)


def get_project_event(call: Call) -> Reply:
    project = call.project or {}
    found = next((e for e in events.error_events(call.state, {project["id"]})
                  if e["event_id"] == call.args["event_id"]), None)
    if found is None:
        raise ApiError(404, {"detail": "Event not found"})
    return Reply(200, events.event_json(found, detail=True))


def explore_events(call: Call) -> Reply:
    fields = call.query.get("field", [])
    try:
        rows = events.explore_rows(call.state, filter_projects(call), fields, call.query)
    except search.QueryError as exc:
        raise ApiError(400, {"detail": str(exc)}) from None
    reply = paginate(call, rows, per_page=True)
    reply.body = {"data": reply.body, "meta": events.explore_meta(fields)}
    return reply


def list_org_issues(call: Call) -> Reply:
    query = call.arg("query")
    try:
        found = issues.search(
            call.state, filter_projects(call), call.query.get("environment", []),
            "is:unresolved" if query is None else query, search.time_range(call.query),
            call.arg("sort") or "date",
        )
    except search.QueryError as exc:
        raise ApiError(400, {"detail": str(exc)}) from None
    items = [issues.issue_json(call.state, m) for m in found]
    reply = paginate(call, items, per_page=True, name="limit")
    reply.headers.update({"X-Hits": str(len(items)), "X-Max-Hits": str(len(items))})
    return reply


def org_sessions(call: Call) -> Reply:
    try:
        return Reply(200, sessions.series(call.state, filter_projects(call), call.query))
    except search.QueryError as exc:
        raise ApiError(400, {"detail": str(exc)}) from None


# route table ------------------------------------------------------------------------------
ORG_READ = ("org:admin", "org:read", "org:write")
PROJECT_READ = ("project:admin", "project:read", "project:write")
PROJECT_WRITE = ("project:admin", "project:write")
ALERTS_READ = ("alerts:read", "org:admin", "org:read", "org:write")
ALERTS_WRITE = ("alerts:write", "org:admin", "org:write")
RULES_READ = ("alerts:read", "alerts:write", "project:admin", "project:read", "project:write")
RULES_WRITE = ("alerts:write", "project:admin", "project:write")
RELEASES_READ = ("org:ci", "project:admin", "project:read", "project:releases", "project:write")
RELEASES_WRITE = ("org:ci", "project:admin", "project:releases", "project:write")
EVENT_READ = ("event:admin", "event:read", "event:write")

ORG = "/api/0/organizations/{org}/"
PROJECT = "/api/0/projects/{org}/{project}/"
RELEASE = ORG + "releases/{version}/"
TABLE: list[tuple[str, str, Handler, tuple[str, ...], str | None]] = [
    ("GET", ORG, get_org, ORG_READ, None),
    ("GET", ORG + "projects/", list_org_projects, ORG_READ, None),
    ("GET", ORG + "teams/", list_org_teams, ORG_READ, None),
    ("GET", ORG + "environments/", list_environments, ORG_READ, None),
    ("GET", ORG + "members/", list_org_members, ("member:admin", "member:read", "member:write"),
     None),
    ("GET", "/api/0/teams/{org}/{team}/members/", list_team_members,
     ("team:admin", "team:read", "team:write"), None),
    ("GET", PROJECT, get_project, PROJECT_READ, None),
    ("GET", PROJECT + "teams/", list_project_teams, PROJECT_READ, None),
    ("GET", PROJECT + "members/", list_project_members, PROJECT_READ, None),
    ("GET", ORG + "detectors/", list_detectors, ALERTS_READ, "current"),
    ("GET", ORG + "detectors/{detector_id}/", get_detector, ALERTS_READ, "current"),
    ("GET", ORG + "workflows/", list_workflows, ALERTS_READ, "current"),
    ("POST", ORG + "workflows/", create_workflow, ALERTS_WRITE, "current"),
    ("GET", ORG + "workflows/{workflow_id}/", get_workflow, ALERTS_READ, "current"),
    ("PUT", ORG + "workflows/{workflow_id}/", update_workflow, ALERTS_WRITE, "current"),
    ("DELETE", ORG + "workflows/{workflow_id}/", delete_workflow, ALERTS_WRITE, "current"),
    ("GET", PROJECT + "rules/", list_rules, RULES_READ, "legacy"),
    ("POST", PROJECT + "rules/", create_rule, RULES_WRITE, "legacy"),
    ("GET", PROJECT + "rules/{rule_id}/", get_rule, RULES_READ, "legacy"),
    ("PUT", PROJECT + "rules/{rule_id}/", update_rule, RULES_WRITE, "legacy"),
    ("DELETE", PROJECT + "rules/{rule_id}/", delete_rule, RULES_WRITE, "legacy"),
    ("GET", PROJECT + "keys/", list_keys, PROJECT_READ, None),
    ("POST", PROJECT + "keys/", create_key, PROJECT_WRITE, None),
    ("GET", PROJECT + "keys/{key_id}/", get_key, PROJECT_READ, None),
    ("PUT", PROJECT + "keys/{key_id}/", update_key, PROJECT_WRITE, None),
    ("DELETE", PROJECT + "keys/{key_id}/", delete_key, ("project:admin",), None),
    ("GET", ORG + "project-keys/", list_org_keys, ORG_READ, None),
    ("GET", PROJECT + "events/", list_project_events, PROJECT_READ, None),
    ("GET", PROJECT + "events/{event_id}/", get_project_event, PROJECT_READ, None),
    ("GET", ORG + "events/", explore_events, ORG_READ, None),
    ("GET", ORG + "issues/", list_org_issues, EVENT_READ, None),
    ("GET", ORG + "sessions/", org_sessions, ORG_READ, None),
    ("GET", ORG + "releases/", list_releases, RELEASES_READ, None),
    ("POST", ORG + "releases/", create_release, RELEASES_WRITE, None),
    ("GET", RELEASE, get_release, RELEASES_READ, None),
    ("PUT", RELEASE, update_release, RELEASES_WRITE, None),
    ("DELETE", RELEASE, delete_release, ("project:admin", "project:releases"), None),
    ("GET", RELEASE + "deploys/", list_deploys, RELEASES_READ, None),
    ("POST", RELEASE + "deploys/", create_deploy, RELEASES_WRITE, None),
]


def compile_path(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return re.compile(f"^{pattern}$")


ROUTES = [Route(m, compile_path(p), h, s, mode) for m, p, h, s, mode in TABLE]
# What `without` can take away, as on an older Sentry that lacks these APIs.
HANDLERS_WITHOUT = {"events": explore_events, "issues": list_org_issues, "sessions": org_sessions}


def resolve(
    method: str, path: str, mode: str, without: list[str] | tuple[str, ...] = ()
) -> tuple[Route, dict[str, str]]:
    """Find the route; a path served only in the other mode, or taken away by `without`,
    does not exist (404)."""
    absent = {HANDLERS_WITHOUT[name] for name in without}
    allowed = False
    for route in ROUTES:
        match = route.regex.match(path)
        if match is None or route.mode not in (None, mode) or route.handler in absent:
            continue
        if route.method == method:
            return route, match.groupdict()
        allowed = True
    if allowed:
        raise ApiError(405, {"detail": f'Method "{method}" not allowed.'})
    raise ApiError(404, NOT_FOUND)


def run(route: Route, call: Call) -> Reply:
    try:
        return route.handler(call)
    except Invalid as exc:
        return Reply(400, exc.errors)
