"""playbooks/sentry_alerts.yml run by ansible-playbook against the stand-in: error paths,
check mode, retries, and the API token never showing in the output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sentry_harness import ROOT

PLAYBOOK = ROOT / "playbooks" / "sentry_alerts.yml"
RULES = [
    {
        "name": "New issue in production",
        "environment": "production",
        "when": ["first_seen"],
        "email": {"to": "issue_owners"},
    },
    {
        "name": "Error storm",
        "when": [{"event_frequency": {"value": 100, "interval": "1h"}}],
        "filters": [{"level": {"match": "gte", "level": "error"}}],
        "email": {"to": "team", "team": "backend"},
    },
]


def playbook(
    standin: Any,
    tmp_path: Path,
    rules: list[dict[str, Any]] | None = None,
    token: str = "sntrys_test_full",
    *options: str,
    **variables: Any,
) -> subprocess.CompletedProcess[str]:
    """Run the playbook with its own inventory (localhost only) and the given role vars."""
    (tmp_path / "hosts").write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"
    )
    values = {
        "sentry_api_url": standin.url,
        "vault_sentry_api_token": token,
        "sentry_api_token": "{{ vault_sentry_api_token }}",
        "sentry_org": "acme",
        "sentry_project": "web",
        "sentry_alert_rules": RULES if rules is None else rules,
        **variables,
    }
    # A variable given as None is left out, as if the inventory did not set it.
    values = {name: value for name, value in values.items() if value is not None}
    (tmp_path / "vars.yml").write_text(yaml.safe_dump(values))
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0"}
    command = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        str(tmp_path / "hosts"),
        "-e",
        f"@{tmp_path / 'vars.yml'}",
        *options,
        str(PLAYBOOK),
    ]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert token not in result.stdout + result.stderr, "the API token leaked into the output"
    return result


def writes(standin: Any) -> list[tuple[str, str, int]]:
    """Every write request the stand-in received, refused ones included."""
    requests = standin.requests()
    return [(r["method"], r["path"], r["status"]) for r in requests if r["method"] != "GET"]


def nothing_stored(standin: Any) -> bool:
    state = standin.state()
    return state["workflows"] == [] and state["rules"] == []


@pytest.fixture(params=["current", "legacy"])
def standin(request: pytest.FixtureRequest, make_sentry_standin: Any) -> Any:
    """A stand-in of each API, for the runs whose requests differ between the two."""
    return make_sentry_standin(mode=request.param, page_size=2)


@pytest.fixture
def current(make_sentry_standin: Any) -> Any:
    """A current-API stand-in, for error paths that do not depend on the API (the module
    tests run those on both)."""
    return make_sentry_standin(mode="current", page_size=2)


def test_converge_then_idempotent_with_vvv(standin: Any, tmp_path: Path) -> None:
    first = playbook(standin, tmp_path, None, "sntrys_test_full", "-vvv")
    assert first.returncode == 0, first.stdout
    api = "workflows" if standin.mode == "current" else "rules"
    assert f"New issue in production: create (API: {api})" in first.stdout
    assert "Error storm: create" in first.stdout
    assert len(writes(standin)) == 2

    before = len(standin.requests())
    second = playbook(standin, tmp_path)
    assert second.returncode == 0, second.stdout
    assert "changed=0" in second.stdout
    assert "Error storm: unchanged" in second.stdout
    assert len(standin.requests()) - before <= 6
    assert [r for r in standin.requests()[before:] if r["method"] != "GET"] == []


def test_check_diff_shows_the_change_and_writes_nothing(standin: Any, tmp_path: Path) -> None:
    result = playbook(standin, tmp_path, None, "sntrys_test_full", "--check", "--diff")
    assert result.returncode == 0, result.stdout
    assert "--- before" in result.stdout and "+++ after" in result.stdout
    assert "+    name: Error storm" in result.stdout
    assert "New issue in production: create" in result.stdout
    assert writes(standin) == []
    assert nothing_stored(standin)


def test_exclusive_deletes_only_undeclared_and_absent_removes_one(
    standin: Any, tmp_path: Path
) -> None:
    extra = {"name": "Undeclared", "when": ["regression"], "email": {"to": "issue_owners"}}
    assert playbook(standin, tmp_path, [*RULES, extra]).returncode == 0
    retire = [RULES[0], {"name": "Error storm", "state": "absent"}]
    result = playbook(standin, tmp_path, retire, "sntrys_test_full", sentry_alerts_exclusive=True)
    assert result.returncode == 0, result.stdout
    assert "Undeclared: delete" in result.stdout and "Error storm: delete" in result.stdout
    state = standin.state()
    names = [r["name"] for r in state["workflows"] + state["rules"]]
    assert names == ["New issue in production"]


@pytest.mark.parametrize(
    ("token", "variables", "message", "refused"),
    [
        ("sntrys_not_a_valid_token", {}, "HTTP 401: Invalid token", []),
        # A token without alerts:write can read, so its first write is tried and refused.
        ("sntrys_test_noalerts", {}, "HTTP 403",
         [("POST", "/api/0/organizations/acme/workflows/", 403)]),
        ("sntrys_test_full", {"sentry_project": "nope"}, "GET /api/0/projects/acme/nope/", []),
    ],
    ids=["bad-token", "missing-scope", "unknown-project"],
)
def test_api_errors_stop_before_any_write(
    current: Any, tmp_path: Path, token: str, variables: dict[str, Any], message: str,
    refused: list[tuple[str, str, int]],
) -> None:
    result = playbook(current, tmp_path, None, token, **variables)
    assert result.returncode != 0
    assert message in result.stdout
    assert writes(current) == refused
    assert nothing_stored(current)


@pytest.mark.parametrize(
    ("bad_rule", "message"),
    [
        (
            {"name": "Bad team", "when": ["first_seen"], "email": {"to": "team", "team": "nobody"}},
            "unknown team 'nobody' in organization 'acme'",
        ),
        (
            {
                "name": "Bad member",
                "when": ["first_seen"],
                "email": {"to": "member", "member": "eve@example.com"},
            },
            "unknown member 'eve@example.com' in organization 'acme'",
        ),
        (
            {"name": "Bad condition", "when": ["on_fire"], "email": {"to": "issue_owners"}},
            "unknown condition 'on_fire' in when",
        ),
        (
            {
                "name": "Too often",
                "when": ["first_seen"],
                "email": {"to": "issue_owners"},
                "frequency": 1,
            },
            "frequency must be between 5 and 43200, got 1",
        ),
        (
            {"name": "No team", "when": ["first_seen"], "email": {"to": "team"}},
            "email.to is team but email.team is not set",
        ),
        (
            {"name": "Bad target", "when": ["first_seen"], "email": {"to": "everyone"}},
            "value of to must be one of: issue_owners, team, member",
        ),
    ],
    ids=["unknown-team", "unknown-member", "unknown-condition", "frequency", "team-missing", "to"],
)
def test_a_bad_rule_anywhere_means_nothing_is_written(
    current: Any, tmp_path: Path, bad_rule: dict[str, Any], message: str
) -> None:
    result = playbook(current, tmp_path, [*RULES, bad_rule])
    assert result.returncode != 0
    assert message in result.stdout
    assert writes(current) == []


def test_rate_limited_then_success(current: Any, tmp_path: Path) -> None:
    current.add_fault(method="POST", path=".*", count=1, status=429, retry_after=1)
    result = playbook(current, tmp_path)
    assert result.returncode == 0, result.stdout
    assert [status for _, _, status in writes(current)] == [429, 201, 201]
    assert len(current.state()["workflows"]) == 2


def test_persistent_5xx_is_a_clear_failure_after_bounded_retries(
    current: Any, tmp_path: Path
) -> None:
    current.add_fault(method="GET", path=".*", count=1000, status=503)
    result = playbook(current, tmp_path, RULES[:1])
    assert result.returncode != 0
    assert "HTTP 503" in result.stdout and "gave up after 4 attempts" in result.stdout
    assert len(current.requests()) == 4
    assert writes(current) == []


def test_failure_output_at_vvv_never_shows_the_token(
    make_sentry_standin: Any, tmp_path: Path
) -> None:
    standin = make_sentry_standin()
    standin.add_fault(method="POST", path=".*", count=1000, status=502)
    token = "sntrys_test_full"
    result = playbook(standin, tmp_path, None, token, "-vvv", sentry_alerts_api_retries=0)
    assert result.returncode != 0 and "HTTP 502" in result.stdout
    # the playbook() helper already asserted the token is absent; make sure the output is rich
    assert "module_args" in result.stdout or "invocation" in result.stdout
    assert json.dumps("VALUE_SPECIFIED_IN_NO_LOG_PARAMETER")[1:-1] in result.stdout


def test_role_argument_check_at_vvv_never_shows_the_token(current: Any, tmp_path: Path) -> None:
    bad = [{"name": "Bad", "when": ["first_seen"], "email": {"to": "everyone"}, "frequency": "x"}]
    result = playbook(current, tmp_path, bad, "sntrys_test_full", "-vvv")
    assert result.returncode != 0
    assert "Validation of arguments failed" in result.stdout
    assert current.requests() == []


@pytest.mark.parametrize("missing", ["sentry_org", "sentry_project", "sentry_api_token"])
def test_a_value_only_the_user_knows_has_no_default(
    current: Any, tmp_path: Path, missing: str
) -> None:
    result = playbook(current, tmp_path, None, "sntrys_test_full", **{missing: None})
    assert result.returncode != 0
    assert f"missing required arguments: {missing}" in result.stdout
    assert current.requests() == []


def test_a_misspelled_rule_list_deletes_nothing(current: Any, tmp_path: Path) -> None:
    assert playbook(current, tmp_path).returncode == 0
    mark = len(current.requests())
    result = playbook(
        current, tmp_path, None, "sntrys_test_full", sentry_alerts_exclusive=True,
        sentry_alert_rules=None, sentry_alerts_rules=RULES,
    )
    assert result.returncode != 0
    assert "missing required arguments: sentry_alert_rules" in result.stdout
    assert current.requests()[mark:] == []
    assert len(current.state()["workflows"]) == 2


@pytest.mark.parametrize("options", [(), ("--check",)], ids=["apply", "check"])
def test_exclusive_with_an_empty_list_is_refused(
    current: Any, tmp_path: Path, options: tuple[str, ...]
) -> None:
    assert playbook(current, tmp_path).returncode == 0
    mark = len(current.requests())
    result = playbook(current, tmp_path, [], "sntrys_test_full", *options,
                      sentry_alerts_exclusive=True)
    assert result.returncode != 0
    assert "would delete all 2 alert rules" in result.stdout
    assert [r for r in current.requests()[mark:] if r["method"] != "GET"] == []
    assert len(current.state()["workflows"]) == 2
