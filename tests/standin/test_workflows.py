"""Current mode: Monitors (detectors) and Alerts (workflows), shapes, CRUD and validation."""

from __future__ import annotations

import pytest
from standin_fields import DETECTOR, NOT_FOUND, WORKFLOW, call, email_workflow, missing

WORKFLOWS = "organizations/acme/workflows/"


def create(standin, body):
    response = call(standin, "POST", WORKFLOWS, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_issue_stream_detector_per_project(sentry_standin):
    response = call(sentry_standin, "GET", "organizations/acme/detectors/",
                    params={"project": "4501", "query": "type:issue_stream"})
    assert response.status_code == 200
    detectors = response.json()
    assert [d["id"] for d in detectors] == ["5001"]
    assert missing(DETECTOR, detectors[0]) == set()
    assert (detectors[0]["projectId"], detectors[0]["type"]) == ("4501", "issue_stream")
    by_slug = call(sentry_standin, "GET", "organizations/acme/detectors/",
                   params={"project": "api", "query": "type:issue_stream"}).json()
    assert [d["id"] for d in by_slug] == ["5003"]
    errors = call(sentry_standin, "GET", "organizations/acme/detectors/",
                  params={"project": "4501", "query": "type:error"}).json()
    assert [d["type"] for d in errors] == ["error"]


def test_detector_filters_refuse_bad_input(sentry_standin):
    path = "organizations/acme/detectors/"
    assert call(sentry_standin, "GET", path, params={"project": "999"}).status_code == 403
    assert call(sentry_standin, "GET", path, params={"query": "colour:red"}).status_code == 400
    assert call(sentry_standin, "GET", path, params={"sortBy": "height"}).status_code == 400
    assert call(sentry_standin, "GET", path + "5001/").json()["type"] == "issue_stream"
    assert call(sentry_standin, "GET", path + "999/").status_code == 404


def test_create_returns_sentry_shape(sentry_standin):
    workflow = create(sentry_standin, email_workflow(owner="user:9001"))
    assert missing(WORKFLOW, workflow) == set()
    assert isinstance(workflow["id"], str)
    assert workflow["detectorIds"] == ["5001"]
    assert workflow["organizationId"] == "1"
    assert workflow["enabled"] is True
    assert workflow["config"] == {"frequency": 30}
    assert workflow["environment"] == "production"
    assert workflow["owner"] == "user:9001"
    assert workflow["triggers"]["logicType"] == "any-short"
    assert [c["type"] for c in workflow["triggers"]["conditions"]] == [
        "first_seen_event", "regression_event"]
    for condition in workflow["triggers"]["conditions"]:
        assert {"id", "type", "comparison", "conditionResult"} <= condition.keys()
    group = workflow["actionFilters"][0]
    assert group["logicType"] == "all"
    assert group["conditions"][0]["comparison"] == {"value": 10, "interval": "1h"}
    action = group["actions"][0]
    assert {"id", "type", "integrationId", "data", "config", "status"} <= action.keys()
    assert action["config"] == {"targetType": "user", "targetDisplay": None,
                                "targetIdentifier": "9001"}


def test_snake_case_request_keys_are_accepted(sentry_standin):
    camel = create(sentry_standin, email_workflow("camel"))
    body = email_workflow("snake")
    body["detector_ids"] = body.pop("detectorIds")
    body["action_filters"] = body.pop("actionFilters")
    body["triggers"] = {"logic_type": "any-short",
                        "conditions": body["triggers"]["conditions"]}
    snake = create(sentry_standin, body)
    assert snake["detectorIds"] == camel["detectorIds"]
    assert snake["triggers"]["logicType"] == camel["triggers"]["logicType"]
    assert len(snake["actionFilters"]) == 1


def test_detector_lists_connected_workflows(sentry_standin):
    workflow = create(sentry_standin, email_workflow())
    detector = call(sentry_standin, "GET", "organizations/acme/detectors/5001/").json()
    assert detector["workflowIds"] == [workflow["id"]]


def test_get_update_delete(sentry_standin):
    workflow = create(sentry_standin, email_workflow())
    path = f"{WORKFLOWS}{workflow['id']}/"
    assert call(sentry_standin, "GET", path).json() == workflow
    changed = call(sentry_standin, "PUT", path,
                   json=email_workflow("Renamed", enabled=False, config={"frequency": 60}))
    assert changed.status_code == 200
    assert changed.json()["id"] == workflow["id"]
    assert (changed.json()["name"], changed.json()["enabled"]) == ("Renamed", False)
    assert changed.json()["config"] == {"frequency": 60}
    assert call(sentry_standin, "GET", path).json()["name"] == "Renamed"
    deleted = call(sentry_standin, "DELETE", path)
    assert (deleted.status_code, deleted.content) == (204, b"")
    gone = call(sentry_standin, "GET", path)
    assert (gone.status_code, gone.json()) == (404, NOT_FOUND)
    assert call(sentry_standin, "DELETE", path).status_code == 404


def test_list_filters_by_project_and_id(sentry_standin):
    web = create(sentry_standin, email_workflow("web alert"))
    api = create(sentry_standin, email_workflow("api alert", detectorIds=[5003]))
    for project, expected in (("4501", web), ("web", web), ("api", api)):
        listed = call(sentry_standin, "GET", WORKFLOWS, params={"project": project}).json()
        assert [w["id"] for w in listed] == [expected["id"]]
    by_id = call(sentry_standin, "GET", WORKFLOWS, params={"id": api["id"]}).json()
    assert [w["name"] for w in by_id] == ["api alert"]
    by_name = call(sentry_standin, "GET", WORKFLOWS, params={"query": "web"}).json()
    assert [w["id"] for w in by_name] == [web["id"]]
    by_action = call(sentry_standin, "GET", WORKFLOWS, params={"query": "action:email"})
    assert len(by_action.json()) == 2
    assert call(sentry_standin, "GET", WORKFLOWS, params={"query": "action:slack"}).json() == []
    assert call(sentry_standin, "GET", WORKFLOWS, params={"query": "x:y"}).status_code == 400


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 257}, "name"),
        ({"enabled": "yes"}, "enabled"),
        ({"detectorIds": [999]}, "detectorIds"),
        ({"detectorIds": ["abc"]}, "detectorIds"),
        ({"config": {"frequency": -1}}, "config"),
        ({"config": {"often": 5}}, "config"),
        ({"owner": "user:3001"}, "owner"),
        ({"owner": "someone"}, "owner"),
        ({"triggers": {"conditions": []}}, "triggers"),
        ({"triggers": {"logicType": "most"}}, "triggers"),
        ({"triggers": {"logicType": "any", "conditions": [{"type": "sunrise"}]}}, "triggers"),
        ({"triggers": {"logicType": "any", "conditions": [
            {"type": "first_seen_event", "comparison": 1, "conditionResult": True}]}},
         "triggers"),
        ({"actionFilters": [{"logicType": "sometimes"}]}, "actionFilters"),
        ({"actionFilters": [{"logicType": "all", "conditions": [
            {"type": "event_frequency_count", "comparison": {"value": 5, "interval": "2h"},
             "conditionResult": True}]}]}, "actionFilters"),
        ({"actionFilters": [{"logicType": "all", "actions": [{"type": "carrier_pigeon"}]}]},
         "actionFilters"),
        ({"actionFilters": [{"logicType": "all", "actions": [
            {"type": "email", "config": {"targetType": "issue_owners"}}]}]}, "actionFilters"),
    ],
)
def test_invalid_bodies_are_refused_and_nothing_is_stored(sentry_standin, change, field):
    body = email_workflow()
    if change.get("name", "") is None:
        del body["name"]
        change = {}
    body.update(change)
    response = call(sentry_standin, "POST", WORKFLOWS, json=body)
    assert response.status_code == 400
    assert field in response.json()
    assert sentry_standin.state()["workflows"] == []


