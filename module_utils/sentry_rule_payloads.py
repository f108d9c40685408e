"""Translation of a validated Rule into the request body of either alert API, and the
normalized view that makes a request body and Sentry's answer comparable."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ansible.module_utils.sentry_rule_format import (
    EMAIL_ACTION,
    FALLTHROUGH,
    FILTER_IDS,
    FREQUENCY,
    ISSUE_STATE,
    LEGACY_TARGET,
    LEVELS,
    WORKFLOW_LOGIC,
    WORKFLOW_TARGET,
    Rule,
)


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


def fingerprint(rule: Mapping[str, Any]) -> str:
    """A string equal for two rules exactly when same() holds for them."""
    return json.dumps(_canon(rule), sort_keys=True)


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


