"""Each module's documentation renders with ansible-doc and matches its argument spec."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sentry_harness import ROOT

MODULES = ["django_app_host_info", "django_app_proxy_listener", "django_app_ready",
           "django_app_release", "django_app_release_info",
           "django_app_rollback_plan", "docker_archive_space", "docker_image_archive",
           "docker_image_archive_load", "sentry_alert", "sentry_alert_rules", "sentry_client_key",
           "sentry_client_key_info", "sentry_dsn_rotation", "sentry_event_info", "sentry_release",
           "sentry_release_gate", "tls_pair_info"]


def ansible_doc(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "ansible-doc"), "-M", "library", *args]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("name", MODULES)
def test_ansible_doc_renders(name: str) -> None:
    result = ansible_doc(name)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr and "ERROR" not in result.stderr
    for section in ("OPTIONS", "EXAMPLES", "RETURN VALUES"):
        assert section in result.stdout


def compare(documented: dict[str, Any], spec: dict[str, Any], where: str) -> None:
    assert set(documented) == set(spec), where
    for name, doc in documented.items():
        option = spec[name]
        here = f"{where}{name}"
        assert doc.get("type", "str") == option.get("type", "str"), here
        assert bool(doc.get("required")) == bool(option.get("required")), here
        assert doc.get("choices") == option.get("choices"), here
        assert doc.get("default") == option.get("default"), here
        assert doc.get("elements") == option.get("elements"), here
        if "options" in option:
            compare(doc["suboptions"], option["options"], f"{here}.")


@pytest.mark.parametrize("name", MODULES)
def test_documented_options_match_the_argument_spec(name: str) -> None:
    documented = json.loads(ansible_doc("--json", name).stdout)[name]["doc"]["options"]
    compare(documented, importlib.import_module(name).argument_spec(), f"{name}: ")