@pytest.mark.parametrize(
    "config",
    [
        {"targetType": "user", "targetIdentifier": "3001"},  # an org-member id, not a user id
        {"targetType": "user", "targetIdentifier": ""},
        {"targetType": "team", "targetIdentifier": "backend"},
        {"targetType": "team", "targetIdentifier": "9999"},
        {"targetType": "everyone", "targetIdentifier": None},
    ],
)
def test_email_action_targets_must_exist(sentry_standin, config):
    body = email_workflow()
    body["actionFilters"][0]["actions"][0]["config"] = dict(config, targetDisplay=None)
    response = call(sentry_standin, "POST", WORKFLOWS, json=body)
    assert response.status_code == 400
    assert "actionFilters" in response.json()


def test_email_to_team_and_issue_owners(sentry_standin):
    body = email_workflow()
    body["actionFilters"][0]["actions"] = [
        {"type": "email", "integrationId": None, "data": {},
         "config": {"targetType": "team", "targetDisplay": None, "targetIdentifier": "2001"},
         "status": "active"},
        {"type": "email", "integrationId": None, "data": {"fallthroughType": "ActiveMembers"},
         "config": {"targetType": "issue_owners", "targetDisplay": None,
                    "targetIdentifier": ""},
         "status": "active"},
    ]
    actions = create(sentry_standin, body)["actionFilters"][0]["actions"]
    assert [a["config"]["targetType"] for a in actions] == ["team", "issue_owners"]
    assert actions[1]["data"] == {"fallthroughType": "ActiveMembers"}
    body["actionFilters"][0]["actions"][1]["data"] = {"fallthroughType": "Somebody"}
    assert call(sentry_standin, "POST", WORKFLOWS, json=body).status_code == 400


