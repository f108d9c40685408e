#!/usr/bin/python
"""Manage one Sentry email alert rule, as a workflow (current API) or a legacy issue-alert rule."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.sentry_api import (
    SentryAPIError,
    SentryClient,
    client_argument_spec,
    client_from_params,
    path_segment,
)

DOCUMENTATION = r"""
---
module: sentry_alert
short_description: Manage a Sentry email alert rule (workflow or legacy issue-alert rule)
description:
  - Ensures one email alert rule of a Sentry project, described in a friendly form, exists as
    declared or is absent.
  - Current Sentry takes the rule as an Alert (a workflow connected to the project's
    issue-stream monitor); older self-hosted Sentry only has legacy issue-alert rules.
    O(api=auto) detects which one the server speaks, and the result says which was used.
  - An existing rule is matched by name within the project. It is updated only when the
    normalized payload differs from the declared one, so re-runs make no writes.
  - Team slugs and member emails are resolved to the ids Sentry needs. A team must be attached
    to the project and a member must belong to a team of the project, otherwise nobody would
    get the email; both are reported as errors before any write.
  - O(state=pruned) deletes every rule of the project whose name is not in O(keep).
  - The friendly form only accepts rules that mean the same on both APIs, so one description
    can be applied to either. In particular, O(match=any) cannot mix issue-state conditions
    with frequency conditions, and frequency conditions combined with O(filters) need
    O(filter_match=all).
  - All input is validated before the first request.
version_added: "0.1.0"
author:
  - django-sentry-deploy maintainers
extends_documentation_fragment:
  - sentry_api
options:
  project:
    description: Project slug.
    type: str
    required: true
  api:
    description:
      - Which alert API to use. V(auto) uses workflows when the server has the monitors
        (detectors) endpoint, otherwise legacy rules.
    type: str
    choices: [auto, workflows, rules]
    default: auto
  state:
    description:
      - V(present) creates or updates the rule, V(absent) deletes it.
      - V(pruned) deletes the project's rules whose names are not listed in O(keep).
    type: str
    choices: [present, absent, pruned]
    default: present
  name:
    description: Rule name, unique within the project. Required unless O(state=pruned).
    type: str
  keep:
    description: With O(state=pruned), the names of the rules to keep.
    type: list
    elements: str
  environment:
    description: Only events of this environment trigger the rule. All when omitted.
    type: str
  when:
    description:
      - What triggers the rule. Each entry is V(first_seen), V(regression), V(reappeared),
        or a one-key dict C(event_frequency) or C(event_unique_user_frequency) with C(value)
        (a positive integer) and C(interval) (V(1m), V(5m), V(15m), V(1h), V(1d), V(1w) or V(30d)).
      - Required with O(state=present).
    type: list
    elements: raw
  match:
    description: How the O(when) conditions combine.
    type: str
    choices: [any, all]
    default: any
  filters:
    description:
      - Filters an event must pass. Each entry is a one-key dict.
      - C(level) with C(match) (V(eq), V(gte) or V(lte)) and C(level) (V(fatal), V(error),
        V(warning), V(info), V(debug) or V(sample)).
      - C(issue_occurrences) with C(value).
      - C(age_comparison) with C(comparison) (V(older) or V(newer)), C(value) and C(time)
        (V(minute), V(hour), V(day) or V(week)).
      - C(tagged_event) with C(key), C(match) (V(eq), V(ne), V(sw), V(ew), V(co), V(nc),
        V(is) or V(ns)) and C(value).
      - V(latest_release) (a plain string).
    type: list
    elements: raw
    default: []
  filter_match:
    description: How the O(filters) combine.
    type: str
    choices: [all, any, none]
    default: all
  email:
    description: Who gets the email. Required with O(state=present).
    type: dict
    suboptions:
      to:
        description: V(issue_owners) (suggested assignees), a V(team) or a V(member).
        type: str
        choices: [issue_owners, team, member]
        required: true
      team:
        description: Team slug, with O(email.to=team).
        type: str
      member:
        description: Member email address, with O(email.to=member).
        type: str
      fallthrough:
        description: Who is notified when there is no suggested assignee.
        type: str
        choices: [active_members, all_members, no_one]
        default: active_members
  frequency:
    description: Minutes between two notifications for one issue (5 to 43200).
    type: int
    default: 30
