#!/usr/bin/python
"""Find a Sentry project's error events by one tag (read-only)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.sentry_events import check, find
from ansible.module_utils.sentry_runner import argument_spec as full_spec
from ansible.module_utils.sentry_runner import run_module

DOCUMENTATION = r"""
---
module: sentry_event_info
short_description: Find a Sentry project's error events by one tag
description:
  - Searches the project's error events of the last O(period) for O(tag)=O(value) through
    Sentry's events API, and looks again every O(interval) seconds until O(count) events are
    found or O(wait) seconds have passed (events reach the API a few seconds after they are
    sent). Changes nothing.
  - Every look is bounded by O(api_deadline) as well.
version_added: "0.3.0"
author:
  - django-sentry-deploy maintainers
extends_documentation_fragment:
  - sentry_api
  - sentry_project
  - sentry_attributes
options:
  tag:
    description: Tag key (1 to 32 letters, digits, C(_), C(.), C(:) or C(-)).
    type: str
    required: true
  value:
    description: Tag value (1 to 200 letters, digits or C(_.:@+-)).
    type: str
    required: true
  period:
    description: How far back to search, for example V(1h) or V(7d).
    type: str
    default: 1h
  count:
    description: How many events to wait for.
    type: int
    default: 1
  wait:
    description: Seconds to keep looking; V(0) looks once.
    type: float
    default: 0
  interval:
    description: Seconds between two looks.
    type: float
    default: 5
"""

EXAMPLES = r"""
- name: Wait up to two minutes for the test event
  sentry_event_info:
    api_url: https://sentry.example.com
    api_token: "{{ vault_sentry_api_token }}"
    org: acme
    project: web
    tag: dsn_rotation
    value: "{{ run_id }}-web1"
    wait: 120
  register: found
  failed_when: found.events | length != 1
"""

RETURN = r"""
events:
  description: The events found, as C({id}).
  returned: always
  type: list
  elements: dict
  sample: [{id: 5c2b4e0f9a1d4c3b8e7f6a5b4c3d2e1f}]
project_id:
  description: Numeric id of the project.
  returned: always
  type: str
looks:
  description: How many times the events were searched.
  returned: always
  type: int
"""


def options() -> dict[str, Any]:
    return {
        "project": {"type": "str", "required": True},
        "tag": {"type": "str", "required": True},
        "value": {"type": "str", "required": True},
        "period": {"type": "str", "default": "1h"},
        "count": {"type": "int", "default": 1},
        "wait": {"type": "float", "default": 0},
        "interval": {"type": "float", "default": 5},
    }


def argument_spec() -> dict[str, Any]:
    return full_spec(options())


def main() -> None:
    run_module(options(), lambda module, client: find(client, module.params),
               slugs=("project",), before=lambda module: check(module.params))


if __name__ == "__main__":
    main()
