"""The friendly alert rule format: the one place it is documented.

``DOCUMENTATION`` gives a rule's fields as top-level options (sentry_alert), ``RULES`` as the
suboptions of ``rules`` (sentry_alert_rules). The role's meta/argument_specs.yml carries the
same fields for sentry_alert_rules; tests/modules check that all of them agree.
"""

from textwrap import indent

RULE_FIELDS = r"""
name:
  description: Rule name, unique within the project. Rules are matched by name.
  type: str
  required: true
state:
  description:
    - V(present) creates or updates the rule, V(absent) deletes it.
  type: str
  choices: [present, absent]
  default: present
environment:
  description:
    - Only events of this environment trigger the rule. All environments when omitted.
    - The environment must exist in the organization; this is checked before any write.
  type: str
when:
  description:
    - What triggers the rule. Required with O(state=present).
    - Each entry is V(first_seen), V(regression), V(reappeared), or a one-key dict
      C(event_frequency) or C(event_unique_user_frequency) with C(value) (a positive
      integer) and C(interval) (V(1m), V(5m), V(15m), V(1h), V(1d), V(1w) or V(30d)).
  type: list
  elements: raw
match:
  description: How the O(when) conditions combine.
  type: str
  choices: [any, all]
  default: any
filters:
  description:
    - Filters an event must pass. Each entry is a one-key dict, or V(latest_release).
    - C(level) with C(match) (V(eq), V(gte) or V(lte)) and C(level) (V(fatal), V(error),
      V(warning), V(info), V(debug) or V(sample)).
    - C(issue_occurrences) with C(value).
    - C(age_comparison) with C(comparison) (V(older) or V(newer)), C(value) and C(time)
      (V(minute), V(hour), V(day) or V(week)).
    - C(tagged_event) with C(key), C(match) (V(eq), V(ne), V(sw), V(ew), V(co), V(nc),
      V(is) or V(ns)) and C(value).
  type: list
  elements: raw
  default: []
filter_match:
  description: How the O(filters) combine.
  type: str
  choices: [all, any, none]
  default: all
email:
  description:
    - Who gets the email. Required with O(state=present).
    - A team must be attached to the project, and a member must be in a team of the project,
      otherwise nobody would get the email; both are errors before any write.
  type: dict
  suboptions:
    to:
      description: V(issue_owners) (suggested assignees), a V(team) or a V(member).
      type: str
      choices: [issue_owners, team, member]
      required: true
    team:
      description: Team slug, with O(email.to=team).
      type: str
    member:
      description: Member email address, with O(email.to=member).
      type: str
    fallthrough:
      description: Who is notified when there is no suggested assignee.
      type: str
      choices: [active_members, all_members, no_one]
      default: active_members
frequency:
  description: Minutes between two notifications for one issue (5 to 43200).
  type: int
  default: 30
"""


class ModuleDocFragment:
    DOCUMENTATION = "options:" + indent(RULE_FIELDS, "  ")

    RULES = (
        "options:\n"
        "  rules:\n"
        "    description:\n"
        "      - The project's declared alert rules, in the friendly form below.\n"
        "      - Only rules whose O(rules[].when) and O(rules[].filters) mean the same on both\n"
        "        APIs are accepted, so one list applies to either.\n"
        "    type: list\n"
        "    elements: dict\n"
        "    required: true\n"
        "    suboptions:" + indent(RULE_FIELDS, "      ")
    )
