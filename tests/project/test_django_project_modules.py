"""django_project_info and django_build_context through ansible-playbook and ansible-doc."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MODULES = ["django_project_info", "django_build_context"]
BIN = Path(sys.executable).parent
PROJECT = {
    "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n',
    "mysite/__init__.py": "",
    "mysite/settings.py": 'WSGI_APPLICATION = "mysite.wsgi.application"\n',
    "requirements.txt": "Django==5.2.19\n",
}
TASKS = [
    {
        "name": "Find what the image needs from the project",
        "django_project_info": {
            "project_dir": "{{ project_dir }}",
            "bases": [{"image": "django-sentry-deploy/debian:12", "python": "3.11"}],
        },
        "register": "project",
    },
    {
        "name": "Stage the build context",
        "django_build_context": {
            "project_dir": "{{ project.project_dir }}",
            "dest": "{{ dest }}",
            "requirements": "{{ project.requirements }}",
            "bundle_files": [{"src": "{{ bundle }}", "dest": "Dockerfile"}],
        },
    },
]


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def playbook(tmp_path: Path, project: Path, *options: str) -> tuple[int, dict[str, Any], str]:
    """Run the two tasks on localhost; return the exit code, the results by task, the output."""
    book = tmp_path / "play.yml"
    book.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False,
                                     "tasks": TASKS}], sort_keys=False))
    bundle = write(tmp_path / "bundle", {"Dockerfile": "FROM x\n"}) / "Dockerfile"
    variables = {"project_dir": str(project), "dest": str(tmp_path / "ctx"), "bundle": str(bundle)}
    env = {
        **os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_NOCOLOR": "1",
    }
    command = [
        str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
        "-e", f"ansible_python_interpreter={sys.executable}", "-e", json.dumps(variables),
        *options, str(book),
    ]
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    report = json.loads(proc.stdout)
    results = {
        task["task"]["name"]: task["hosts"]["localhost"] for play in report["plays"]
        for task in play["tasks"]
    }
    return proc.returncode, results, proc.stdout + proc.stderr


def test_the_modules_run_under_ansible_and_check_mode_writes_nothing(tmp_path: Path) -> None:
    project = write(tmp_path / "proj", PROJECT)
    rc, results, output = playbook(tmp_path, project, "--check")
    assert rc == 0, output
    assert results["Find what the image needs from the project"]["settings_module"] == (
        "mysite.settings"
    )
    staged = results["Stage the build context"]
    assert staged["changed"] is True and "project/manage.py" in staged["written"]
    assert not (tmp_path / "ctx").exists()
    rc, results, output = playbook(tmp_path, project)
    assert rc == 0 and results["Stage the build context"]["changed"] is True, output
    assert (tmp_path / "ctx/project/mysite/settings.py").is_file()
    rc, results, output = playbook(tmp_path, project)
    assert rc == 0 and results["Stage the build context"]["changed"] is False, output
    assert results["Find what the image needs from the project"]["changed"] is False


def test_bad_input_fails_with_one_line_before_anything_is_written(tmp_path: Path) -> None:
    project = write(tmp_path / "proj", {"requirements.txt": "Django==5.2.19\n"})
    rc, results, _ = playbook(tmp_path, project)
    assert rc == 2
    assert results["Find what the image needs from the project"]["msg"] == (
        f"no manage.py in {project} (looked at {project}/manage.py and {project}/*/manage.py); "
        "set django_app_manage_py"
    )
    assert not (tmp_path / "ctx").exists()


def ansible_doc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "ansible-doc"), "-M", "library", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def compare(documented: dict[str, Any], spec: dict[str, Any], where: str) -> None:
    assert set(documented) == set(spec), where
    for name, doc in documented.items():
        option = spec[name]
        for key in ("type", "required", "choices", "default", "elements"):
            assert doc.get(key) == option.get(key) or (
                key == "required" and not doc.get(key) and not option.get(key)
            ), f"{where}{name}.{key}"
        if "options" in option:
            compare(doc["suboptions"], option["options"], f"{where}{name}.")


@pytest.mark.parametrize("name", MODULES)
def test_the_documentation_renders_and_matches_the_argument_spec(name: str) -> None:
    result = ansible_doc("--json", name)
    assert result.returncode == 0 and "WARNING" not in result.stderr, result.stderr
    documented = json.loads(result.stdout)[name]["doc"]["options"]
    compare(documented, importlib.import_module(name).argument_spec(), f"{name}: ")