def test_update_validates_before_writing(sentry_standin):
    workflow = create(sentry_standin, email_workflow())
    path = f"{WORKFLOWS}{workflow['id']}/"
    response = call(sentry_standin, "PUT", path, json=email_workflow(detectorIds=[42]))
    assert response.status_code == 400
    assert call(sentry_standin, "GET", path).json() == workflow


def test_legacy_mode_has_no_workflows_or_detectors(make_sentry_standin):
    standin = make_sentry_standin(mode="legacy")
    for path in (WORKFLOWS, "organizations/acme/detectors/"):
        response = call(standin, "GET", path)
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
    assert call(standin, "POST", WORKFLOWS, json=email_workflow()).status_code == 404


def test_update_keeps_the_ids_it_is_given(sentry_standin):
    workflow = create(sentry_standin, email_workflow())
    path = f"{WORKFLOWS}{workflow['id']}/"
    echoed = call(sentry_standin, "PUT", path, json=dict(workflow, name="Echoed")).json()
    assert echoed["actionFilters"] == workflow["actionFilters"]
    assert echoed["triggers"] == workflow["triggers"]
    fresh = call(sentry_standin, "PUT", path, json=email_workflow()).json()
    old_action = workflow["actionFilters"][0]["actions"][0]["id"]
    assert fresh["actionFilters"][0]["actions"][0]["id"] != old_action
    assert fresh["triggers"]["id"] == workflow["triggers"]["id"]


def test_update_refuses_ids_of_another_workflow(sentry_standin):
    first = create(sentry_standin, email_workflow("first"))
    second = create(sentry_standin, email_workflow("second"))
    body = dict(second, actionFilters=first["actionFilters"])
    response = call(sentry_standin, "PUT", f"{WORKFLOWS}{second['id']}/", json=body)
    assert response.status_code == 400
    assert "does not belong to this workflow" in response.json()["actionFilters"][0]
    stored = call(sentry_standin, "GET", f"{WORKFLOWS}{second['id']}/").json()
    assert stored == second


def test_action_filter_needs_actions_key(sentry_standin):
    body = email_workflow(actionFilters=[{"logicType": "all", "conditions": []}])
    response = call(sentry_standin, "POST", WORKFLOWS, json=body)
    assert (response.status_code, response.json()) == (
        400, {"actionFilters": ["Missing actions key in action filter"]})
