"""Helpers to load the custom modules and run them in-process, as Ansible would."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ansible.module_utils import basic

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# The modules import the client as ansible.module_utils.sentry_api, which is how Ansible
# ships it next to them; give the same name to the file here.
sentry_api = _load("ansible.module_utils.sentry_api", ROOT / "module_utils" / "sentry_api.py")


def load_module(name: str) -> ModuleType:
    return _load(f"library_{name}", ROOT / "library" / f"{name}.py")


def run_module(
    name: str,
    args: dict[str, Any],
    check: bool = False,
    diff: bool = True,
    no_log: bool = False,
) -> dict[str, Any]:
    """Run library/<name>.py's main() with args; return its JSON result."""
    module = load_module(name)
    payload = {
        "ANSIBLE_MODULE_ARGS": {
            **args,
            "_ansible_check_mode": check,
            "_ansible_diff": diff,
            "_ansible_no_log": no_log,
        }
    }
    out = io.StringIO()
    saved = basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE
    basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = json.dumps(payload).encode(), "legacy"
    try:
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            module.main()
    finally:
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = saved
    return json.loads(out.getvalue())
