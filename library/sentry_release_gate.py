#!/usr/bin/python
"""Judge a canary release by what Sentry saw of it, against the release it replaced."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.release_gate import check, gate, plan
from ansible.module_utils.sentry_api import SentryClient
from ansible.module_utils.sentry_runner import argument_spec as full_spec
from ansible.module_utils.sentry_runner import run_module

DOCUMENTATION = r"""
---
module: sentry_release_gate
short_description: Judge a canary release by what Sentry saw, against the release it replaced
description:
  - After the first hosts (the canary) switched from release O(baseline) to O(release) at
    O(since), waits until O(window) seconds after O(since), asks Sentry what it saw in
    O(environment) and decides whether the release passes. Runs on the controller; changes
    nothing.
  - "Rule C(new_issues): fail when more than O(max_new_issues) issues were first seen in
    O(release) since O(since)."
  - "Rule C(error_rate): error events per session (one session per request) of O(release)
    since O(since) against those of O(baseline); fail when the release's rate is above
    C(max(max_error_ratio * baseline rate, error_rate_floor)). Fewer than O(min_requests)
    sessions of the release is too little data."
  - Sessions come from release health, which Sentry counts in whole hours; the baseline is
    judged over the hours the answer covers (a longer baseline is a better one). Error events
    are counted only up to O(sessions_delay) seconds before each look, as the SDK sends
    sessions later than errors.
  - A server without the events or sessions API (older self-hosted Sentry answers 404) is
    judged by the new issues alone, and the lines say so.
  - Too little data is decided by O(insufficient); a Sentry that cannot be read (another
    error, no answer, an answer of the wrong shape) is the decision C(unavailable), decided by
    O(unavailable). Neither fails the task; the play acts on RV(passed).
  - In check mode no request is made and only RV(plan) is returned.
version_added: "0.4.0"
author:
  - django-sentry-deploy maintainers
extends_documentation_fragment:
  - sentry_api
  - sentry_project
  - sentry_attributes
options:
  api_deadline:
    description:
      - Seconds the whole module run may spend, the waits for O(window) and O(max_window)
        included. Must be more than O(max_window).
    type: float
    default: 600
  environment:
    description: Sentry environment the canary reports to, for example V(production).
    type: str
    required: true
  release:
    description:
      - The new release, as Sentry names it, for example V(web@2.1.0).
      - Sentry's rules apply (up to 200 characters, no C(/), C(\\) or control characters, not
        V(.), V(..) or V(latest)), and no C(") since it goes into search queries.
    type: str
    required: true
  baseline:
    description: The release it replaced, with the same rules as O(release).
    type: str
    required: true
  since:
    description: When the canary took traffic, ISO 8601 with its zone, for example
      V(2026-12-06T23:10:04Z).
    type: str
    required: true
  window:
    description: Seconds after O(since) before the first look.
    type: float
    default: 120
  max_window:
    description: While there is too little data and O(insufficient=wait), look again until
      this many seconds after O(since). At least O(window).
    type: float
    default: 300
  interval:
    description: Seconds between two looks.
    type: float
    default: 10
  sessions_delay:
    description: Seconds sessions may reach Sentry after the requests they count.
    type: float
    default: 15
  max_new_issues:
    description: How many issues first seen in O(release) are allowed.
    type: int
    default: 0
  max_error_ratio:
    description: How many times the baseline's error rate the release may have (1 or more).
    type: float
    default: 2.0
  error_rate_floor:
    description: Error rate (0 up to 1) the release may always have, for example V(0.02) for
      2%, so a near-perfect baseline does not make a tiny rate fail.
    type: float
    default: 0.02
  min_requests:
    description: Sessions of O(release) needed to judge its error rate.
    type: int
    default: 100
  insufficient:
    description: Decision on too little data for the error rate. V(wait) looks again every
      O(interval) seconds until O(max_window), then goes on with the rules that could be
      judged (the new issues), so a quiet site is not refused every deploy; V(pass) does so at
      once; V(fail) fails.
    type: str
    choices: [wait, pass, fail]
    default: wait
  unavailable:
    description: Decision when Sentry cannot be read.
    type: str
    choices: [fail, pass]
    default: fail
"""

EXAMPLES = r"""
- name: Judge the canary by what Sentry saw
  sentry_release_gate:
    api_url: https://sentry.example.com
    api_token: "{{ vault_sentry_api_token }}"
    org: acme
    project: web
    environment: production
    release: web@2.1.0
    baseline: web@2.0.0
    since: "{{ canary_switched_at }}"
  register: canary_gate

- name: Show what Sentry saw
  ansible.builtin.debug:
    msg: "{{ canary_gate.lines }}"
"""

RETURN = r"""
decision:
  description: C(pass), C(fail), C(insufficient) (too little data) or C(unavailable).
  returned: success, not in check mode
  type: str
  sample: fail
passed:
  description: The verdict after O(insufficient) and O(unavailable) are applied.
  returned: success, not in check mode
  type: bool
rules:
  description: Each rule as C({name, result, line}) and its numbers; C(result) is C(pass),
    C(fail), C(insufficient) or C(skipped).
  returned: success, not in check mode
  type: list
  elements: dict
  sample:
    - {name: new_issues, result: pass, count: 0, allowed: 0,
       line: "new issues: 0 first seen in web@2.1.0 since 2026-12-06T23:10:04Z (allowed 0): pass"}
lines:
  description: One line per rule and one for the decision, to print.
  returned: success, not in check mode
  type: list
  elements: str
new_issues:
  description: The first issues first seen in the release, as C({short_id, title, permalink,
    count, first_seen}).
  returned: success, not in check mode
  type: list
  elements: dict
capabilities:
  description: Which APIs the server answered, as C({issues, events, sessions}) booleans.
  returned: success, not in check mode
  type: dict
looks:
  description: How many times Sentry was asked.
  returned: success, not in check mode
  type: int
since:
  description: O(since) in UTC.
  returned: success, not in check mode
  type: str
decided_at:
  description: When the decision was made (UTC, ISO 8601).
  returned: success, not in check mode
  type: str
seconds_to_decision:
  description: Seconds from O(since) to the decision.
  returned: success, not in check mode
  type: float
plan:
  description: What the gate does, one line each.
  returned: success
  type: list
  elements: str
"""


def options() -> dict[str, Any]:
    return {
        "api_deadline": {"type": "float", "default": 600.0},
        "project": {"type": "str", "required": True},
        "environment": {"type": "str", "required": True},
        "release": {"type": "str", "required": True},
        "baseline": {"type": "str", "required": True},
        "since": {"type": "str", "required": True},
        "window": {"type": "float", "default": 120.0},
        "max_window": {"type": "float", "default": 300.0},
        "interval": {"type": "float", "default": 10.0},
        "sessions_delay": {"type": "float", "default": 15.0},
        "max_new_issues": {"type": "int", "default": 0},
        "max_error_ratio": {"type": "float", "default": 2.0},
        "error_rate_floor": {"type": "float", "default": 0.02},
        "min_requests": {"type": "int", "default": 100},
        "insufficient": {"type": "str", "default": "wait", "choices": ["wait", "pass", "fail"]},
        "unavailable": {"type": "str", "default": "fail", "choices": ["fail", "pass"]},
    }


def argument_spec() -> dict[str, Any]:
    return full_spec(options())


def work(module: AnsibleModule, client: SentryClient) -> dict[str, Any]:
    if module.check_mode:
        return {"changed": False, "plan": plan(module.params)}
    return gate(client, module.params)


def main() -> None:
    run_module(options(), work, slugs=("project",), before=lambda module: check(module.params))


if __name__ == "__main__":
    main()
