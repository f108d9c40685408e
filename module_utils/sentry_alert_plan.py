"""One project's alert rules as a set: read once, plan, validate the plan, apply it.

``read_project`` reads the project, its monitor, environments, the teams and members the
declared rules name, and the existing rules, each once. ``make_plan`` compares the declared
set with them (create / update / rename / delete / unchanged / skip, with the field diff)
and collects every problem Sentry would refuse, so nothing is written unless the whole plan
can be applied. ``apply_plan`` writes it: creates and updates before deletes, so a run
that fails half-way never leaves the project with fewer rules than it had; a create whose
answer was lost is reconciled by reading the rules again before it is repeated.

Two runs at once: Sentry has no lock to take, and an advisory marker (an object that says
"a run is under way") would itself be left behind by a run that dies. So a run that created
rules reads the list again afterwards; where another rule has the same name and is older
(a lower id), the rule this run created (its id came in the create's answer, so the run can
prove it made it) is deleted. Whatever the interleaving, the older copy stays and the newer
one goes. Copies left by a run that died before that check are removed by the next run's
plan: of several email-only rules with a declared name, the oldest is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ansible.module_utils.sentry_api import (
    AppliedPartly,
    SentryAPIError,
    SentryClient,
    field_of,
    path_segment,
)
from ansible.module_utils.sentry_rule_format import EMAIL_ACTION, Rule, RuleError, parse_rule
from ansible.module_utils.sentry_rule_payloads import (
    fingerprint,
    legacy_payload,
    normalize_legacy,
    normalize_workflow,
    same,
    workflow_payload,
)

SCOPES = ("email", "all")


@dataclass
class Declared:
    """One entry of the declared set: a rule to have, a name to delete, or a name to keep."""

    name: str
    state: str  # present | absent | keep
    rule: Rule | None = None


@dataclass
class Existing:
    id: str
    name: str
    raw: dict[str, Any]
    view: dict[str, Any]


@dataclass
class Change:
    action: str  # create | update | rename | delete | unchanged | skip
    name: str
    id: str | None = None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    previous_name: str | None = None
    reason: str | None = None
    applied: bool = False

    def report(self) -> dict[str, Any]:
        item = {"name": self.name, "action": self.action, "id": self.id}
        if self.previous_name is not None:
            item["previous_name"] = self.previous_name
        if self.reason is not None:
            item["reason"] = self.reason
        if self.action in ("update", "rename"):
            item["fields"] = changed_fields(self.before, self.after)
        return item


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in set(before) | set(after) if not same(
        {"v": before.get(k)}, {"v": after.get(k)}))


# ---- the two APIs ---------------------------------------------------------------------


class Backend(Protocol):
    name: str
    listing: str

    def list_rules(self) -> list[Existing]: ...
    def build(self, rule: Rule, target_id: str | None) -> dict[str, Any]: ...
    def normalize(self, body: Mapping[str, Any]) -> dict[str, Any]: ...
    def shared(self, existing: Existing) -> bool: ...
    def email_only(self, existing: Existing) -> bool: ...
    def create(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def update(self, rule_id: str, body: dict[str, Any]) -> None: ...
    def delete(self, rule_id: str) -> None: ...


class _Base:
    name = ""
    listing = ""
    query: dict[str, Any] | None = None

    def __init__(self, client: SentryClient) -> None:
        self.client = client

    def normalize(self, body: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def keep(self, item: dict[str, Any]) -> bool:
        return True

    def list_rules(self) -> list[Existing]:
        where = f"GET {self.client.full_path(self.listing)}"
        found = []
        for item in self.client.paginate(self.listing, self.query):
            rule_id = str(field_of(item, "id", where))
            name = field_of(item, "name", where, (str,))
            try:
                if not self.keep(item):
                    continue
                view = self.normalize(item)
            except (AttributeError, TypeError, KeyError, ValueError):
                raise SentryAPIError(
                    "GET", self.client.full_path(self.listing), 200,
                    f"rule {rule_id} has an unexpected shape",
                ) from None
            found.append(Existing(rule_id, name, item, view))
        return found

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        wanted = self.normalize(body)

        def find() -> dict[str, Any] | None:
            for existing in self.list_rules():
                if existing.name == body["name"] and same(existing.view, wanted):
                    return existing.raw
            return None

        return self.client.create(self.listing, body, find)

    def update(self, rule_id: str, body: dict[str, Any]) -> None:
        self.client.request("PUT", f"{self.listing}{path_segment(rule_id)}/", body=body)

    def delete(self, rule_id: str) -> None:
        self.client.delete(f"{self.listing}{path_segment(rule_id)}/")


class RulesBackend(_Base):
    """Legacy issue-alert rules (older self-hosted Sentry)."""

    name = "rules"

    def __init__(self, client: SentryClient, org: str, project: str) -> None:
        super().__init__(client)
        self.listing = f"/projects/{path_segment(org)}/{path_segment(project)}/rules/"

    def build(self, rule: Rule, target_id: str | None) -> dict[str, Any]:
        return legacy_payload(rule, target_id)

    def normalize(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return normalize_legacy(body)

    def shared(self, existing: Existing) -> bool:
        return False

    def email_only(self, existing: Existing) -> bool:
        actions = existing.raw.get("actions") or []
        return bool(actions) and all(a.get("id") == EMAIL_ACTION for a in actions)


class WorkflowsBackend(_Base):
    """Alerts (workflows) connected to the project's issue-stream monitor."""

    name = "workflows"

    def __init__(self, client: SentryClient, org: str, project_id: str, detector: str) -> None:
        super().__init__(client)
        self.listing = f"/organizations/{path_segment(org)}/workflows/"
        self.query = {"project": project_id}
        self.detector = detector

    def keep(self, item: dict[str, Any]) -> bool:
        return self.detector in _detectors(item)

    def build(self, rule: Rule, target_id: str | None) -> dict[str, Any]:
        return workflow_payload(rule, target_id, self.detector)

    def normalize(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return normalize_workflow(body)

    def shared(self, existing: Existing) -> bool:
        return _detectors(existing.raw) != [self.detector]

    def email_only(self, existing: Existing) -> bool:
        groups = existing.raw.get("actionFilters", existing.raw.get("action_filters")) or []
        actions = [a for g in groups for a in g.get("actions") or []]
        return bool(actions) and all(a.get("type") == "email" for a in actions)


def _detectors(workflow: Mapping[str, Any]) -> list[str]:
    return [str(d) for d in workflow.get("detectorIds", workflow.get("detector_ids")) or []]


# ---- reading the project once -----------------------------------------------------------


class Directory:
    """Teams, members and environments, each read at most once and only when needed."""

    def __init__(self, client: SentryClient, org: str, project: str) -> None:
        self.client = client
        self.org = org
        self.project = project
        self.org_path = f"/organizations/{path_segment(org)}"
        self.project_path = f"/projects/{path_segment(org)}/{path_segment(project)}"
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def _list(self, path: str, query: dict[str, str] | None = None) -> list[dict[str, Any]]:
        if path not in self._cache:
            items = self.client.paginate(path, query)
            if not all(isinstance(i, dict) for i in items):
                raise SentryAPIError("GET", self.client.full_path(path), 200,
                                     "the answer has an item that is not an object")
            self._cache[path] = items
        return self._cache[path]

    def environments(self) -> set[str]:
        where = f"GET {self.client.full_path(self.org_path + '/environments/')}"
        items = self._list(f"{self.org_path}/environments/", {"visibility": "all"})
        return {field_of(e, "name", where, (str,)) for e in items}

    def team_id(self, slug: str) -> str:
        where = f"GET {self.client.full_path(self.project_path + '/teams/')}"
        for team in self._list(f"{self.project_path}/teams/"):
            if team.get("slug") == slug:
                return str(field_of(team, "id", where))
        if any(team.get("slug") == slug for team in self._list(f"{self.org_path}/teams/")):
            raise RuleError(f"team {slug!r} is not attached to project {self.project!r}")
        raise RuleError(f"unknown team {slug!r} in organization {self.org!r}")

    def user_id(self, email: str) -> str:
        wanted = email.lower()
        for member in self._list(f"{self.project_path}/members/"):
            user = member.get("user")
            if _email(member) == wanted and isinstance(user, dict) and user.get("id") is not None:
                return str(user["id"])
        for member in self._list(f"{self.org_path}/members/"):
            if _email(member) != wanted:
                continue
            if not member.get("user"):
                raise RuleError(f"member {email!r} has not accepted the invitation yet")
            raise RuleError(f"member {email!r} is not in a team attached to project "
                            f"{self.project!r}")
        raise RuleError(f"unknown member {email!r} in organization {self.org!r}")

    def target_id(self, rule: Rule) -> str | None:
        """The id Sentry needs: the team id, or the user's id (not the member id)."""
        if rule.to == "team" and rule.target:
            return self.team_id(rule.target)
        if rule.to == "member" and rule.target:
            return self.user_id(rule.target)
        return None


def _email(member: Mapping[str, Any]) -> str:
    user = member.get("user")
    fallback = user.get("email") if isinstance(user, dict) else None
    return str(member.get("email") or fallback or "").lower()


def select_backend(client: SentryClient, org: str, project: str, api: str) -> Backend:
    """Pick the API: workflows when the server has monitors (detectors), else legacy rules."""
    project_path = f"/projects/{path_segment(org)}/{path_segment(project)}/"
    found = client.get(project_path)
    project_id = str(field_of(found, "id", f"GET {client.full_path(project_path)}"))
    if api == "rules":
        return RulesBackend(client, org, project)
    detectors = f"/organizations/{path_segment(org)}/detectors/"
    response = client.request(
        "GET", detectors, {"project": project_id, "query": "type:issue_stream"}, allow=(404,)
    )
    if response.status == 404 and api == "workflows":
        raise RuleError(
            "this Sentry has no monitors (detectors) API, so no workflows; use api: rules"
        )
    if response.status == 404:
        return RulesBackend(client, org, project)
    if not isinstance(response.data, list):
        raise SentryAPIError(
            "GET", client.full_path(detectors), 200, "the answer is not a JSON list"
        )
    streams = [
        d for d in response.data
        if isinstance(d, dict) and d.get("type") == "issue_stream"
        and str(d.get("projectId", project_id)) == project_id
    ]
    if not streams:
        raise RuleError(f"project {project!r} has no issue-stream monitor to connect alerts to")
    detector = str(field_of(streams[0], "id", f"GET {client.full_path(detectors)}"))
    return WorkflowsBackend(client, org, project_id, detector)


# ---- planning ---------------------------------------------------------------------------


@dataclass
class Options:
    exclusive: bool = False
    scope: str = "email"
    confirm_delete_all: bool = False


@dataclass
class Plan:
    api: str
    changes: list[Change]
    applied: list[Change] = field(default_factory=list)
    # The rules the plan was made from: id -> fingerprint of their content.
    listed: dict[str, str] = field(default_factory=dict)

    def of(self, *actions: str) -> list[Change]:
        return [c for c in self.changes if c.action in actions]

    @property
    def changed(self) -> bool:
        return bool(self.of("create", "update", "rename", "delete"))


def _comparable(view: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k != "name"}


def make_plan(
    backend: Backend, directory: Directory, declared: list[Declared], options: Options
) -> Plan:
    """Compare the declared set with Sentry; raise RuleError naming every problem."""
    problems: list[str] = []
    existing = backend.list_rules()
    by_name: dict[str, list[Existing]] = {}
    for item in existing:
        by_name.setdefault(item.name, []).append(item)
    environments = (
        directory.environments()
        if any(d.rule and d.rule.environment for d in declared) else set()
    )
    changes: list[Change] = []
    for entry in declared:
        matches = by_name.get(entry.name, [])
        if len(matches) > 1:
            duplicates = _duplicates(backend, matches)
            if duplicates is None:
                problems.append(f"{len(matches)} rules are named {entry.name!r} and not all are "
                                "email-only rules of this project; remove the duplicates")
                continue
            changes += duplicates
        current = matches[0] if matches else None
        if entry.state == "keep":
            continue
        if entry.state == "absent":
            if current is None:
                changes.append(Change("unchanged", entry.name))
            elif backend.shared(current):
                changes.append(_shared(current))
            else:
                changes.append(Change("delete", entry.name, current.id, current.view))
            continue
        change = _present(backend, directory, entry, current, environments, problems)
        if change is not None:
            changes.append(change)
    changes += _undeclared(backend, existing, declared, options, problems)
    _find_renames(changes)
    if backend.name == "rules":
        problems += _legacy_duplicates(changes, existing)
    if problems:
        raise RuleError("; ".join(problems))
    return Plan(backend.name, changes,
                listed={e.id: fingerprint(_comparable(e.view)) for e in existing})


def rule_age(rule_id: str | None) -> tuple[int, str]:
    """Sort key of rule ids: Sentry numbers them in the order they were made."""
    text = rule_id or ""
    return (len(text), text) if text.isdigit() else (1 << 30, text)


def _duplicates(backend: Backend, matches: list[Existing]) -> list[Change] | None:
    """Several rules with one declared name (left by two runs at once): the oldest stays and
    the others are deleted, when all are email-only rules of this project only."""
    if not all(backend.email_only(m) and not backend.shared(m) for m in matches):
        return None
    matches.sort(key=lambda m: rule_age(m.id))
    return [
        Change("delete", extra.name, extra.id, extra.view,
               reason=f"a second rule with this name; rule {matches[0].id} is kept")
        for extra in matches[1:]
    ]


def _shared(current: Existing) -> Change:
    return Change(
        "skip", current.name, current.id, current.view, current.view,
        reason="also connected to monitors of other projects; left alone",
    )


def _present(
    backend: Backend,
    directory: Directory,
    entry: Declared,
    current: Existing | None,
    environments: set[str],
    problems: list[str],
) -> Change | None:
    rule = entry.rule
    assert rule is not None
    if rule.environment and rule.environment not in environments:
        problems.append(f"rule {rule.name!r}: environment {rule.environment!r} does not exist "
                        "in the organization")
    try:
        target_id = directory.target_id(rule)
    except RuleError as err:
        problems.append(f"rule {rule.name!r}: {err}")
        return None
    body = backend.build(rule, target_id)
    after = backend.normalize(body)
    if current is None:
        return Change("create", rule.name, None, {}, after, body)
    if backend.shared(current):
        return _shared(current)
    if same(current.view, after):
        return Change("unchanged", rule.name, current.id, current.view, after)
    return Change("update", rule.name, current.id, current.view, after, body)


def _undeclared(
    backend: Backend,
    existing: list[Existing],
    declared: list[Declared],
    options: Options,
    problems: list[str],
) -> list[Change]:
    """Exclusive mode: delete the undeclared rules in scope; never all from an empty list."""
    if not options.exclusive:
        return []
    names = {d.name for d in declared}
    changes = []
    for item in existing:
        if item.name in names:
            continue
        if backend.shared(item):
            changes.append(_shared(item))
        elif options.scope == "email" and not backend.email_only(item):
            changes.append(Change(
                "skip", item.name, item.id, item.view, item.view,
                reason="has actions other than email; exclusive_scope is email",
            ))
        else:
            changes.append(Change("delete", item.name, item.id, item.view))
    doomed = [c for c in changes if c.action == "delete"]
    nothing_declared = not any(d.state in ("present", "keep") for d in declared)
    if doomed and nothing_declared and not options.confirm_delete_all:
        problems.append(
            f"exclusive mode with no declared rule would delete all {len(doomed)} alert rules in "
            "scope; declare the rules, or confirm with confirm_delete_all "
            "(role: sentry_alerts_confirm_delete_all)"
        )
    return changes


def _find_renames(changes: list[Change]) -> None:
    """A new rule with the same content as a rule this plan deletes is that rule renamed: one
    update keeps its id and history (and legacy Sentry would refuse the create as an exact
    duplicate of the rule it has not deleted yet)."""
    deletes = [c for c in changes if c.action == "delete"]
    renamed: list[Change] = []
    for change in [c for c in changes if c.action == "create"]:
        for old in deletes:
            if all(old is not r for r in renamed) and same(
                _comparable(old.before), _comparable(change.after)
            ):
                change.action, change.id, change.before = "rename", old.id, old.before
                change.previous_name = old.name
                renamed.append(old)
                break
    changes[:] = [c for c in changes if all(c is not r for r in renamed)]


def _legacy_duplicates(changes: list[Change], existing: list[Existing]) -> list[str]:
    """Legacy Sentry refuses a rule that equals another one of the project but for its name."""
    touched = {c.id for c in changes if c.id is not None and c.action != "unchanged"}
    final = [(c.name, c.after) for c in changes if c.action in ("create", "update", "rename")]
    final += [(e.name, e.view) for e in existing if e.id not in touched]
    seen: dict[str, str] = {}
    problems = []
    for name, view in final:
        other = seen.setdefault(fingerprint(_comparable(view)), name)
        if other != name:
            first, second = sorted((name, other))
            problems.append(
                f"rules {first!r} and {second!r} would be exact duplicates but for their "
                "names, which legacy Sentry refuses; change one of them"
            )
    return problems


# ---- applying ---------------------------------------------------------------------------


class Applier:
    """Writes a plan's changes one by one, remembering which were applied."""

    def __init__(self, backend: Backend, plan: Plan) -> None:
        self.backend = backend
        self.plan = plan
        # What each rule holds right now, for the legacy duplicate check: id -> fingerprint.
        self.held = dict(plan.listed)

    def write(self, change: Change, body: dict[str, Any] | None = None) -> None:
        """Apply one create, update or rename (with ``body``: an interim body of it)."""
        final = body is None
        body = change.body if final else body
        assert body is not None
        if change.action == "create":
            created = self.backend.create(body)
            change.id = str(created.get("id")) if created.get("id") is not None else None
        else:
            assert change.id is not None
            self.backend.update(change.id, body)
        self.held[change.id] = fingerprint(_comparable(self.backend.normalize(body)))
        if final:
            self._done(change)

    def delete(self, change: Change) -> None:
        assert change.id is not None
        self.backend.delete(change.id)
        self.held.pop(change.id, None)
        self._done(change)

    def _done(self, change: Change) -> None:
        change.applied = True
        self.plan.applied.append(change)

    def blocked(self, change: Change) -> str | None:
        """The id of another rule that holds the content ``change`` is to take."""
        wanted = fingerprint(_comparable(change.after))
        return next((i for i, fp in self.held.items() if fp == wanted and i != change.id), None)


def apply_plan(backend: Backend, plan: Plan) -> list[Change]:
    """Creates, updates and renames first, then deletes; return the changes applied, or raise
    AppliedPartly with the result of what was applied before the failure."""
    applier = Applier(backend, plan)
    try:
        if backend.name == "rules":
            _write_legacy(applier)
        else:
            for change in plan.of("update", "rename", "create"):
                applier.write(change)
        for change in plan.of("delete"):
            if not change.applied:
                applier.delete(change)
        if plan.of("create"):
            _drop_own_twins(applier)
    except SentryAPIError as err:
        raise AppliedPartly(err, result_of(plan)) from None
    return plan.applied


def _write_legacy(applier: Applier) -> None:
    """Legacy Sentry refuses, at each write, a rule equal but for its name to another one, so
    a write waits until no other rule holds its content: a rule that is deleted anyway is
    deleted first, and a cycle (two rules that swap contents) is broken by moving one rule
    to an interim content first."""
    pending = applier.plan.of("update", "rename", "create")
    deletes = {c.id: c for c in applier.plan.of("delete")}
    while pending:
        ready = [c for c in pending if applier.blocked(c) is None]
        if ready:
            applier.write(ready[0])
            pending.remove(ready[0])
            continue
        holders = [applier.blocked(c) for c in pending]
        doomed = next((deletes[h] for h in holders if h in deletes and not deletes[h].applied),
                      None)
        if doomed is not None:
            applier.delete(doomed)
            continue
        mover = next((c for c in pending if c.id is not None and c.id in holders), None)
        if mover is None:
            raise SentryAPIError("PUT", applier.backend.listing, None,
                                 f"rule {pending[0].name!r} would duplicate a rule this run "
                                 "does not change, which legacy Sentry refuses")
        applier.write(mover, _interim(applier, mover))


def _interim(applier: Applier, change: Change) -> dict[str, Any]:
    """The change's body with another frequency, equal to no rule now or after the plan."""
    assert change.body is not None
    taken = set(applier.held.values()) | {
        fingerprint(_comparable(c.after)) for c in applier.plan.changes if c.after}
    for step in range(1, 1000):
        for frequency in (change.body["frequency"] + step, change.body["frequency"] - step):
            body = {**change.body, "frequency": frequency}
            if 5 <= frequency <= 43200 and fingerprint(
                    _comparable(applier.backend.normalize(body))) not in taken:
                return body
    raise SentryAPIError("PUT", applier.backend.listing, None,
                         f"no interim content found to swap rule {change.name!r}")


def _drop_own_twins(applier: Applier) -> None:
    """Read the rules again after creating: a rule this run created that has an older
    namesake was created at the same time by another run too, and is deleted."""
    by_name: dict[str, list[Existing]] = {}
    for item in _settled_rules(applier):
        by_name.setdefault(item.name, []).append(item)
    for change in applier.plan.of("create"):
        older = [e for e in by_name.get(change.name, [])
                 if rule_age(e.id) < rule_age(change.id)]
        if change.applied and older:
            applier.backend.delete(str(change.id))
            kept = min(older, key=lambda e: rule_age(e.id))
            change.reason = (f"another run created it at the same time; its rule {kept.id} is "
                             "kept and the copy this run made was deleted")
            change.id = kept.id


def _settled_rules(applier: Applier, reads: int = 4) -> list[Existing]:
    """The rules as this run left them, in one read when nothing else wrote meanwhile; else
    read again until two reads agree (a list read while another run writes can skip an item
    as the pages shift)."""
    plan = applier.plan
    expected = (set(plan.listed) | {c.id for c in plan.of("create") if c.id}) - {
        c.id for c in plan.of("delete")}
    found = applier.backend.list_rules()
    ids = {e.id for e in found}
    for _ in range(reads - 1):
        if ids == expected:
            break
        expected, found = ids, applier.backend.list_rules()
        ids = {e.id for e in found}
    return found


def result_of(plan: Plan, check: bool = False) -> dict[str, Any]:
    """The module result: the plan per rule, what was applied (in order), and one diff per
    changed rule."""
    diff = [
        {
            "before_header": f"{c.previous_name or c.name} ({c.action})",
            "after_header": c.name,
            "before": c.before,
            "after": {} if c.action == "delete" else c.after,
        }
        for c in plan.changes if c.action in ("create", "update", "rename", "delete")
    ]
    applied = plan.applied
    return {
        "changed": bool(applied) or (check and plan.changed),
        "api": plan.api,
        "rules": [c.report() for c in plan.changes],
        "applied": [{"name": c.name, "action": c.action, "id": c.id} for c in applied],
        "summary": {
            action: len(plan.of(action))
            for action in ("create", "update", "rename", "delete", "unchanged", "skip")
        },
        "diff": diff,
    }


def declare(items: list[Mapping[str, Any]]) -> list[Declared]:
    """Parse the declared rules; raise RuleError naming every problem of every rule."""
    problems: list[str] = []
    declared = []
    seen: set[str] = set()
    for item in items:
        # Sentry keeps a name as sent; "Errors " and "Errors" would be two rules.
        name = (item.get("name") or "").strip()
        item = {**item, "name": name}
        if name in seen:
            problems.append(f"rule name {name!r} is declared twice")
        seen.add(name)
        if item.get("state", "present") == "absent":
            declared.append(Declared(name, "absent"))
            continue
        try:
            declared.append(Declared(name, "present", parse_rule(item)))
        except RuleError as err:
            problems.append(str(err))
    if problems:
        raise RuleError("; ".join(problems))
    return declared


def sync(
    client: SentryClient,
    org: str,
    project: str,
    api: str,
    declared: list[Declared],
    options: Options,
    check: bool,
) -> dict[str, Any]:
    """Read, plan, validate and (unless ``check``) apply; return the module result."""
    backend = select_backend(client, org, project, api)
    plan = make_plan(backend, Directory(client, org, project), declared, options)
    if not check:
        apply_plan(backend, plan)
    return result_of(plan, check)