notes:
  - Supports check mode and diff mode; the diff shows the normalized payload of the chosen API.
  - With O(api=workflows), only workflows connected to the project's issue-stream monitor are
    considered, and O(state=pruned) only deletes workflows connected to nothing else.
"""

EXAMPLES = r"""
- name: Email the backend team about new issues in production
  sentry_alert:
    api_url: https://sentry.example.com
    api_token: "{{ vault_sentry_api_token }}"
    org: acme
    project: web
    name: New issue in production
    environment: production
    when: [first_seen]
    email:
      to: team
      team: backend
    frequency: 30

- name: Email Alice when an error happens more than 100 times an hour
  sentry_alert:
    api_token: "{{ vault_sentry_api_token }}"
    org: acme
    project: web
    name: Error storm
    when:
      - event_frequency: {value: 100, interval: 1h}
    filters:
      - level: {match: gte, level: error}
    email:
      to: member
      member: alice@example.com

- name: Delete the project's rules that are not declared
  sentry_alert:
    api_token: "{{ vault_sentry_api_token }}"
    org: acme
    project: web
    state: pruned
    keep: [New issue in production, Error storm]
"""

RETURN = r"""
api:
  description: The alert API that was used.
  returned: always
  type: str
  sample: workflows
action:
  description: What was done (or would be done in check mode).
  returned: always
  type: str
  sample: created
  choices: [created, updated, deleted, unchanged, absent, pruned]
id:
  description: Id of the rule (workflow id or legacy rule id); null when it does not exist (yet).
  returned: with O(state=present) or O(state=absent)
  type: str
  sample: "17"
name:
  description: Rule name.
  returned: with O(state=present) or O(state=absent)
  type: str
deleted:
  description: Names of the rules deleted by O(state=pruned).
  returned: with O(state=pruned)
  type: list
  elements: str
skipped:
  description:
    - Names of undeclared workflows left alone by O(state=pruned) because they are also
      connected to other monitors.
  returned: with O(state=pruned)
  type: list
  elements: str
rule:
  description: The validated rule in normalized friendly form.
  returned: with O(state=present)
  type: dict
