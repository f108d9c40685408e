#!/usr/bin/python
"""Manage the whole set of a Sentry project's email alert rules in one call."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.sentry_alert_plan import SCOPES, Options, declare, sync
from ansible.module_utils.sentry_rule_format import rule_options
from ansible.module_utils.sentry_runner import argument_spec as full_spec
from ansible.module_utils.sentry_runner import run_module

DOCUMENTATION = r"""
---
module: sentry_alert_rules
short_description: Manage a Sentry project's email alert rules as one declared set
description:
  - Reads the project, its issue-stream monitor, environments, the teams and members the rules
    name, and the existing rules once; plans every rule (create, update, rename, delete,
    unchanged, skip) with the exact field diff; checks the whole plan against what Sentry
    accepts; and only then writes.
  - Current Sentry takes each rule as an Alert (a workflow connected to the project's
    issue-stream monitor); older self-hosted Sentry only has legacy issue-alert rules.
    O(api=auto) detects which one the server speaks; the result says which was used.
  - A rule that is not found by name but has the same content as a rule this run deletes is
    renamed in place.
  - A workflow also connected to another project's monitor is never changed or deleted; it is
    reported as skipped.
  - The number of requests of a run that changes nothing does not grow with the number of
    rules, beyond the pages of the rule list.
  - Two runs at once on one project converge. Sentry has no lock, and an advisory marker
    would be left behind by a run that dies, so a run that created rules reads the list again
    and deletes each rule it created (it has the id from the create's answer) that has an
    older namesake. Copies left by a run that died before that check are deleted by the next
    run, which keeps the oldest of several email-only rules with a declared name.
  - Rule names are trimmed of surrounding spaces.
version_added: "0.2.0"
author:
  - django-sentry-deploy maintainers
extends_documentation_fragment:
  - sentry_api
  - sentry_project
  - sentry_attributes
  - sentry_alert_rule.rules
options:
  api:
    description:
      - Which alert API to use. V(auto) uses workflows when the server has the monitors
        (detectors) endpoint, otherwise legacy rules.
    type: str
    choices: [auto, workflows, rules]
    default: auto
  exclusive:
    description:
      - Also delete the project's rules that are not in O(rules), within O(exclusive_scope).
      - With no rule of O(state=present) in O(rules), deleting is refused unless
        O(confirm_delete_all=true).
    type: bool
    default: false
  exclusive_scope:
    description:
      - Which undeclared rules O(exclusive) may delete. V(email) only rules whose actions are
        all email notifications (rules this module could have made); V(all) any rule, Slack or
        PagerDuty ones included.
    type: str
    choices: [email, all]
    default: email
  confirm_delete_all:
    description: Allow O(exclusive) to delete every rule in scope when O(rules) declares none.
    type: bool
    default: false
notes:
  - Check mode returns the plan; diff mode shows one diff per changed rule, of the normalized
    payload of the chosen API.
seealso:
  - module: sentry_alert
"""

EXAMPLES = r"""
- name: Make the web project's email alert rules exactly these
  sentry_alert_rules:
    api_url: https://sentry.example.com
    api_token: "{{ vault_sentry_api_token }}"
    org: acme
    project: web
    exclusive: true
    rules:
      - name: New issue in production
        environment: production
        when: [first_seen]
        email: {to: team, team: backend}
      - name: Error storm
        when:
          - event_frequency: {value: 100, interval: 1h}
        filters:
          - level: {match: gte, level: error}
        email: {to: member, member: alice@example.com}
      - name: Retired rule
        state: absent
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
rules:
  description:
    - The plan, one entry per rule it concerns, in the order declared, then the undeclared
      ones. C(action) is what was done (or would be done in check mode).
    - C(fields) lists the changed fields of an update or rename; C(previous_name) is the name
      before a rename; C(reason) says why a rule was skipped.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: Error storm, action: update, id: "17", fields: [frequency]}
    - name: Slack pager
      action: skip
      id: "9"
      reason: "has actions other than email; exclusive_scope is email"
summary:
  description: How many rules each action concerns.
  returned: always
  type: dict
  sample: {create: 1, update: 1, rename: 0, delete: 0, unchanged: 28, skip: 0}
"""


def options() -> dict[str, Any]:
    return {
        "project": {"type": "str", "required": True},
        "api": {"type": "str", "choices": ["auto", "workflows", "rules"], "default": "auto"},
        "rules": {"type": "list", "elements": "dict", "required": True, "options": rule_options()},
        "exclusive": {"type": "bool", "default": False},
        "exclusive_scope": {"type": "str", "choices": list(SCOPES), "default": "email"},
        "confirm_delete_all": {"type": "bool", "default": False},
    }


def argument_spec() -> dict[str, Any]:
    return full_spec(options())


def main() -> None:
    run_module(options(), work, slugs=("project",), before=lambda m: declare(m.params["rules"]))


def work(module: Any, client: Any) -> dict[str, Any]:
    params = module.params
    choice = Options(params["exclusive"], params["exclusive_scope"], params["confirm_delete_all"])
    declared = declare(params["rules"])
    return sync(client, params["org"], params["project"], params["api"], declared, choice,
                module.check_mode)


if __name__ == "__main__":
    main()
