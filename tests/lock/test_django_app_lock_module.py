"""django_app_lock through Ansible and ansible-doc: it loads with its module_utils, tells
the truth in check mode, and its documentation matches its argument spec."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HINT = "if that run is no longer running, re-run with -e django_app_lock_break=true"


def lock_task(lock: Path, args: str, *options: str) -> tuple[int, dict[str, Any]]:
    """Run the module once on localhost with ``path=lock args``; return the exit code and
    its result."""
    env = {
        **os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
    }
    command = [
        str(BIN / "ansible"), "-i", "localhost,", "-c", "local", "localhost",
        "-e", f"ansible_python_interpreter={sys.executable}", "-m", "django_app_lock",
        "-a", f"path={lock} {args}", *options,
    ]
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    report = json.loads(proc.stdout)
    return proc.returncode, report["plays"][0]["tasks"][0]["hosts"]["localhost"]


def test_the_module_takes_refuses_and_releases_the_lock_under_ansible(tmp_path: Path) -> None:
    lock = tmp_path / "web/deploy.lock"
    rc, result = lock_task(lock, "run_id=abc holder=me", "--check")
    assert (rc, result["changed"], result["lock"]["run_id"]) == (0, True, "abc")
    assert not lock.parent.exists()

    rc, result = lock_task(lock, "run_id=abc holder=me")
    assert (rc, result["changed"], result["broken"]) == (0, True, None)
    assert json.loads(lock.read_text()) == result["lock"]
    rc, result = lock_task(lock, "run_id=abc holder=me")
    assert (rc, result["changed"]) == (0, False)

    for check in ([], ["--check"]):
        rc, result = lock_task(lock, "run_id=other holder=bob", *check)
        assert rc == 2
        assert result["msg"].startswith(f"{lock} is held by me since ")
        assert result["msg"].endswith(HINT)

    rc, result = lock_task(lock, "run_id=abc state=absent")
    assert (rc, result["changed"], result["lock"]) == (0, True, None)
    assert not lock.exists()


def test_the_documentation_renders_and_matches_the_argument_spec() -> None:
    proc = subprocess.run([str(BIN / "ansible-doc"), "-M", "library", "--json",
                           "django_app_lock"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0 and "WARNING" not in proc.stderr, proc.stderr
    documented = json.loads(proc.stdout)["django_app_lock"]["doc"]["options"]
    spec = importlib.import_module("django_app_lock").argument_spec()
    assert set(documented) == set(spec)
    for name, option in spec.items():
        for key in ("type", "choices", "default"):
            assert documented[name].get(key) == option.get(key), f"{name}.{key}"
        assert bool(documented[name].get("required")) == bool(option.get("required")), name
