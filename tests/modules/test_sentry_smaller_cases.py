"""The smaller cases: pruning is not reported as skipped, a rate limit can be removed within
the schema, an ad-hoc keep=[] is an empty list, deploy times carry a zone, names are
trimmed, and a playbook at -vvv never shows a token that ends in a newline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sentry_harness import ROOT, run_module

KEYS = "/api/0/projects/acme/web/keys/"


def alert(standin: Any, **overrides: Any) -> dict[str, Any]:
    values = {"api_url": standin.url, "api_token": standin.full_token, "org": "acme",
              "project": "web", "when": ["first_seen"], "email": {"to": "issue_owners"}}
    values.update(overrides)
    return values


def rule_names(standin: Any) -> list[str]:
    return sorted(r["name"] for r in standin.state()["workflows"])


def test_pruning_is_not_reported_as_skipped(sentry_standin: Any) -> None:
    for minutes, name in enumerate(("keep me", "drop me"), start=10):
        run_module("sentry_alert", alert(sentry_standin, name=name, frequency=minutes))
    pruned = run_module("sentry_alert", alert(sentry_standin, state="pruned", keep=["keep me"]))
    # a top-level "skipped" makes Ansible show the task as skipping
    assert "skipped" not in pruned
    assert (pruned["changed"], pruned["deleted"], pruned["left_alone"]) == (
        True, ["drop me"], [])
    assert rule_names(sentry_standin) == ["keep me"]


def test_an_ad_hoc_empty_keep_is_an_empty_list(sentry_standin: Any) -> None:
    run_module("sentry_alert", alert(sentry_standin, name="precious"))
    # `ansible -m sentry_alert -a 'keep=[] ...'` hands the module the text "[]"
    refused = run_module("sentry_alert", alert(sentry_standin, state="pruned", keep="[]"))
    assert refused["failed"] and "confirm_delete_all" in refused["msg"]
    assert rule_names(sentry_standin) == ["precious"]
    listed = run_module("sentry_alert", alert(sentry_standin, state="pruned",
                                              keep='["precious"]'))
    assert (listed["changed"], listed["deleted"]) == (False, [])
    broken = run_module("sentry_alert", alert(sentry_standin, state="pruned", keep="[oops"))
    assert broken["failed"] and broken["msg"].startswith("keep must be a list of rule names")


def test_rule_names_are_trimmed(sentry_standin: Any) -> None:
    def rules(name: str) -> dict[str, Any]:
        return {"api_url": sentry_standin.url, "api_token": sentry_standin.full_token,
                "org": "acme", "project": "web", "rules": [
                    {"name": name, "when": ["first_seen"], "email": {"to": "issue_owners"}}]}

    assert run_module("sentry_alert_rules", rules("  Errors  "))["changed"]
    assert rule_names(sentry_standin) == ["Errors"]
    assert not run_module("sentry_alert_rules", rules("Errors"))["changed"]


def test_a_rate_limit_is_removed_with_what_the_schema_accepts(sentry_standin: Any) -> None:
    key = {"api_url": sentry_standin.url, "api_token": sentry_standin.full_token,
           "org": "acme", "project": "web", "name": "limited"}
    run_module("sentry_client_key", {**key, "rate_limit": {"count": 10, "window": 60}})
    mark = len(sentry_standin.requests())
    removed = run_module("sentry_client_key", {**key, "rate_limit": {}})
    assert not removed.get("failed"), removed.get("msg")
    assert (removed["changed"], removed["rate_limit"]) == (True, None)
    [put] = [r for r in sentry_standin.requests()[mark:] if r["method"] == "PUT"]
    assert put["body"] == {"rateLimit": {"window": None, "count": None}}
    assert not run_module("sentry_client_key", {**key, "rate_limit": {}})["changed"]


@pytest.mark.parametrize("when", ["2026-11-29T10:00:00", "2026-11-29 10:00"])
def test_a_deploy_time_without_a_zone_is_refused(sentry_standin: Any, when: str) -> None:
    result = run_module("sentry_release", {
        "api_url": sentry_standin.url, "api_token": sentry_standin.full_token, "org": "acme",
        "version": "web@2.0.0", "projects": ["web"],
        "deploy": {"environment": "production", "started": when}})
    assert result["failed"]
    assert f"deploy.started must give its time zone (Z or +hh:mm), got {when!r}" in result["msg"]
    assert sentry_standin.requests() == []


def test_a_zoned_deploy_time_is_accepted(sentry_standin: Any) -> None:
    result = run_module("sentry_release", {
        "api_url": sentry_standin.url, "api_token": sentry_standin.full_token, "org": "acme",
        "version": "web@2.0.0", "projects": ["web"],
        "deploy": {"environment": "production", "started": "2026-11-29T10:00:00+01:00"}})
    assert not result.get("failed"), result.get("msg")


PLAY = """---
- name: Use each Sentry module with a token that ends in a newline
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    token: |
      {token}
  tasks:
    - name: Rules
      sentry_alert_rules:
        api_url: "{url}"
        api_token: "{{{{ token }}}}"
        org: acme
        project: web
        rules: [{{name: New issue, when: [first_seen], email: {{to: issue_owners}}}}]
    - name: Key
      sentry_client_key:
        api_url: "{url}"
        api_token: "{{{{ token }}}}"
        org: acme
        project: web
        name: production
    - name: Release
      sentry_release:
        api_url: "{url}"
        api_token: "{{{{ token }}}}"
        org: acme
        version: web@1.0.0
        projects: [web]
    - name: A token that cannot be sent
      sentry_client_key:
        api_url: "{url}"
        api_token: "{{{{ token }}}}-with space"
        org: acme
        project: web
        name: production
      ignore_errors: true
"""


def test_a_playbook_at_high_verbosity_never_shows_the_token(
    sentry_standin: Any, tmp_path: Path
) -> None:
    token = sentry_standin.full_token
    (tmp_path / "play.yml").write_text(PLAY.format(token=token, url=sentry_standin.url))
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-vvv",
         str(tmp_path / "play.yml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "api_token must be one word" in output
    for form in (token, json.dumps(token + "\n")[1:-1], "sntrys_test_full%0A"):
        assert form not in output
