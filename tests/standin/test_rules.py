"""Legacy mode: issue-alert rules under /projects/{org}/{project}/rules/."""

from __future__ import annotations

import json

import pytest
import requests
from standin_fields import NOT_FOUND, RULE, WEB_KEY, call, email_rule, missing

RULES = "projects/acme/web/rules/"
EMAIL = "sentry.mail.actions.NotifyEmailAction"
FREQUENCY = "sentry.rules.conditions.event_frequency.EventFrequencyCondition"


@pytest.fixture
def legacy(sentry_standin):
    sentry_standin.reset("legacy")
    return sentry_standin


def create(standin, body):
    response = call(standin, "POST", RULES, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_returns_sentry_shape(legacy):
    rule = create(legacy, email_rule(owner="team:2001"))
    assert missing(RULE, rule) == set()
    assert isinstance(rule["id"], str)
    assert rule["projects"] == ["web"]
    assert (rule["status"], rule["snooze"], rule["frequency"]) == ("active", False, 30)
    assert (rule["actionMatch"], rule["filterMatch"]) == ("any", "all")
    assert rule["owner"] == "team:2001"
    action = rule["actions"][0]
    assert action["fallthroughType"] == "ActiveMembers"  # filled in by the server
    assert action["targetIdentifier"] == 9001
    assert action["name"]
    assert "project" not in rule


def test_rule_ids_are_per_project(legacy):
    rule = create(legacy, email_rule())
    assert call(legacy, "GET", f"projects/acme/api/rules/{rule['id']}/").status_code == 404
    assert call(legacy, "GET", "projects/acme/api/rules/").json() == []
    assert [r["id"] for r in call(legacy, "GET", RULES).json()] == [rule["id"]]


def test_get_update_delete(legacy):
    rule = create(legacy, email_rule())
    path = f"{RULES}{rule['id']}/"
    assert call(legacy, "GET", path).json() == rule
    body = email_rule("Renamed", frequency=60, filterMatch="any", filters=[
        {"id": "sentry.rules.filters.level.LevelFilter", "match": "gte", "level": "40"}])
    updated = call(legacy, "PUT", path, json=body)
    assert updated.status_code == 200
    assert (updated.json()["id"], updated.json()["name"]) == (rule["id"], "Renamed")
    assert updated.json()["filters"][0]["level"] == "40"
    deleted = call(legacy, "DELETE", path)
    assert (deleted.status_code, deleted.content) == (202, b"")
    assert call(legacy, "GET", path).json() == NOT_FOUND


@pytest.mark.parametrize("frequency", [5, 43200])
def test_frequency_bounds_accepted(legacy, frequency):
    assert create(legacy, email_rule(frequency=frequency))["frequency"] == frequency


def test_target_identifier_is_stored_as_an_integer(legacy):
    rule = create(legacy, email_rule(actions=[
        {"id": EMAIL, "targetType": "Member", "targetIdentifier": "9001"}]))
    assert rule["actions"][0]["targetIdentifier"] == 9001


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"targetType": "Member", "targetIdentifier": "alice"},
         "targetIdentifier must be an integer"),
        ({"targetType": "Member"}, "You need to specify a Team or Member."),
        ({"targetType": "Team", "targetIdentifier": ""}, "You need to specify a Team or Member."),
        ({"targetType": "Owners"}, "Invalid targetType specified"),
    ],
)
def test_email_target_messages(legacy, action, message):
    response = call(legacy, "POST", RULES, json=email_rule(actions=[dict(action, id=EMAIL)]))
    assert (response.status_code, response.json()) == (400, {"actions": [message]})


