"""Each role documents its variables once: defaults/main.yml and meta/argument_specs.yml agree.

Every default has an entry in the argument spec with the same default value, every spec
option with a default is in defaults/main.yml, and an option that is required has no
default anywhere (a required option with a default never fails validation).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
# The Sentry connection is shared by the roles and playbooks that talk to Sentry.
SHARED = {
    "sentry_api_url",
    "sentry_api_token",
    "sentry_org",
    "sentry_project",
    "sentry_alert_rules",
}
ROLE_NAMES = sorted(
    p.name for p in ROLES.iterdir() if (p / "meta" / "argument_specs.yml").is_file()
)


def load(role: str) -> tuple[dict, dict]:
    defaults_file = ROLES / role / "defaults" / "main.yml"
    defaults = yaml.safe_load(defaults_file.read_text()) or {} if defaults_file.is_file() else {}
    specs = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())
    options: dict = {}
    for entry_point in specs["argument_specs"].values():
        options.update(entry_point.get("options") or {})
    return defaults, options


def test_every_role_has_an_argument_spec() -> None:
    assert {"docker_engine", "django_app", "sentry_alerts"} <= set(ROLE_NAMES)


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_defaults_and_argument_spec_agree(role: str) -> None:
    defaults, options = load(role)
    missing = sorted(set(defaults) - set(options))
    assert not missing, f"{role}: defaults without an argument spec entry: {missing}"
    for name, value in defaults.items():
        assert options[name].get("default") == value, f"{role}: {name} default differs"
    undocumented = sorted(
        name
        for name, spec in options.items()
        # Another role's variable a role reads (django_app_dir in sentry_dsn) is that role's.
        if "default" in spec and name not in defaults and name.startswith(f"{role}_")
    )
    assert not undocumented, f"{role}: spec defaults missing from defaults/main.yml: {undocumented}"


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_required_options_have_no_default(role: str) -> None:
    defaults, options = load(role)
    both = sorted(
        name
        for name, spec in options.items()
        if spec.get("required") and ("default" in spec or name in defaults)
    )
    assert not both, f"{role}: required options with a default: {both}"


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_every_default_is_prefixed_with_the_role_name(role: str) -> None:
    defaults, _ = load(role)
    assert [n for n in defaults if not n.startswith(f"{role}_") and n not in SHARED] == []


def test_role_readme_variable_tables_are_generated_from_the_specs() -> None:
    script = ROLES.parent / "scripts" / "role_docs.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
