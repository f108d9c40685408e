#!/usr/bin/python
"""Manage one Sentry email alert rule, on the same code as sentry_alert_rules."""

from __future__ import annotations

import json
from typing import Any

from ansible.module_utils.sentry_alert_plan import SCOPES, Declared, Options, declare, sync
from ansible.module_utils.sentry_api import InputError
from ansible.module_utils.sentry_rule_format import RULE_FIELDS, rule_options
from ansible.module_utils.sentry_runner import argument_spec as full_spec
from ansible.module_utils.sentry_runner import run_module

DOCUMENTATION = r"""
---
module: sentry_alert
short_description: Manage one Sentry email alert rule (workflow or legacy issue-alert rule)
description:
  - Ensures one email alert rule of a Sentry project exists as declared or is absent, or
    (O(state=pruned)) deletes the project's email rules whose names are not in O(keep).
  - The same planning code as M(sentry_alert_rules), for one rule; to manage a project's whole
    set of rules, use M(sentry_alert_rules), which reads the project once for all of them.
version_added: "0.1.0"
author:
  - django-sentry-deploy maintainers
extends_documentation_fragment:
  - sentry_api
  - sentry_project
  - sentry_attributes
  - sentry_alert_rule
options:
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
      - V(pruned) deletes the project's rules in O(exclusive_scope) whose names are not
        listed in O(keep).
    type: str
    choices: [present, absent, pruned]
    default: present
  name:
    description: Rule name, unique within the project. Required unless O(state=pruned).
    type: str
    required: false
  keep:
    description:
      - With O(state=pruned), the names of the rules to keep.
      - An empty list keeps none, and is refused unless O(confirm_delete_all=true). On the
        command line, C(keep=[]) is read as that empty list, not as a rule named C([]).
    type: list
    elements: str
  exclusive_scope:
    description:
      - With O(state=pruned), which rules may be deleted. V(email) only rules whose actions
        are all email notifications; V(all) any rule.
    type: str
    choices: [email, all]
    default: email
  confirm_delete_all:
    description: Allow O(state=pruned) with an empty O(keep) to delete every rule in scope.
    type: bool
    default: false
notes:
  - A workflow also connected to another project's monitor is never changed or deleted.
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

- name: Delete the project's email rules that are not these
  sentry_alert:
    api_token: "{{ vault_sentry_api_token }}"
    org: acme
    project: web
    state: pruned
    keep: [New issue in production, Error storm]
"""

RETURN = r"""
applied:
  description:
    - The writes that were made, in the order they were made (C(action) is C(create),
      C(update), C(rename) or C(delete)). Also returned when the run failed half-way, so it
      says what the failed run did; a re-run finishes the job.
    - Creates, updates and renames come before deletes, so a failed run never leaves the
      project with fewer rules than it had. On legacy Sentry, which refuses a rule equal but
      for its name to another, a rule that is deleted anyway may go first, and two rules that
      swap contents pass through an interim frequency.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: Error storm, action: update, id: "17"}
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
  choices: [created, updated, renamed, deleted, unchanged, absent, skipped, pruned]
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
left_alone:
  description:
    - Names of the undeclared rules O(state=pruned) left alone, with the reason.
    - Not called C(skipped), which Ansible would take for a skipped task.
  returned: with O(state=pruned)
  type: list
  elements: dict
"""

ACTIONS = {"create": "created", "update": "updated", "rename": "renamed", "delete": "deleted",
           "unchanged": "unchanged", "skip": "skipped"}


def options() -> dict[str, Any]:
    spec = rule_options()
    spec["name"] = {"type": "str"}
    spec["state"] = {"type": "str", "choices": ["present", "absent", "pruned"],
                     "default": "present"}
    spec.update(
        project={"type": "str", "required": True},
        api={"type": "str", "choices": ["auto", "workflows", "rules"], "default": "auto"},
        keep={"type": "list", "elements": "str"},
        exclusive_scope={"type": "str", "choices": list(SCOPES), "default": "email"},
        confirm_delete_all={"type": "bool", "default": False},
    )
    return spec


def argument_spec() -> dict[str, Any]:
    return full_spec(options())


def declared(params: dict[str, Any]) -> list[Declared]:
    if params["state"] == "pruned":
        return [Declared(name, "keep") for name in keep_names(params["keep"])]
    return declare([{key: params[key] for key in RULE_FIELDS}])


def keep_names(keep: list[str]) -> list[str]:
    """The names of O(keep). On the command line (C(-a 'keep=[]')) a list arrives as the text
    of one, which Ansible makes a list of that one text: it is read as the list it means."""
    if len(keep) == 1 and keep[0].strip().startswith("["):
        try:
            parsed = json.loads(keep[0])
        except ValueError:
            raise InputError("keep must be a list of rule names; write it as YAML or JSON "
                             "(keep=[] is an empty list)") from None
        if not isinstance(parsed, list) or not all(isinstance(n, str) for n in parsed):
            raise InputError("keep must be a list of rule names")
        keep = parsed
    return [name.strip() for name in keep]


def work(module: Any, client: Any) -> dict[str, Any]:
    params = module.params
    pruned = params["state"] == "pruned"
    choice = Options(pruned, params["exclusive_scope"], params["confirm_delete_all"])
    result = sync(client, params["org"], params["project"], params["api"], declared(params),
                  choice, module.check_mode)
    plan = result.pop("rules")
    result.pop("summary")
    if pruned:
        result.update(
            action="pruned",
            deleted=sorted(r["name"] for r in plan if r["action"] == "delete"),
            left_alone=[{"name": r["name"], "reason": r["reason"]} for r in plan
                        if r["action"] == "skip"],
        )
        return result
    [entry] = plan
    action = ACTIONS[entry["action"]]
    if action == "unchanged" and params["state"] == "absent":
        action = "absent"
    diffs = result.pop("diff")
    result.update(action=action, id=entry["id"], name=entry["name"],
                  diff=diffs[0] if diffs else {"before": {}, "after": {}})
    return result


def main() -> None:
    run_module(
        options(), work, slugs=("project",), before=lambda m: declared(m.params),
        required_if=[
            ("state", "present", ("name", "when", "email")),
            ("state", "absent", ("name",)),
            ("state", "pruned", ("keep",)),
        ],
    )


if __name__ == "__main__":
    main()