def test_team_and_issue_owner_targets(legacy):
    team = create(legacy, email_rule("team", actions=[
        {"id": EMAIL, "targetType": "Team", "targetIdentifier": 2001,
         "fallthroughType": "AllMembers"}]))
    assert team["actions"][0]["fallthroughType"] == "AllMembers"
    owners = create(legacy, email_rule("owners", actionMatch="all", actions=[
        {"id": EMAIL, "targetType": "IssueOwners", "fallthroughType": "NoOne"}]))
    assert owners["actions"][0]["targetType"] == "IssueOwners"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"frequency": 4}, "frequency"),
        ({"frequency": 43201}, "frequency"),
        ({"frequency": "often"}, "frequency"),
        ({"name": ""}, "name"),
        ({"name": "x" * 257}, "name"),
        ({"actionMatch": "some"}, "actionMatch"),
        ({"filterMatch": "most"}, "filterMatch"),
        ({"actions": []}, "actions"),
        ({"conditions": [{"id": "sentry.rules.conditions.sunrise.SunriseCondition"}]},
         "conditions"),
        ({"conditions": [{"id": FREQUENCY, "value": 10, "interval": "2h"}]}, "conditions"),
        ({"conditions": [{"id": FREQUENCY, "value": -1, "interval": "1h"}]}, "conditions"),
        ({"filters": [{"id": "sentry.rules.filters.level.LevelFilter", "match": "gt",
                       "level": "40"}]}, "filters"),
        ({"filters": [{"id": "sentry.rules.filters.nothing.Nothing"}]}, "filters"),
        ({"actions": [{"id": EMAIL, "targetType": "Everybody"}]}, "actions"),
        ({"actions": [{"id": EMAIL, "targetType": "IssueOwners",
                       "fallthroughType": "Everybody"}]}, "actions"),
        ({"actions": [{"id": EMAIL, "targetType": "Member", "targetIdentifier": 3001}]},
         "actions"),  # the org-member id instead of the user id
        ({"actions": [{"id": EMAIL, "targetType": "Member", "targetIdentifier": 9002}]},
         "actions"),  # bob is not in a team attached to web
        ({"actions": [{"id": EMAIL, "targetType": "Team", "targetIdentifier": 2002}]},
         "actions"),  # frontend is not attached to web
        ({"owner": "team:9999"}, "owner"),
    ],
)
def test_invalid_bodies_are_refused_and_nothing_is_stored(legacy, change, field):
    response = call(legacy, "POST", RULES, json=email_rule(**change))
    assert response.status_code == 400
    assert field in response.json()
    assert legacy.state()["rules"] == []


@pytest.mark.parametrize("field", ["name", "frequency", "actionMatch", "conditions", "actions"])
def test_required_fields(legacy, field):
    body = email_rule()
    del body[field]
    response = call(legacy, "POST", RULES, json=body)
    assert response.status_code == 400
    assert response.json()[field] == ["This field is required."]


def test_exact_duplicate_is_refused(legacy):
    create(legacy, email_rule("first"))
    response = call(legacy, "POST", RULES, json=email_rule("second"))
    assert response.status_code == 400
    assert "duplicate" in response.json()["name"][0]


def test_current_mode_has_no_rules(sentry_standin):
    response = call(sentry_standin, "GET", RULES)
    assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert call(sentry_standin, "POST", RULES, json=email_rule()).status_code == 404


def test_reset_switches_mode(sentry_standin):
    sentry_standin.reset("legacy")
    assert call(sentry_standin, "GET", RULES).status_code == 200
    assert call(sentry_standin, "GET", "organizations/acme/workflows/").status_code == 404


def test_environment_must_exist_until_a_deploy_or_event_names_it(legacy):
    refused = call(legacy, "POST", RULES, json=email_rule(environment="qa"))
    assert (refused.status_code, refused.json()) == (
        400, {"environment": ["This environment has not been created."]})
    call(legacy, "POST", "organizations/acme/releases/", json={"version": "w@1",
                                                                "projects": ["web"]})
    call(legacy, "POST", "organizations/acme/releases/w@1/deploys/", json={"environment": "qa"})
    assert create(legacy, email_rule(environment="qa"))["environment"] == "qa"
    event = {"event_id": "e" * 32, "environment": "canary", "message": "x"}
    envelope = "\n".join(json.dumps(part) for part in (
        {"event_id": "e" * 32}, {"type": "event"}, event)).encode()
    requests.post(f"{legacy.url}/api/4501/envelope/?sentry_key={WEB_KEY}", data=envelope,
                  timeout=10)
    assert create(legacy, email_rule("canary", environment="canary"))["environment"] == "canary"
    names = [e["name"] for e in call(legacy, "GET", "organizations/acme/environments/").json()]
    assert names == ["production", "staging", "qa", "canary"]


def test_environment_list_visibility(legacy):
    listed = call(legacy, "GET", "organizations/acme/environments/").json()
    assert listed == [{"id": "1", "name": "production"}, {"id": "2", "name": "staging"}]
    path = "organizations/acme/environments/"
    assert call(legacy, "GET", path, params={"visibility": "hidden"}).json() == []
    assert call(legacy, "GET", path, params={"visibility": "odd"}).status_code == 400
