"""Helpers for the rotation tests: the venv's Ansible tools, run from the repository root."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ansible.module_utils as shipped_module_utils
import pytest

ROOT = Path(__file__).resolve().parents[2]
# module_utils/ files import as ansible.module_utils.<name>, as Ansible ships them
if str(ROOT / "module_utils") not in shipped_module_utils.__path__:
    shipped_module_utils.__path__.append(str(ROOT / "module_utils"))
BIN = Path(sys.executable).parent


def ansible(tool: str, *args: str, stdin: str | None = None, check: bool = False,
            timeout: int = 180) -> subprocess.CompletedProcess[str]:
    """Run an Ansible command line tool with the project's ansible.cfg and no TTY."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_FORCE_COLOR": "0"}
    return subprocess.run([str(BIN / tool), *args], cwd=ROOT, env=env, input=stdin or "",
                          capture_output=True, text=True, timeout=timeout, check=check)


@pytest.fixture
def run_ansible():
    return ansible
