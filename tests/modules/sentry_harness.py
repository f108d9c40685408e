"""Run the custom modules in-process, as Ansible would (conftest.py makes them importable)."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils import basic

ROOT = Path(__file__).resolve().parents[2]


def run_module(
    name: str,
    args: dict[str, Any],
    check: bool = False,
    diff: bool = True,
    no_log: bool = False,
) -> dict[str, Any]:
    """Run library/<name>.py's main() with args; return its JSON result."""
    module = importlib.import_module(name)
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
