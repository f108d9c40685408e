"""The friendly rule form translated to legacy-rule and workflow bodies.

Expected shapes are the examples of Sentry's published API schema (issue-alert rules as of
the last schema that documents them; workflows as of the current schema).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ansible.module_utils import sentry_rule_format as rule_format
from ansible.module_utils import sentry_rule_payloads as payloads

FIRST_SEEN = "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition"
FREQ = "sentry.rules.conditions.event_frequency.EventFrequencyCondition"


def rule(**overrides: Any) -> Any:
    params: dict[str, Any] = {
        "name": "New issue",
        "environment": None,
        "when": ["first_seen"],
        "match": "any",
        "filters": [],
        "filter_match": "all",
        "email": {"to": "issue_owners", "fallthrough": "active_members"},
        "frequency": 30,
    }
    params.update(overrides)
    return rule_format.parse_rule(params)


# Email actions, legacy: the three examples of the schema's rule body.
@pytest.mark.parametrize(
    ("email", "target", "expected"),
    [
        (
            {"to": "issue_owners", "fallthrough": "active_members"},
            None,
            {
                "id": rule_format.EMAIL_ACTION,
                "targetType": "IssueOwners",
                "fallthroughType": "ActiveMembers",
            },
        ),
        (
            {"to": "team", "team": "backend", "fallthrough": "all_members"},
            "4524986223",
            {
                "id": rule_format.EMAIL_ACTION,
                "targetType": "Team",
                "fallthroughType": "AllMembers",
                "targetIdentifier": 4524986223,
            },
        ),
        (
            {"to": "member", "member": "a@example.com", "fallthrough": "active_members"},
            "1523125",
            {
                "id": rule_format.EMAIL_ACTION,
                "targetType": "Member",
                "fallthroughType": "ActiveMembers",
                "targetIdentifier": 1523125,
            },
        ),
    ],
)
def test_legacy_email_action(email: dict[str, str], target: str | None, expected: dict) -> None:
    assert payloads.legacy_payload(rule(email=email), target)["actions"] == [expected]


# Email actions, workflows: the two examples of the schema's "Notify on Preferred Channel".
def test_workflow_email_action_user() -> None:
    friendly = rule(email={"to": "member", "member": "a@x.io"})
    body = payloads.workflow_payload(friendly, "232692", "9")
    assert body["action_filters"][0]["actions"] == [
        {
            "type": "email",
            "integrationId": None,
            "data": {},
            "config": {"targetType": "user", "targetDisplay": None, "targetIdentifier": "232692"},
            "status": "active",
        }
    ]


def test_workflow_email_action_issue_owners() -> None:
    body = payloads.workflow_payload(rule(), None, "9")
    assert body["action_filters"][0]["actions"] == [
        {
            "type": "email",
            "integrationId": None,
            "data": {"fallthroughType": "ActiveMembers"},
            "config": {"targetType": "issue_owners", "targetDisplay": None, "targetIdentifier": ""},
            "status": "active",
        }
    ]


def test_full_legacy_rule_body() -> None:
    friendly = rule(
        name="Errors in production",
        environment="production",
        when=["first_seen", "regression", {"event_frequency": {"value": 500, "interval": "1h"}}],
        match="all",
        filters=[{"level": {"match": "gte", "level": "error"}}],
        email={"to": "team", "team": "backend", "fallthrough": "no_one"},
        frequency=60,
    )
    assert payloads.legacy_payload(friendly, "12") == {
        "name": "Errors in production",
        "environment": "production",
        "actionMatch": "all",
        "filterMatch": "all",
        "conditions": [
            {"id": FIRST_SEEN},
            {"id": "sentry.rules.conditions.regression_event.RegressionEventCondition"},
            {"id": FREQ, "value": 500, "interval": "1h"},
        ],
        "filters": [
            {"id": "sentry.rules.filters.level.LevelFilter", "match": "gte", "level": "40"}
        ],
        "actions": [
            {
                "id": rule_format.EMAIL_ACTION,
                "targetType": "Team",
                "fallthroughType": "NoOne",
                "targetIdentifier": 12,
            }
        ],
        "frequency": 60,
    }


def test_full_workflow_body() -> None:
    friendly = rule(
        name="Errors in production",
        environment="production",
        when=["first_seen", "reappeared", {"event_frequency": {"value": 100, "interval": "1h"}}],
        match="all",
        filters=[{"level": {"match": "eq", "level": "fatal"}}],
        email={"to": "team", "team": "backend"},
        frequency=1440,
    )
    assert payloads.workflow_payload(friendly, "12", "1000") == {
        "name": "Errors in production",
        "enabled": True,
        "environment": "production",
        "detector_ids": [1000],
        "config": {"frequency": 1440},
        "triggers": {
            "logicType": "all",
            "conditions": [
                {"type": "first_seen_event", "comparison": True, "conditionResult": True},
                {"type": "reappeared_event", "comparison": True, "conditionResult": True},
            ],
        },
        "action_filters": [
            {
                "logicType": "all",
                "conditions": [
                    {
                        "type": "event_frequency_count",
                        "comparison": {"value": 100, "interval": "1h"},
                        "conditionResult": True,
                    },
                    {
                        "type": "level",
                        "comparison": {"level": 50, "match": "eq"},
                        "conditionResult": True,
                    },
                ],
                "actions": [
                    {
                        "type": "email",
                        "integrationId": None,
                        "data": {},
                        "config": {
                            "targetType": "team",
                            "targetDisplay": None,
                            "targetIdentifier": "12",
                        },
                        "status": "active",
                    }
                ],
            }
        ],
    }


def test_match_any_is_any_short_on_workflows() -> None:
    body = payloads.workflow_payload(rule(when=["first_seen", "regression"]), None, "1")
    assert body["triggers"]["logicType"] == "any-short"
    legacy = payloads.legacy_payload(rule(when=["first_seen", "regression"]), None)
    assert legacy["actionMatch"] == "any"


@pytest.mark.parametrize(
    ("word", "number"),
    [("fatal", 50), ("error", 40), ("warning", 30), ("info", 20), ("debug", 10), ("sample", 0)],
)
def test_level_words(word: str, number: int) -> None:
    friendly = rule(filters=[{"level": {"match": "lte", "level": word}}])
    assert payloads.legacy_payload(friendly, None)["filters"][0]["level"] == str(number)
    condition = payloads.workflow_payload(friendly, None, "1")["action_filters"][0]["conditions"][0]
    assert condition == {
        "type": "level",
        "comparison": {"level": number, "match": "lte"},
        "conditionResult": True,
    }


def test_other_filters_on_both_apis() -> None:
    friendly = rule(
        filters=[
            {"issue_occurrences": {"value": 10}},
            {"age_comparison": {"comparison": "older", "value": 10, "time": "minute"}},
            {"tagged_event": {"key": "level", "match": "eq", "value": "error"}},
            "latest_release",
        ],
        filter_match="any",
    )
    assert payloads.legacy_payload(friendly, None)["filters"] == [
        {"id": "sentry.rules.filters.issue_occurrences.IssueOccurrencesFilter", "value": 10},
        {
            "id": "sentry.rules.filters.age_comparison.AgeComparisonFilter",
            "comparison_type": "older",
            "value": 10,
            "time": "minute",
        },
        {
            "id": "sentry.rules.filters.tagged_event.TaggedEventFilter",
            "key": "level",
            "match": "eq",
            "value": "error",
        },
        {"id": "sentry.rules.filters.latest_release.LatestReleaseFilter"},
    ]
    group = payloads.workflow_payload(friendly, None, "1")["action_filters"][0]
    assert group["logicType"] == "any-short"
    assert [(c["type"], c["comparison"]) for c in group["conditions"]] == [
        ("issue_occurrences", {"value": 10}),
        ("age_comparison", {"time": "minute", "value": 10, "comparisonType": "older"}),
        ("tagged_event", {"key": "level", "match": "eq", "value": "error"}),
        ("latest_release", True),
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"when": ["first_seen", "on_fire"]}, "unknown condition 'on_fire'"),
        ({"when": []}, "when must list at least one condition"),
        ({"frequency": 4}, "frequency must be between 5 and 43200, got 4"),
        ({"frequency": 43201}, "frequency must be between 5 and 43200"),
        ({"email": {"to": "team"}}, "email.to is team but email.team is not set"),
        ({"email": {"to": "member"}}, "email.to is member but email.member is not set"),
        ({"email": {"to": "member", "member": "alice"}}, "must be an email address"),
        ({"filters": [{"level": {"match": "gte", "level": "loud"}}]}, "level.level must be one of"),
        ({"filters": [{"colour": "red"}]}, "unknown filter 'colour'"),
        (
            {"when": [{"event_frequency": {"value": 10, "interval": "2h"}}]},
            "event_frequency.interval must be one of",
        ),
        (
            {"when": ["first_seen", {"event_frequency": {"value": 1, "interval": "1h"}}]},
            "match: any cannot mix issue-state conditions with frequency conditions",
        ),
        (
            {
                "when": [{"event_frequency": {"value": 1, "interval": "1h"}}],
                "filters": ["latest_release"],
                "filter_match": "any",
            },
            "frequency conditions with filters need filter_match: all",
        ),
    ],
)
def test_invalid_rules_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(rule_format.RuleError, match=message):
        rule(**overrides)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(rule_format.RuleError) as caught:
        rule(when=["nope"], frequency=1, email={"to": "team"})
    assert str(caught.value).count(";") == 2


def test_normalization_matches_server_echo_of_a_legacy_rule() -> None:
    friendly = rule(when=[{"event_frequency": {"value": 5, "interval": "1h"}}])
    sent = payloads.legacy_payload(friendly, None)
    echoed = {
        **sent,
        "id": "3",
        "conditions": [{**sent["conditions"][0], "value": "5", "name": "more than 5 events"}],
        "actions": [{**sent["actions"][0], "uuid": "abc", "targetIdentifier": None}],
        "dateCreated": "2026-01-01T00:00:00Z",
    }
    wanted = payloads.normalize_legacy(sent)
    assert payloads.same(payloads.normalize_legacy(echoed), wanted)
    assert not payloads.same(payloads.normalize_legacy({**echoed, "frequency": 60}), wanted)


def test_normalization_matches_server_echo_of_a_workflow() -> None:
    sent = payloads.workflow_payload(rule(email={"to": "team", "team": "t"}), "12", "1000")
    group = copy.deepcopy(sent["action_filters"][0])
    echoed = {
        "id": "55",
        "name": sent["name"],
        "organizationId": "1",
        "enabled": True,
        "environment": None,
        "config": {"frequency": 30},
        "detectorIds": ["1000"],
        "triggers": {
            "id": "1",
            "logicType": "any-short",
            "conditions": [{"id": "9", **c} for c in sent["triggers"]["conditions"]],
            "actions": [],
        },
        "actionFilters": [
            {
                "id": "2",
                "logicType": group["logicType"],
                "conditions": [],
                "actions": [{**group["actions"][0], "id": "77", "integrationId": None}],
            }
        ],
    }
    wanted = payloads.normalize_workflow(sent)
    assert payloads.same(payloads.normalize_workflow(echoed), wanted)
    echoed["actionFilters"][0]["actions"][0]["config"]["targetIdentifier"] = "13"
    assert not payloads.same(payloads.normalize_workflow(echoed), wanted)