"""

LEGACY = "sentry.rules.conditions."
ISSUE_STATE = {
    "first_seen": (LEGACY + "first_seen_event.FirstSeenEventCondition", "first_seen_event"),
    "regression": (LEGACY + "regression_event.RegressionEventCondition", "regression_event"),
    "reappeared": (LEGACY + "reappeared_event.ReappearedEventCondition", "reappeared_event"),
}
FREQUENCY = {
    "event_frequency": (
        LEGACY + "event_frequency.EventFrequencyCondition",
        "event_frequency_count",
    ),
    "event_unique_user_frequency": (
        LEGACY + "event_frequency.EventUniqueUserFrequencyCondition",
        "event_unique_user_frequency_count",
    ),
}
INTERVALS = ("1m", "5m", "15m", "1h", "1d", "1w", "30d")
LEVELS = {"fatal": 50, "error": 40, "warning": 30, "info": 20, "debug": 10, "sample": 0}
LEVEL_MATCH = ("eq", "gte", "lte")
TAG_MATCH = ("eq", "ne", "sw", "ew", "co", "nc", "is", "ns")
AGE_TIMES = ("minute", "hour", "day", "week")
FILTER_IDS = {
    "level": "sentry.rules.filters.level.LevelFilter",
    "issue_occurrences": "sentry.rules.filters.issue_occurrences.IssueOccurrencesFilter",
    "age_comparison": "sentry.rules.filters.age_comparison.AgeComparisonFilter",
    "tagged_event": "sentry.rules.filters.tagged_event.TaggedEventFilter",
    "latest_release": "sentry.rules.filters.latest_release.LatestReleaseFilter",
}
FALLTHROUGH = {"active_members": "ActiveMembers", "all_members": "AllMembers", "no_one": "NoOne"}
LEGACY_TARGET = {"issue_owners": "IssueOwners", "team": "Team", "member": "Member"}
WORKFLOW_TARGET = {"issue_owners": "issue_owners", "team": "team", "member": "user"}
WORKFLOW_LOGIC = {"any": "any-short", "all": "all", "none": "none"}
EMAIL_ACTION = "sentry.mail.actions.NotifyEmailAction"
MIN_FREQUENCY = 5
MAX_FREQUENCY = 43200


class RuleError(ValueError):
    """The declared rule is invalid or cannot be applied (for example an unknown team)."""


@dataclass
class Rule:
    """A validated rule in normalized friendly form."""

    name: str
    environment: str | None
    triggers: list[str]
    frequencies: list[tuple[str, int, str]]
    filters: list[tuple[str, dict[str, Any]]]
    match: str
    filter_match: str
    to: str
    target: str | None
    fallthrough: str
    frequency: int

    def view(self) -> dict[str, Any]:
        when: list[Any] = list(self.triggers)
        when += [{kind: {"value": value, "interval": iv}} for kind, value, iv in self.frequencies]
        return {
            "name": self.name,
            "environment": self.environment,
            "when": when,
            "match": self.match,
            "filters": [{kind: params} for kind, params in self.filters],
            "filter_match": self.filter_match,
            "email": {"to": self.to, "target": self.target, "fallthrough": self.fallthrough},
            "frequency": self.frequency,
        }


@dataclass
class _Problems:
    items: list[str] = field(default_factory=list)

    def add(self, message: str) -> None:
        self.items.append(message)


def _int(value: Any, what: str, low: int, high: int, problems: _Problems) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        problems.add(f"{what} must be an integer, got {value!r}")
        return low
    try:
        number = int(value)
    except ValueError:
        problems.add(f"{what} must be an integer, got {value!r}")
        return low
    if not low <= number <= high:
        problems.add(f"{what} must be between {low} and {high}, got {number}")
    return number


def _choice(value: Any, what: str, choices: Iterable[str], problems: _Problems) -> str:
    options = list(choices)
    if value not in options:
        problems.add(f"{what} must be one of {', '.join(options)}, got {value!r}")
        return options[0]
    return str(value)


def _one_key(item: Any, what: str, problems: _Problems) -> tuple[str, Any] | None:
    if isinstance(item, str):
        return item, None
    if isinstance(item, Mapping) and len(item) == 1:
        key, value = next(iter(item.items()))
        return str(key), value
    problems.add(f"{what} entry must be a name or a one-key dict, got {item!r}")
    return None


def _parse_when(items: list[Any], problems: _Problems) -> tuple[list[str], list]:
    triggers: list[str] = []
    frequencies: list[tuple[str, int, str]] = []
    known = ", ".join([*ISSUE_STATE, *FREQUENCY])
    for item in items:
        entry = _one_key(item, "when", problems)
        if entry is None:
            continue
        kind, params = entry
        if kind in ISSUE_STATE and params is None:
            triggers.append(kind)
        elif kind in FREQUENCY and isinstance(params, Mapping):
            value = _int(params.get("value"), f"{kind}.value", 1, 10**9, problems)
            interval = _choice(params.get("interval"), f"{kind}.interval", INTERVALS, problems)
            frequencies.append((kind, value, interval))
        elif kind in FREQUENCY:
            problems.add(f"{kind} needs {{value: N, interval: I}}")
        else:
            problems.add(f"unknown condition {kind!r} in when (known: {known})")
    if not items:
        problems.add("when must list at least one condition")
    return triggers, frequencies


def _parse_filter(kind: str, params: Any, problems: _Problems) -> dict[str, Any] | None:
    if kind == "latest_release":
        return {}
    if not isinstance(params, Mapping):
        problems.add(f"filter {kind} needs a dict of parameters")
        return None
    if kind == "level":
        return {
            "match": _choice(params.get("match"), "level.match", LEVEL_MATCH, problems),
            "level": _choice(params.get("level"), "level.level", LEVELS, problems),
        }
    if kind == "issue_occurrences":
        return {"value": _int(params.get("value"), "issue_occurrences.value", 1, 10**9, problems)}
    if kind == "age_comparison":
        return {
            "comparison": _choice(
                params.get("comparison"), "age_comparison.comparison", ("older", "newer"), problems
            ),
            "value": _int(params.get("value"), "age_comparison.value", 1, 10**6, problems),
            "time": _choice(params.get("time"), "age_comparison.time", AGE_TIMES, problems),
        }
    # tagged_event, the only other kind _parse_filters lets through
    match = _choice(params.get("match"), "tagged_event.match", TAG_MATCH, problems)
    key, value = params.get("key"), params.get("value")
    if not isinstance(key, str) or not key:
        problems.add("tagged_event.key must be a non-empty string")
    if match not in ("is", "ns") and (not isinstance(value, (str, int)) or value == ""):
        problems.add(f"tagged_event.value is required with match {match}")
    return {"key": key, "match": match, "value": "" if value is None else str(value)}


def _parse_filters(items: list[Any], problems: _Problems) -> list[tuple[str, dict[str, Any]]]:
    filters = []
    for item in items:
        entry = _one_key(item, "filters", problems)
        if entry is None:
            continue
        kind, params = entry
        if kind not in FILTER_IDS:
            problems.add(f"unknown filter {kind!r} (known: {', '.join(FILTER_IDS)})")
            continue
        parsed = _parse_filter(kind, params, problems)
        if parsed is not None:
            filters.append((kind, parsed))
    return filters


def _check_portable(rule: Rule, problems: _Problems) -> None:
    """Refuse rules whose meaning would differ between legacy rules and workflows.

    A workflow puts issue-state conditions in its triggers and frequency conditions in
    the same action filter as the filters, so only combinations that keep the legacy
    "conditions (by match) AND filters (by filter_match)" meaning are accepted.
    """
    if rule.match == "any" and rule.triggers and rule.frequencies:
        problems.add(
            "match: any cannot mix issue-state conditions with frequency conditions "
            "(workflows cannot express it); use match: all or split the rule"
        )
    if rule.frequencies and rule.filters:
        if rule.filter_match != "all":
            problems.add("frequency conditions with filters need filter_match: all")
        if rule.match != "all" and len(rule.frequencies) > 1:
            problems.add("several frequency conditions with filters need match: all")


def parse_rule(params: Mapping[str, Any]) -> Rule:
    """Validate the module's rule options; raise RuleError listing every problem."""
    problems = _Problems()
    name = params.get("name") or ""
    if not 1 <= len(name) <= 256:
        problems.add("name must be 1 to 256 characters")
    when = params.get("when")
    if not isinstance(when, list):
        problems.add("when must be a list")
        when = []
    triggers, frequencies = _parse_when(when, problems)
    filters = _parse_filters(params.get("filters") or [], problems)
    email = params.get("email") or {}
    to = email.get("to")
    target = email.get(to) if to in ("team", "member") else None
    if to in ("team", "member") and not target:
        problems.add(f"email.to is {to} but email.{to} is not set")
    if to == "member" and target and "@" not in target:
        problems.add(f"email.member must be an email address, got {target!r}")
    if to == "issue_owners" and (email.get("team") or email.get("member")):
        problems.add("email.team and email.member are only used with to: team or to: member")
    frequency = _int(params.get("frequency"), "frequency", MIN_FREQUENCY, MAX_FREQUENCY, problems)
    rule = Rule(
        name=name,
        environment=params.get("environment") or None,
        triggers=triggers,
        frequencies=frequencies,
        filters=filters,
        match=params.get("match") or "any",
        filter_match=params.get("filter_match") or "all",
        to=to or "issue_owners",
        target=target,
        fallthrough=email.get("fallthrough") or "active_members",
        frequency=frequency,
    )
    _check_portable(rule, problems)
    if problems.items:
        raise RuleError(f"rule {name!r}: " + "; ".join(problems.items))
    return rule


