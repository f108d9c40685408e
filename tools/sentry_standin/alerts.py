"""Alert bodies: current workflows (Alerts connected to Monitors) and legacy issue-alert rules."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from .state import State, now_iso
from .validation import (
    FALLTHROUGH_TYPES,
    INTERVALS,
    MATCH_OPERATORS,
    REQUIRED,
    Invalid,
    as_int,
    camel,
    check_choice,
    check_owner,
    check_string,
    expect_object,
    is_int,
    snake_keys,
)

LOGIC_TYPES = ("any", "any-short", "all", "none")
TRIGGER_TYPES = {
    "first_seen_event", "regression_event", "reappeared_event", "issue_resolved_trigger",
    "new_high_priority_issue", "existing_high_priority_issue", "seer_activity_trigger",
}
FREQUENCY_FILTERS = {
    "event_frequency_count", "event_unique_user_frequency_count", "percent_sessions_count",
    "event_frequency_percent", "event_unique_user_frequency_percent", "percent_sessions_percent",
}
BOOLEAN_FILTERS = {"latest_release", "issue_priority_deescalating"}
FILTER_TYPES = FREQUENCY_FILTERS | BOOLEAN_FILTERS | {
    "age_comparison", "assigned_to", "issue_category", "issue_occurrences",
    "issue_priority_greater_or_equal", "event_attribute", "tagged_event",
    "latest_adopted_release", "level",
}
INTEGRATION_ACTIONS = {
    "slack", "msteams", "discord", "pagerduty", "opsgenie", "jira", "jira_server", "github",
    "github_enterprise", "vsts",
}
ACTION_TYPES = INTEGRATION_ACTIONS | {"email", "sentry_app", "webhook", "plugin"}
EMAIL_TARGETS = ("user", "team", "issue_owners")
LEVELS = (0, 10, 20, 30, 40, 50)


# workflows ---------------------------------------------------------------------------
def comparison_problem(kind: str, comparison: Any) -> str | None:
    """Checks the `comparison` of one data condition the way Sentry's JSON schemas do."""
    if kind in TRIGGER_TYPES - {"seer_activity_trigger"} or kind in BOOLEAN_FILTERS:
        return None if isinstance(comparison, bool) else "comparison must be a boolean"
    if kind in ("seer_activity_trigger", "issue_priority_greater_or_equal"):
        return None
    if not isinstance(comparison, dict):
        return "comparison must be an object"
    value = comparison.get("value")
    if kind in FREQUENCY_FILTERS:
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            return "value must be a non-negative number"
        return check_choice(comparison.get("interval"), INTERVALS)
    if kind in ("issue_occurrences", "issue_category"):
        return None if is_int(value) and value >= 0 else "value must be a non-negative integer"
    if kind == "age_comparison":
        return (check_choice(comparison.get("time"), ("minute", "hour", "day", "week"))
                or check_choice(comparison.get("comparisonType"), ("older", "newer")))
    if kind == "level":
        return (check_choice(comparison.get("match"), ("eq", "gte", "lte"))
                or check_choice(comparison.get("level"), LEVELS))
    if kind in ("event_attribute", "tagged_event"):
        return check_choice(comparison.get("match"), MATCH_OPERATORS)
    if kind == "assigned_to":
        return check_choice(comparison.get("targetType"), ("Unassigned", "Member", "Team"))
    return None


class Ids:
    """Ids an update may reuse: Sentry updates the items that carry their id, creates the rest
    and drops what is left out. On create every item gets a new id."""

    def __init__(self, state: State, existing: dict[str, Any] | None) -> None:
        self.state = state
        self.pools: dict[str, set[str]] | None = None
        if existing is not None:
            groups = existing["actionFilters"] or []
            trigger_conditions = (existing["triggers"] or {}).get("conditions", [])
            self.pools = {
                "group": {g["id"] for g in groups},
                "action": {a["id"] for g in groups for a in g["actions"]},
                "condition": {c["id"] for g in groups for c in g["conditions"]}
                | {c["id"] for c in trigger_conditions},
            }

    def take(self, given: Any, kind: str, where: str, message: str) -> str:
        if given is None or self.pools is None:
            return self.state.next_id()
        if str(given) not in self.pools[kind]:
            raise Invalid({where: [message.format(given)]})
        return str(given)


