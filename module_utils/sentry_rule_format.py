"""The friendly rule format: its option spec, and parsing it into a validated Rule.

The format is documented once, in plugins/doc_fragments/sentry_alert_rule.py; RULE_OPTIONS
is its argument spec (tests check that the two agree, and that the role's argument_specs
matches them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible.module_utils.sentry_api import InputError

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


STATES = ("present", "absent")
RULE_FIELDS = (
    "name", "state", "environment", "when", "match", "filters", "filter_match", "email",
    "frequency",
)


class RuleError(InputError):
    """The declared rule is invalid or cannot be applied (for example an unknown team)."""


def rule_options() -> dict[str, Any]:
    """The argument spec of one rule (a fresh copy: AnsibleModule fills specs in)."""
    return {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": list(STATES), "default": "present"},
        "environment": {"type": "str"},
        "when": {"type": "list", "elements": "raw"},
        "match": {"type": "str", "choices": ["any", "all"], "default": "any"},
        "filters": {"type": "list", "elements": "raw", "default": []},
        "filter_match": {"type": "str", "choices": ["all", "any", "none"], "default": "all"},
        "email": {
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
        "frequency": {"type": "int", "default": 30},
    }

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
    triggers: list[str] = []
    frequencies: list[tuple[str, int, str]] = []
    if isinstance(when, list):
        triggers, frequencies = _parse_when(when, problems)
    else:
        problems.add("when is required" if when is None else "when must be a list")
    filters = _parse_filters(params.get("filters") or [], problems)
    email = params.get("email") or {}
    if not email:
        problems.add("email is required")
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