# ---- payloads -------------------------------------------------------------------------


def _legacy_filter(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": FILTER_IDS[kind]}
    if kind == "level":
        item.update(match=params["match"], level=str(LEVELS[params["level"]]))
    elif kind == "age_comparison":
        item.update(
            comparison_type=params["comparison"], value=params["value"], time=params["time"]
        )
    else:
        item.update(params)
    return item


def _workflow_filter(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    comparison: Any = dict(params)
    if kind == "level":
        comparison = {"level": LEVELS[params["level"]], "match": params["match"]}
    elif kind == "age_comparison":
        comparison = {
            "time": params["time"],
            "value": params["value"],
            "comparisonType": params["comparison"],
        }
    elif kind == "latest_release":
        comparison = True
    return {"type": kind, "comparison": comparison, "conditionResult": True}


def legacy_payload(rule: Rule, target_id: str | None) -> dict[str, Any]:
    """The POST/PUT body of a legacy issue-alert rule."""
    action: dict[str, Any] = {
        "id": EMAIL_ACTION,
        "targetType": LEGACY_TARGET[rule.to],
        "fallthroughType": FALLTHROUGH[rule.fallthrough],
    }
    if target_id is not None:
        action["targetIdentifier"] = int(target_id)
    conditions = [{"id": ISSUE_STATE[kind][0]} for kind in rule.triggers]
    conditions += [
        {"id": FREQUENCY[kind][0], "value": value, "interval": interval}
        for kind, value, interval in rule.frequencies
    ]
    return {
        "name": rule.name,
        "environment": rule.environment,
        "actionMatch": rule.match,
        "filterMatch": rule.filter_match,
        "conditions": conditions,
        "filters": [_legacy_filter(kind, params) for kind, params in rule.filters],
        "actions": [action],
        "frequency": rule.frequency,
    }


def workflow_payload(rule: Rule, target_id: str | None, detector_id: str) -> dict[str, Any]:
    """The POST/PUT body of a workflow connected to the project's issue-stream monitor."""
    action = {
        "type": "email",
        "integrationId": None,
        "data": {"fallthroughType": FALLTHROUGH[rule.fallthrough]}
        if rule.to == "issue_owners"
        else {},
        "config": {
            "targetType": WORKFLOW_TARGET[rule.to],
            "targetDisplay": None,
            "targetIdentifier": target_id or "",
        },
        "status": "active",
    }
    conditions = [
        {
            "type": FREQUENCY[kind][1],
            "comparison": {"value": value, "interval": interval},
            "conditionResult": True,
        }
        for kind, value, interval in rule.frequencies
    ]
    conditions += [_workflow_filter(kind, params) for kind, params in rule.filters]
    # _check_portable guarantees filter_match is "all" when frequencies and filters mix
    logic = ("all" if rule.filters else rule.match) if rule.frequencies else rule.filter_match
    return {
        "name": rule.name,
        "enabled": True,
        "environment": rule.environment,
        "detector_ids": [int(detector_id)],
        "config": {"frequency": rule.frequency},
        "triggers": {
            "logicType": WORKFLOW_LOGIC[rule.match],
            "conditions": [
                {"type": ISSUE_STATE[kind][1], "comparison": True, "conditionResult": True}
                for kind in rule.triggers
            ],
        },
        "action_filters": [
            {"logicType": WORKFLOW_LOGIC[logic], "conditions": conditions, "actions": [action]}
        ],
    }


# ---- normalization: the same view of a request body and of Sentry's answer ------------


def _canon(value: Any) -> Any:
    """Comparable form: numbers as strings (Sentry may echo 100 as "100"), None and ""
    dropped from dicts, lists sorted (every list of a normalized rule is unordered)."""
    if isinstance(value, Mapping):
        return {k: _canon(v) for k, v in value.items() if v is not None and v != ""}
    if isinstance(value, list):
        return _sorted(_canon(v) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def same(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether two normalized rules mean the same to Sentry."""
    return _canon(current) == _canon(wanted)


def _sorted(items: Iterable[Any]) -> list[Any]:
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


def _without(item: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in keys}


def normalize_legacy(rule: Mapping[str, Any]) -> dict[str, Any]:
    def items(key: str) -> list[Any]:
        return _sorted(_without(i, "name", "uuid") for i in rule.get(key) or [])

    return {
        "name": rule.get("name"),
        "environment": rule.get("environment") or None,
        "actionMatch": rule.get("actionMatch"),
        "filterMatch": rule.get("filterMatch") or "all",
        "conditions": items("conditions"),
        "filters": items("filters"),
        "actions": items("actions"),
        "frequency": rule.get("frequency"),
    }


def _workflow_conditions(group: Mapping[str, Any]) -> list[Any]:
    return _sorted(
        {k: c.get(k) for k in ("type", "comparison", "conditionResult")}
        for c in group.get("conditions") or []
    )


def _workflow_action(action: Mapping[str, Any]) -> dict[str, Any]:
    config = action.get("config") or {}
    return {
        "type": action.get("type"),
        "targetType": config.get("targetType"),
        "targetIdentifier": config.get("targetIdentifier"),
        "data": action.get("data") or {},
    }


def normalize_workflow(workflow: Mapping[str, Any]) -> dict[str, Any]:
    """Accepts a request body (snake_case keys) or Sentry's answer (camelCase keys)."""
    triggers = workflow.get("triggers") or {}
    groups = workflow.get("action_filters", workflow.get("actionFilters")) or []
    detectors = workflow.get("detector_ids", workflow.get("detectorIds")) or []
    return {
        "name": workflow.get("name"),
        "enabled": workflow.get("enabled", True),
        "environment": workflow.get("environment") or None,
        "detector_ids": sorted(str(d) for d in detectors),
        "frequency": (workflow.get("config") or {}).get("frequency"),
        "triggers": {
            "logicType": triggers.get("logicType", triggers.get("logic_type")),
            "conditions": _workflow_conditions(triggers),
        },
        "action_filters": _sorted(
            {
                "logicType": g.get("logicType", g.get("logic_type")),
                "conditions": _workflow_conditions(g),
                "actions": _sorted(_workflow_action(a) for a in g.get("actions") or []),
            }
            for g in groups
        ),
    }


# ---- the two APIs ---------------------------------------------------------------------


class Backend(Protocol):
    name: str

    def list_rules(self) -> list[dict[str, Any]]: ...
    def build(self, rule: Rule, target_id: str | None) -> dict[str, Any]: ...
    def normalize(self, body: Mapping[str, Any]) -> dict[str, Any]: ...
    def owned(self, existing: Mapping[str, Any]) -> bool: ...
    def create(self, body: dict[str, Any]) -> dict[str, Any]: ...
    def update(self, rule_id: str, body: dict[str, Any]) -> dict[str, Any]: ...
    def delete(self, rule_id: str) -> None: ...


class RulesBackend:
    name = "rules"

    def __init__(self, client: SentryClient, org: str, project: str) -> None:
        self.client = client
        self.base = f"/projects/{path_segment(org)}/{path_segment(project)}/rules/"

    def list_rules(self) -> list[dict[str, Any]]:
        return self.client.paginate(self.base)

    def build(self, rule: Rule, target_id: str | None) -> dict[str, Any]:
        return legacy_payload(rule, target_id)

    def normalize(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return normalize_legacy(body)

    def owned(self, existing: Mapping[str, Any]) -> bool:
        return True

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.client.request("POST", self.base, body=body).data

    def update(self, rule_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.client.request("PUT", f"{self.base}{path_segment(rule_id)}/", body=body).data

    def delete(self, rule_id: str) -> None:
        self.client.request("DELETE", f"{self.base}{path_segment(rule_id)}/")


class WorkflowsBackend:
    name = "workflows"

    def __init__(self, client: SentryClient, org: str, project_id: str, detector: str) -> None:
        self.client = client
        self.base = f"/organizations/{path_segment(org)}/workflows/"
        self.project_id = project_id
        self.detector = detector

    def list_rules(self) -> list[dict[str, Any]]:
        workflows = self.client.paginate(self.base, {"project": self.project_id})
        return [w for w in workflows if self.detector in _detectors(w)]

    def build(self, rule: Rule, target_id: str | None) -> dict[str, Any]:
        return workflow_payload(rule, target_id, self.detector)

    def normalize(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return normalize_workflow(body)

    def owned(self, existing: Mapping[str, Any]) -> bool:
        return _detectors(existing) == [self.detector]

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.client.request("POST", self.base, body=body).data

    def update(self, rule_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.client.request("PUT", f"{self.base}{path_segment(rule_id)}/", body=body).data

    def delete(self, rule_id: str) -> None:
        self.client.request("DELETE", f"{self.base}{path_segment(rule_id)}/")


def _detectors(workflow: Mapping[str, Any]) -> list[str]:
    return [str(d) for d in workflow.get("detectorIds", workflow.get("detector_ids")) or []]


def select_backend(client: SentryClient, org: str, project: str, api: str) -> Backend:
    """Pick the API: workflows when the server has monitors (detectors), else legacy rules."""
    if api == "rules":
        return RulesBackend(client, org, project)
    found = client.get(f"/projects/{path_segment(org)}/{path_segment(project)}/")
    project_id = str(found["id"])
    response = client.request(
        "GET",
        f"/organizations/{path_segment(org)}/detectors/",
        {"project": project_id, "query": "type:issue_stream"},
        allow=(404,),
    )
    if response.status == 404 and api == "workflows":
        raise RuleError(
            "this Sentry has no monitors (detectors) API, so no workflows; use api: rules"
        )
    if response.status == 404:
        return RulesBackend(client, org, project)
    streams = [
        d
        for d in response.data or []
        if d.get("type") == "issue_stream" and str(d.get("projectId", project_id)) == project_id
    ]
    if not streams:
        raise RuleError(f"project {project!r} has no issue-stream monitor to connect alerts to")
    return WorkflowsBackend(client, org, project_id, str(streams[0]["id"]))


# ---- email targets --------------------------------------------------------------------


def _email(member: Mapping[str, Any]) -> str:
    user = member.get("user") or {}
    return str(member.get("email") or user.get("email") or "").lower()


def _team_id(client: SentryClient, org: str, project: str, slug: str) -> str:
    project_path = f"/projects/{path_segment(org)}/{path_segment(project)}"
    for team in client.paginate(f"{project_path}/teams/"):
        if team.get("slug") == slug:
            return str(team["id"])
    org_teams = client.paginate(f"/organizations/{path_segment(org)}/teams/")
    if any(team.get("slug") == slug for team in org_teams):
        raise RuleError(f"team {slug!r} is not attached to project {project!r}")
    raise RuleError(f"unknown team {slug!r} in organization {org!r}")


def _user_id(client: SentryClient, org: str, project: str, email: str) -> str:
    wanted = email.lower()
    project_path = f"/projects/{path_segment(org)}/{path_segment(project)}"
    for member in client.paginate(f"{project_path}/members/"):
        if _email(member) == wanted and (member.get("user") or {}).get("id") is not None:
            return str(member["user"]["id"])
    for member in client.paginate(f"/organizations/{path_segment(org)}/members/"):
        if _email(member) != wanted:
            continue
        if not member.get("user"):
            raise RuleError(f"member {email!r} has not accepted the invitation yet")
        raise RuleError(f"member {email!r} is not in a team attached to project {project!r}")
    raise RuleError(f"unknown member {email!r} in organization {org!r}")


def resolve_target(client: SentryClient, org: str, project: str, rule: Rule) -> str | None:
    """The id Sentry needs: team id for a team, the user's id (not the member id) for a member."""
    if rule.to == "team" and rule.target:
        return _team_id(client, org, project, rule.target)
    if rule.to == "member" and rule.target:
        return _user_id(client, org, project, rule.target)
    return None


# ---- states ---------------------------------------------------------------------------


def ensure_present(
    client: SentryClient, backend: Backend, params: Mapping[str, Any], rule: Rule, check: bool
) -> dict[str, Any]:
    existing = [r for r in backend.list_rules() if r.get("name") == rule.name]
    if len(existing) > 1:
        raise RuleError(f"{len(existing)} rules are named {rule.name!r}; remove the duplicates")
    target_id = resolve_target(client, params["org"], params["project"], rule)
    body = backend.build(rule, target_id)
    after = backend.normalize(body)
    if not existing:
        created = {} if check else backend.create(body)
        return _result("created", created.get("id"), rule, {}, after)
    current = existing[0]
    before = backend.normalize(current)
    if same(before, after):
        return _result("unchanged", current.get("id"), rule, before, after)
    if not check:
        backend.update(str(current["id"]), body)
    return _result("updated", current.get("id"), rule, before, after)


def _result(
    action: str, rule_id: Any, rule: Rule, before: dict[str, Any], after: dict[str, Any]
) -> dict[str, Any]:
    return {
        "changed": action != "unchanged",
        "action": action,
        "id": None if rule_id is None else str(rule_id),
        "name": rule.name,
        "rule": rule.view(),
        "diff": {"before": before, "after": after},
    }


def ensure_absent(backend: Backend, name: str, check: bool) -> dict[str, Any]:
    existing = [r for r in backend.list_rules() if r.get("name") == name]
    if not check:
        for rule in existing:
            backend.delete(str(rule["id"]))
    before = {"rules": [name] * len(existing)}
    return {
        "changed": bool(existing),
        "action": "deleted" if existing else "absent",
        "id": str(existing[0]["id"]) if existing else None,
        "name": name,
        "diff": {"before": before, "after": {"rules": []}},
    }


def ensure_pruned(backend: Backend, keep: list[str], check: bool) -> dict[str, Any]:
    rules = backend.list_rules()
    extra = [r for r in rules if r.get("name") not in keep]
    doomed = [r for r in extra if backend.owned(r)]
    if not check:
        for rule in doomed:
            backend.delete(str(rule["id"]))
    names = sorted(str(r.get("name")) for r in rules)
    deleted = sorted(str(r.get("name")) for r in doomed)
    return {
        "changed": bool(doomed),
        "action": "pruned",
        "deleted": deleted,
        "skipped": sorted(str(r.get("name")) for r in extra if not backend.owned(r)),
        "diff": {
            "before": {"rules": names},
            "after": {"rules": [n for n in names if n not in deleted]},
        },
    }


def argument_spec() -> dict[str, Any]:
    spec = client_argument_spec()
    spec.update(
        project={"type": "str", "required": True},
        api={"type": "str", "choices": ["auto", "workflows", "rules"], "default": "auto"},
        state={"type": "str", "choices": ["present", "absent", "pruned"], "default": "present"},
        name={"type": "str"},
        keep={"type": "list", "elements": "str"},
        environment={"type": "str"},
        when={"type": "list", "elements": "raw"},
        match={"type": "str", "choices": ["any", "all"], "default": "any"},
        filters={"type": "list", "elements": "raw", "default": []},
        filter_match={"type": "str", "choices": ["all", "any", "none"], "default": "all"},
        email={
            "type": "dict",
            "options": {
                "to": {
                    "type": "str",
                    "required": True,
                    "choices": ["issue_owners", "team", "member"],
                },
                "team": {"type": "str"},
                "member": {"type": "str"},
                "fallthrough": {
                    "type": "str",
                    "choices": list(FALLTHROUGH),
                    "default": "active_members",
                },
            },
        },
        frequency={"type": "int", "default": 30},
    )
    spec["api_token"]["required"] = True
    return spec


def run(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    rule = parse_rule(params) if params["state"] == "present" else None
    client = client_from_params(params)
    backend = select_backend(client, params["org"], params["project"], params["api"])
    if rule is not None:
        result = ensure_present(client, backend, params, rule, module.check_mode)
    elif params["state"] == "absent":
        result = ensure_absent(backend, params["name"], module.check_mode)
    else:
        result = ensure_pruned(backend, params["keep"], module.check_mode)
    return {**result, "api": backend.name}


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_if=[
            ("state", "present", ("name", "when", "email")),
            ("state", "absent", ("name",)),
            ("state", "pruned", ("keep",)),
        ],
    )
    try:
        module.exit_json(**run(module))
    except RuleError as err:
        module.fail_json(msg=str(err))
    except SentryAPIError as err:
        module.fail_json(msg=str(err), status=err.status)


if __name__ == "__main__":
    main()