def build_conditions(
    ids: Ids, raw: Any, allowed: set[str], where: str
) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise Invalid({where: ["Expected a list of conditions."]})
    result = []
    for index, item in enumerate(raw):
        cond = snake_keys(item) if isinstance(item, dict) else {}
        kind = cond.get("type")
        if kind not in allowed:
            raise Invalid({where: [f"Condition {index}: unknown condition type {kind!r}."]})
        comparison = cond.get("comparison")
        if isinstance(comparison, dict):
            comparison = {camel(k): v for k, v in comparison.items()}
        problem = comparison_problem(kind, comparison)
        if problem:
            raise Invalid({where: [f"Condition {index} ({kind}): {problem}"]})
        result_flag = cond.get("condition_result", True)
        if not isinstance(result_flag, bool):
            raise Invalid({where: [f"Condition {index}: conditionResult must be a boolean."]})
        cond_id = ids.take(cond.get("id"), "condition", where, "Condition with id {} not found.")
        result.append({"id": cond_id, "type": kind, "comparison": comparison,
                       "conditionResult": result_flag})
    return result


def email_problem(state: State, config: dict[str, Any], data: dict[str, Any]) -> str | None:
    target = config.get("targetType")
    if target not in EMAIL_TARGETS:
        return f"targetType must be one of {', '.join(EMAIL_TARGETS)}"
    if "fallthroughType" in data and data["fallthroughType"] not in FALLTHROUGH_TYPES:
        return f"fallthroughType must be one of {', '.join(FALLTHROUGH_TYPES)}"
    ident = config.get("targetIdentifier")
    ident = None if ident is None else str(ident)
    if target == "user" and ident not in state.user_ids():
        return f"user {ident!r} is not a member of this organization"
    if target == "team" and not (ident and state.team(ident) and state.team(ident)["id"] == ident):
        return f"team {ident!r} does not exist in this organization"
    return None


def build_actions(ids: Ids, raw: Any, where: str) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise Invalid({where: ["Expected a list of actions."]})
    result = []
    for index, item in enumerate(raw):
        action = snake_keys(item) if isinstance(item, dict) else {}
        kind = action.get("type")
        if kind not in ACTION_TYPES:
            raise Invalid({where: [f"Action {index}: Invalid action type: {kind}"]})
        config, data = action.get("config"), action.get("data")
        if not isinstance(config, dict) or not isinstance(data, dict):
            raise Invalid({where: [f"Action {index}: config and data are required objects."]})
        config = {camel(k): v for k, v in config.items()}
        integration = action.get("integration_id")
        problem = email_problem(ids.state, config, data) if kind == "email" else None
        if kind in INTEGRATION_ACTIONS and integration in (None, ""):
            problem = "integrationId is required"
        if problem:
            raise Invalid({where: [f"Action {index} ({kind}): {problem}"]})
        if kind == "email":
            ident = config.get("targetIdentifier")
            config = {"targetType": config["targetType"], "targetDisplay": None,
                      "targetIdentifier": None if ident is None else str(ident)}
        result.append({
            "id": ids.take(action.get("id"), "action", where,
                           "Action ID {} does not belong to this workflow"),
            "type": kind,
            "integrationId": None if integration is None else str(integration),
            "data": copy.deepcopy(data), "config": config,
            "status": action.get("status", "active"),
        })
    return result


