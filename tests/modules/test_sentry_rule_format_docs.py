"""The rule format is documented once (plugins/doc_fragments/sentry_alert_rule.py): the
modules' argument specs and the role's argument_specs must say the same."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import yaml
from ansible.module_utils.sentry_rule_format import rule_options
from sentry_harness import ROOT

sys.path.insert(0, str(ROOT / "plugins" / "doc_fragments"))
fragment = importlib.import_module("sentry_alert_rule")

DOCUMENTED = yaml.safe_load(fragment.RULE_FIELDS)


def as_role_spec(documented: dict[str, Any]) -> dict[str, Any]:
    """Module documentation says `suboptions`, role argument specs say `options`."""
    spec = {}
    for name, option in documented.items():
        item = {k: v for k, v in option.items() if k != "suboptions"}
        if "suboptions" in option:
            item["options"] = as_role_spec(option["suboptions"])
        spec[name] = item
    return spec


def strip(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {
            **{k: v for k, v in option.items() if k not in ("description", "options")},
            **({"options": strip(option["options"])} if "options" in option else {}),
        }
        for name, option in spec.items()
    }


def test_the_role_argument_specs_carry_the_documented_rule_format() -> None:
    specs = yaml.safe_load((ROOT / "roles/sentry_alerts/meta/argument_specs.yml").read_text())
    rules = specs["argument_specs"]["main"]["options"]["sentry_alert_rules"]
    assert rules["options"] == as_role_spec(DOCUMENTED)


def test_the_module_argument_spec_is_the_documented_rule_format() -> None:
    assert strip(rule_options()) == strip(as_role_spec(DOCUMENTED))


def test_both_module_docs_come_from_the_fragment() -> None:
    top = yaml.safe_load(fragment.ModuleDocFragment.DOCUMENTATION)["options"]
    nested = yaml.safe_load(fragment.ModuleDocFragment.RULES)["options"]["rules"]["suboptions"]
    assert top == nested == DOCUMENTED


def test_the_role_defaults_do_not_repeat_the_format() -> None:
    defaults = (ROOT / "roles/sentry_alerts/defaults/main.yml").read_text()
    assert "event_frequency" not in defaults
    assert "ansible-doc -M library sentry_alert_rules" in defaults