def build_action_filters(ids: Ids, raw: Any) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(i, dict) for i in raw):
        raise Invalid({"actionFilters": ["Expected a list of objects."]})
    groups = []
    for item in raw:
        group = snake_keys(item)
        problem = check_choice(group.get("logic_type"), LOGIC_TYPES)
        if problem:
            raise Invalid({"actionFilters": {"logicType": [problem]}})
        if "actions" not in group:
            raise Invalid({"actionFilters": ["Missing actions key in action filter"]})
        groups.append({
            "id": ids.take(group.get("id"), "group", "actionFilters",
                           "Action filter ID {} does not belong to this workflow"),
            "organizationId": ids.state.org["id"],
            "logicType": group["logic_type"],
            "conditions": build_conditions(ids, group.get("conditions"), FILTER_TYPES,
                                           "actionFilters"),
            "actions": build_actions(ids, group["actions"], "actionFilters"),
        })
    return groups


def build_triggers(
    ids: Ids, raw: Any, current: dict[str, Any] | None
) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise Invalid({"triggers": ["Invalid data. Expected a dictionary."]})
    trig = snake_keys(raw)
    if "logic_type" not in trig:
        raise Invalid({"triggers": {"logicType": [REQUIRED]}})
    problem = check_choice(trig["logic_type"], LOGIC_TYPES)
    if problem:
        raise Invalid({"triggers": {"logicType": [problem]}})
    group_id = ids.state.next_id() if current is None else current["id"]
    if current is not None and trig.get("id") not in (None, group_id):
        raise Invalid({"triggers": [f"Invalid Condition Group ID {trig['id']}"]})
    return {
        "id": group_id, "organizationId": ids.state.org["id"], "logicType": trig["logic_type"],
        "conditions": build_conditions(ids, trig.get("conditions"), TRIGGER_TYPES, "triggers"),
        "actions": [],
    }


def detector_ids(state: State, raw: Any) -> list[str]:
    if not isinstance(raw, list):
        kind = type(raw).__name__
        raise Invalid({"detectorIds": [f'Expected a list of items but got type "{kind}".']})
    ids = [as_int(i) for i in raw]
    if None in ids:
        raise Invalid({"detectorIds": ["A valid integer is required."]})
    known = {d["id"] for d in state.detectors}
    missing = [str(i) for i in ids if str(i) not in known]
    if missing:
        raise Invalid({"detectorIds": [f"Some detectors do not exist: {', '.join(missing)}"]})
    return [str(i) for i in dict.fromkeys(ids)]


def build_workflow(
    state: State, body: Any, existing: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Validate a create/update body and return the workflow as Sentry answers it."""
    data = snake_keys(expect_object(body))
    errors: dict[str, Any] = {}
    name = check_string(data, "name", errors, required=True, max_length=256)
    environment = check_string(data, "environment", errors, nullable=True, max_length=64)
    if environment and "environment" not in errors and environment not in state.environments:
        errors["environment"] = ["This environment has not been created."]
    enabled = data.get("enabled", True if existing is None else existing["enabled"])
    if not isinstance(enabled, bool):
        errors["enabled"] = ["Must be a valid boolean."]
    config = data.get("config", {"frequency": 30} if existing is None else existing["config"])
    if not isinstance(config, dict) or set(config) - {"frequency"}:
        errors["config"] = ["config accepts only {\"frequency\": minutes}."]
    elif "frequency" in config and not (is_int(config["frequency"]) and config["frequency"] >= 0):
        errors["config"] = ["frequency must be a non-negative integer (minutes)."]
    check_owner(state, data.get("owner"), errors)
    if errors:
        raise Invalid(errors)
    prior = existing or {}
    ids = Ids(state, existing)
    workflow = {
        "id": prior.get("id") or state.next_id(),
        "name": name,
        "organizationId": state.org["id"],
        "createdBy": prior.get("createdBy"),
        "dateCreated": prior.get("dateCreated") or now_iso(),
        "dateUpdated": now_iso(),
        "triggers": build_triggers(ids, data["triggers"], prior.get("triggers"))
        if "triggers" in data else prior.get("triggers"),
        "actionFilters": build_action_filters(ids, data["action_filters"])
        if "action_filters" in data else prior.get("actionFilters", []),
        "environment": environment if "environment" in data else prior.get("environment"),
        "config": config,
        "detectorIds": detector_ids(state, data["detector_ids"]) if "detector_ids" in data
        else prior.get("detectorIds", []),
        "enabled": enabled,
        "lastTriggered": prior.get("lastTriggered"),
        "owner": data["owner"] if "owner" in data else prior.get("owner"),
    }
    return workflow


# legacy issue-alert rules ------------------------------------------------------------
CONDITION_PREFIX = "sentry.rules.conditions."
EMAIL_ACTION = "sentry.mail.actions.NotifyEmailAction"
RULE_CONDITIONS = {
    CONDITION_PREFIX + "first_seen_event.FirstSeenEventCondition": "A new issue is created",
    CONDITION_PREFIX + "regression_event.RegressionEventCondition":
        "The issue changes state from resolved to unresolved",
    CONDITION_PREFIX + "reappeared_event.ReappearedEventCondition":
        "The issue changes state from archived to escalating",
    CONDITION_PREFIX + "high_priority_issue.NewHighPriorityIssueCondition":
        "Sentry marks a new issue as high priority",
    CONDITION_PREFIX + "high_priority_issue.ExistingHighPriorityIssueCondition":
        "Sentry marks an existing issue as high priority",
    CONDITION_PREFIX + "event_frequency.EventFrequencyCondition":
        "The issue is seen more than {value} times in {interval}",
    CONDITION_PREFIX + "event_frequency.EventUniqueUserFrequencyCondition":
        "The issue is seen by more than {value} users in {interval}",
    CONDITION_PREFIX + "event_frequency.EventFrequencyPercentCondition":
        "The issue affects more than {value} percent of sessions in {interval}",
}
RULE_FILTERS = {
    "sentry.rules.filters.age_comparison.AgeComparisonFilter":
        "The issue is {comparison_type} than {value} {time}",
    "sentry.rules.filters.issue_occurrences.IssueOccurrencesFilter":
        "The issue has happened at least {value} times",
    "sentry.rules.filters.assigned_to.AssignedToFilter": "The issue is assigned to {targetType}",
    "sentry.rules.filters.latest_release.LatestReleaseFilter":
        "The event is from the latest release",
    "sentry.rules.filters.latest_adopted_release_filter.LatestAdoptedReleaseFilter":
        "The event's release is older or newer than the latest adopted release",
    "sentry.rules.filters.issue_category.IssueCategoryFilter":
        "The issue's category is equal to {value}",
    CONDITION_PREFIX + "event_attribute.EventAttributeCondition":
        "The event's {attribute} value {match} {value}",
    "sentry.rules.filters.event_attribute.EventAttributeFilter":
        "The event's {attribute} value {match} {value}",
    "sentry.rules.filters.tagged_event.TaggedEventFilter":
        "The event's tags match {key} {match} {value}",
    "sentry.rules.filters.level.LevelFilter": "The event's level is {match} {level}",
}
RULE_ACTIONS = {
    EMAIL_ACTION: "Send a notification to {targetType} and if none can be found then send a "
                  "notification to {fallthroughType}",
    **{f"sentry.integrations.{mod}.notify_action.{cls}": f"{label} notification"
       for mod, cls, label in (
           ("slack", "SlackNotifyServiceAction", "Slack"),
           ("msteams", "MsTeamsNotifyServiceAction", "Microsoft Teams"),
           ("discord", "DiscordNotifyServiceAction", "Discord"),
           ("pagerduty", "PagerDutyNotifyServiceAction", "PagerDuty"),
           ("opsgenie", "OpsgenieNotifyTeamAction", "Opsgenie"),
           ("jira", "JiraCreateTicketAction", "Jira"),
           ("jira_server", "JiraServerCreateTicketAction", "Jira Server"),
           ("github", "GitHubCreateTicketAction", "GitHub"),
           ("github_enterprise", "GitHubEnterpriseCreateTicketAction", "GitHub Enterprise"),
           ("vsts", "AzureDevopsCreateTicketAction", "Azure DevOps"),
       )},
    "sentry.rules.actions.notify_event_service.NotifyEventServiceAction":
        "Send a notification via {service}",
    "sentry.rules.actions.notify_event_sentry_app.NotifyEventSentryAppAction":
        "Send a notification via an integration",
    "sentry.rules.actions.notify_event.NotifyEventAction":
        "Send a notification to all legacy integrations",
}
PERCENT_INTERVALS = ("5m", "10m", "30m", "1h")


def frequency_problem(node: dict[str, Any]) -> str | None:
    percent = node["id"].endswith("EventFrequencyPercentCondition")
    value = node.get("value")
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if number is None and isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or number < 0 or (not percent and number != int(number)):
        return "value must be a non-negative " + ("number" if percent else "integer")
    problem = check_choice(node.get("interval"), PERCENT_INTERVALS if percent else INTERVALS)
    if problem:
        return problem
    if "comparisonType" in node and node["comparisonType"] not in ("count", "percent"):
        return check_choice(node["comparisonType"], ("count", "percent"))
    if node.get("comparisonType") == "percent":
        return check_choice(node.get("comparisonInterval"), ("5m", "15m", "1h", "1d", "1w", "30d"))
    return None


def filter_problem(node: dict[str, Any]) -> str | None:
    kind = node["id"].rsplit(".", 1)[1]
    if kind == "AgeComparisonFilter":
        return (check_choice(node.get("comparison_type"), ("older", "newer"))
                or check_choice(node.get("time"), ("minute", "hour", "day", "week"))
                or (None if as_int(node.get("value")) is not None else "value must be integer"))
    if kind == "IssueOccurrencesFilter":
        return None if as_int(node.get("value")) is not None else "value must be an integer"
    if kind == "AssignedToFilter":
        return check_choice(node.get("targetType"), ("Unassigned", "Team", "Member"))
    if kind == "IssueCategoryFilter":
        return None if as_int(node.get("value")) in range(1, 16) else "unknown issue category"
    if kind == "LevelFilter":
        return (check_choice(node.get("match"), ("eq", "gte", "lte"))
                or check_choice(str(node.get("level")), ("50", "40", "30", "20", "10", "0")))
    if kind in ("EventAttributeCondition", "EventAttributeFilter", "TaggedEventFilter"):
        field = "key" if kind == "TaggedEventFilter" else "attribute"
        if not node.get(field):
            return f"{field} is required"
        problem = check_choice(node.get("match"), MATCH_OPERATORS)
        if problem or node["match"] in ("is", "ns"):
            return problem
        return None if node.get("value") not in (None, "") else "value is required"
    return None


def email_action_problem(state: State, project: dict[str, Any], node: dict[str, Any]) -> str | None:
    """Sentry's MemberTeamForm: the target must reach the project; the id becomes an integer."""
    if node.get("targetType") not in ("IssueOwners", "Team", "Member"):
        return "Invalid targetType specified"
    if "fallthroughType" in node and node["fallthroughType"] not in FALLTHROUGH_TYPES:
        return check_choice(node["fallthroughType"], FALLTHROUGH_TYPES)
    raw = node.get("targetIdentifier")
    ident = None if raw in (None, "", "None") else as_int(raw)
    if raw not in (None, "", "None") and ident is None:
        return "targetIdentifier must be an integer"
    if node["targetType"] == "IssueOwners":
        return None
    if ident is None:
        return "You need to specify a Team or Member."
    node["targetIdentifier"] = ident
    if node["targetType"] == "Team":
        team = state.team(str(ident))
        if not team or team["id"] != str(ident) or team["slug"] not in project["teams"]:
            return "This team is not part of the project."
    elif str(ident) not in {m["user"]["id"] for m in state.project_members(project)}:
        return "This user is not part of the project."
    return None


def build_nodes(
    state: State, project: dict[str, Any], raw: Any, where: str, known: dict[str, str]
) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(n, dict) for n in raw):
        raise Invalid({where: ["Expected a list of objects."]})
    nodes = []
    for raw_node in raw:
        node = copy.deepcopy(raw_node)
        node_id = node.get("id")
        if node_id not in known:
            raise Invalid({where: [f"Invalid node. Could not find '{node_id}'"]})
        if where == "conditions" and "event_frequency" in node_id:
            problem = frequency_problem(node)
        elif where == "filters":
            problem = filter_problem(node)
        elif node_id == EMAIL_ACTION:
            problem = email_action_problem(state, project, node)
            node.setdefault("fallthroughType", "ActiveMembers")
        else:
            problem = None
        if problem:
            raise Invalid({where: [problem]})
        if where == "actions":
            node.setdefault("uuid", str(uuid.uuid4()))
        node["name"] = known[node_id].format_map(_Blank(node))
        nodes.append(node)
    return nodes


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


RULE_COMPARED = ("conditions", "filters", "actions", "actionMatch", "filterMatch", "frequency",
                 "environment")


def _comparable(rule: dict[str, Any]) -> tuple[Any, ...]:
    def strip(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(({k: v for k, v in n.items() if k not in ("name", "uuid")} for n in nodes),
                      key=repr)

    return tuple(strip(rule[k]) if isinstance(rule[k], list) else rule[k] for k in RULE_COMPARED)


def build_rule(
    state: State, project: dict[str, Any], body: Any, existing: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Validate a rule body (POST and PUT both carry the whole rule) and return the rule."""
    data, errors = expect_object(body), {}
    name = check_string(data, "name", errors, required=True, max_length=256)
    frequency = as_int(data.get("frequency"))
    if "frequency" not in data:
        errors["frequency"] = [REQUIRED]
    elif frequency is None or not 5 <= frequency <= 43200:
        errors["frequency"] = ["Ensure this value is between 5 and 43200."]
    for field in ("actionMatch", "filterMatch"):
        if field == "actionMatch" and field not in data:
            errors[field] = [REQUIRED]
        elif field in data and check_choice(data[field], ("all", "any", "none")):
            errors[field] = [check_choice(data[field], ("all", "any", "none"))]
    environment = check_string(data, "environment", errors, nullable=True, max_length=64)
    if environment and "environment" not in errors and environment not in state.environments:
        errors["environment"] = ["This environment has not been created."]
    for field in ("conditions", "actions"):
        if field not in data:
            errors[field] = [REQUIRED]
    if data.get("filters") and "filterMatch" not in data:
        errors["filterMatch"] = ["Must select a filter match (all, any, none) if filters are "
                                 "supplied."]
    check_owner(state, data.get("owner"), errors)
    if errors:
        raise Invalid(errors)
    actions = build_nodes(state, project, data["actions"], "actions", RULE_ACTIONS)
    if not actions:
        raise Invalid({"actions": ["You must add an action for this alert to fire."]})
    prior = existing or {}
    rule = {
        "id": prior.get("id") or state.next_id(),
        "project": project["id"],
        "name": name,
        "conditions": build_nodes(state, project, data["conditions"], "conditions",
                                  RULE_CONDITIONS),
        "filters": build_nodes(state, project, data.get("filters") or [], "filters",
                               RULE_FILTERS),
        "actions": actions,
        "actionMatch": data["actionMatch"],
        "filterMatch": data.get("filterMatch", "all"),
        "frequency": frequency,
        "dateCreated": prior.get("dateCreated") or now_iso(),
        "owner": data.get("owner"),
        "createdBy": None,
        "environment": environment,
        "status": "active",
        "snooze": False,
        "lastTriggered": None,
    }
    for other in state.rules:
        if (other["project"] == project["id"] and other["id"] != rule["id"]
                and _comparable(other) == _comparable(rule)):
            raise Invalid({"name": [f"This rule is an exact duplicate of '{other['name']}' in "
                                    "this project and may not be created."]})
    return rule
