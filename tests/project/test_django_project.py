"""Discovery of a Django project and its build context (module_utils/django_project.py)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from module_utils.django_project import (
    IgnoreRules,
    ProjectError,
    build_context,
    discover,
    project_entries,
)

BASES = [
    {"image": "django-sentry-deploy/debian:12", "python": "3.11"},
    {"image": "django-sentry-deploy/debian:13", "python": "3.13"},
]
MANAGE_PY = """#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{module}")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
"""
FLAT = {
    "manage.py": MANAGE_PY.format(module="mysite.settings"),
    "mysite/__init__.py": "",
    "mysite/settings.py": 'DEBUG = True\nWSGI_APPLICATION = "mysite.wsgi.application"\n',
    "mysite/wsgi.py": "application = None\n",
    "requirements.txt": "Django==5.2.19\nasgiref==3.13.0\nsqlparse==0.6.1\n",
}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run_git(args: list[str]) -> tuple[int, str, str]:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def info(project: Path, git: str | None = None, **params: Any) -> dict[str, Any]:
    return discover({"project_dir": str(project), "bases": BASES, **params}, git, run_git)


def error(project: Path, **params: Any) -> str:
    with pytest.raises(ProjectError) as caught:
        info(project, **params)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.fixture
def flat(tmp_path: Path) -> Path:
    return write(tmp_path / "proj", FLAT)


# --------------------------------------------------------------------------- manage.py


def test_a_flat_project_is_read_without_running_it(flat: Path) -> None:
    found = info(flat)
    assert found["project_dir"] == str(flat.resolve())
    assert found["manage_py"] == "manage.py"
    assert found["django_root"] == "."
    assert found["python_path"] == ["."]
    assert found["settings_module"] == "mysite.settings"
    assert found["settings_file"] == "mysite/settings.py"
    assert found["wsgi_application"] == "mysite.wsgi.application"
    assert found["requirements"] == {
        "format": "requirements.txt", "file": "requirements.txt",
        "files": ["requirements.txt"], "names": ["asgiref", "django", "sqlparse"],
    }
    assert (found["python_requirement"], found["python_requirement_source"]) == (
        ">=3.10", "Django pin",
    )
    assert (found["base_image"], found["python_version"]) == (BASES[0]["image"], "3.11")
    assert len(found["digest"]) == 64 and found["revision"] == ""
    assert found["files_count"] == 5


def test_manage_py_one_level_down_sets_the_django_root(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    write(project / "web", {k: v for k, v in FLAT.items() if k != "requirements.txt"})
    write(project, {"requirements.txt": FLAT["requirements.txt"], "node_modules/manage.py": "",
                    ".venv/manage.py": "", "build/manage.py": ""})
    found = info(project)
    assert (found["manage_py"], found["django_root"]) == ("web/manage.py", "web")
    assert found["python_path"] == ["web"]
    assert found["settings_file"] == "web/mysite/settings.py"


def test_no_manage_py_is_one_clear_line(tmp_path: Path) -> None:
    project = write(tmp_path / "proj", {"requirements.txt": "Django==5.2\n"})
    assert error(project) == (
        f"no manage.py in {project} (looked at {project}/manage.py and {project}/*/manage.py); "
        "set django_app_manage_py"
    )


def test_two_manage_py_candidates_are_named(tmp_path: Path) -> None:
    project = write(tmp_path / "proj", {"a/manage.py": "", "b/manage.py": ""})
    assert error(project) == (
        f"2 manage.py files found: {project}/a/manage.py, {project}/b/manage.py; "
        "set django_app_manage_py"
    )


def test_the_manage_py_override_picks_one(tmp_path: Path) -> None:
    nested = {f"b/{rel}": text for rel, text in FLAT.items()}
    project = write(tmp_path / "proj", {**nested, "a/manage.py": ""})
    assert info(project, manage_py="b/manage.py")["django_root"] == "b"
    assert "django_app_manage_py: " in error(project, manage_py="c/manage.py")


# --------------------------------------------------------------------------- settings


def test_the_settings_default_is_read_in_any_quoting(flat: Path) -> None:
    write(flat, {"manage.py": "import os\nos.environ.setdefault(\n    'DJANGO_SETTINGS_MODULE' ,\n"
                              "    'mysite.settings'\n)\n"})
    assert info(flat)["settings_module"] == "mysite.settings"


def test_an_assignment_to_os_environ_names_the_settings_too(flat: Path) -> None:
    assignment = "os.environ['DJANGO_SETTINGS_MODULE'] = 'mysite.settings'"
    write(flat, {"manage.py": f"import os\n{assignment}\n"})
    assert info(flat)["settings_module"] == "mysite.settings"


def test_a_manage_py_without_the_settings_default_asks_for_the_variable(flat: Path) -> None:
    write(flat, {"manage.py": "import os\n"})
    message = error(flat)
    assert message.startswith(f"{flat}/manage.py: ")
    assert message.endswith("set django_app_settings_module")


def test_the_settings_override_wins(flat: Path) -> None:
    write(flat, {"mysite/prod.py": "from .settings import *\nDEBUG = False\n"})
    found = info(flat, settings_module="mysite.prod")
    assert (found["settings_module"], found["settings_file"]) == ("mysite.prod", "mysite/prod.py")
    assert found["wsgi_application"] == "mysite.wsgi.application"


def test_a_missing_settings_module_says_where_it_looked(flat: Path) -> None:
    assert error(flat, settings_module="mysite.nope") == (
        f"settings module mysite.nope not found: no mysite/nope.py or mysite/nope/__init__.py "
        f"under {flat}; set django_app_settings_module"
    )


def test_settings_that_do_not_compile_name_the_file_and_line(flat: Path) -> None:
    write(flat, {"mysite/settings.py": "DEBUG = True\nALLOWED_HOSTS = [\n"})
    assert error(flat) == f"{flat}/mysite/settings.py:2: '[' was never closed"


def test_a_src_layout_with_a_settings_package(tmp_path: Path) -> None:
    project = write(tmp_path / "proj", {
        "manage.py": MANAGE_PY.format(module="mysite.settings.base"),
        "src/mysite/__init__.py": "",
        "src/mysite/settings/__init__.py": "",
        "src/mysite/settings/base.py": FLAT["mysite/settings.py"],
        "src/mysite/settings/production.py": "from .base import *  # noqa\nDEBUG = False\n",
        "requirements.txt": "Django==5.2.19\n",
    })
    found = info(project, settings_module="mysite.settings.production")
    assert found["python_path"] == [".", "src"]
    assert found["settings_file"] == "src/mysite/settings/production.py"
    assert found["wsgi_application"] == "mysite.wsgi.application"


def test_the_last_wsgi_assignment_wins_and_a_missing_one_is_null(flat: Path) -> None:
    write(flat, {"mysite/prod.py": 'from .settings import *\nWSGI_APPLICATION = "other.app"\n'})
    assert info(flat, settings_module="mysite.prod")["wsgi_application"] == "other.app"
    write(flat, {"mysite/settings.py": "DEBUG = True\n"})
    assert info(flat)["wsgi_application"] is None
    assert info(flat, wsgi_application="x.wsgi.app")["wsgi_application"] == "x.wsgi.app"


# --------------------------------------------------------------------------- requirements


def test_requirements_next_to_manage_py_are_found(tmp_path: Path) -> None:
    project = write(tmp_path / "proj" / "web", FLAT).parent
    found = info(project)["requirements"]
    assert (found["file"], found["files"]) == ("web/requirements.txt", ["web/requirements.txt"])


def test_includes_are_followed_and_copied(flat: Path) -> None:
    write(flat, {
        "requirements.txt": "-r requirements/base.txt\n-c constraints.txt\n--index-url https://x/\n",
        "requirements/base.txt": "Django>=5.2,<6  # the LTS\n-r ./extra.txt\n",
        "requirements/extra.txt": "whitenoise==6.12.0 \\\n    --hash=sha256:00\n",
        "constraints.txt": "urllib3==2.8.0\n",
    })
    found = info(flat)["requirements"]
    assert found["files"] == [
        "requirements.txt", "requirements/base.txt", "requirements/extra.txt", "constraints.txt",
    ]
    assert found["names"] == ["django", "whitenoise"]


def test_the_requirements_override_and_pyproject_dependencies(flat: Path) -> None:
    write(flat, {"deps/prod.txt": "Django==5.2.19\n"})
    assert info(flat, requirements="deps/prod.txt")["requirements"]["file"] == "deps/prod.txt"
    (flat / "requirements.txt").unlink()
    write(flat, {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["Django~=5.2.0"]\n'})
    assert info(flat)["requirements"] == {
        "format": "pyproject.toml", "file": "pyproject.toml", "files": ["pyproject.toml"],
        "names": ["django"],
    }


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", '[tool.poetry.dependencies]\nDjango = "^5.2"\n'),
        ("Pipfile", "[packages]\ndjango = '*'\n"),
        ("poetry.lock", ""),
        ("uv.lock", ""),
    ],
)
def test_other_requirement_formats_are_to_be_exported(flat: Path, name: str, text: str) -> None:
    (flat / "requirements.txt").unlink()
    write(flat, {name: text})
    message = error(flat)
    assert message.startswith(f"{flat}/{name}: ")
    assert "`poetry export -f requirements.txt -o requirements.txt`" in message
    assert "requirements.txt, or pyproject.toml with [project].dependencies" in message


def test_no_requirements_at_all(flat: Path) -> None:
    (flat / "requirements.txt").unlink()
    assert error(flat).startswith(f"no requirements in {flat} (looked for requirements.txt")


@pytest.mark.parametrize(
    "line",
    ["-e .", "./vendor/lib", "../lib.tar.gz", "git+https://example.com/x.git#egg=x",
     "x @ https://example.com/x.whl", "file:///tmp/x", "--editable=src/x", "dist/x-1.0.whl"],
)
def test_local_path_requirements_are_refused(flat: Path, line: str) -> None:
    write(flat, {"requirements.txt": f"Django==5.2.19\n{line}\n"})
    assert error(flat) == (
        f"{flat}/requirements.txt:2: {line}: local path requirements are not supported: "
        "the project is run from source, not installed"
    )


def test_a_project_without_django_is_refused(flat: Path) -> None:
    write(flat, {"requirements.txt": "requests==2.32.0\n-c c.txt\n", "c.txt": "Django==5.2\n"})
    assert error(flat) == f"{flat}/requirements.txt: Django is not among the project's requirements"


def test_a_project_pin_outside_the_bundle_range_conflicts(flat: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.txt"
    bundle.write_text("sentry-sdk[django]==2.75.0  # needs >=2.20,<3\ngunicorn==27.0.1\n")
    write(flat, {"requirements.txt": "Django==5.2.19\ngunicorn==20.0.0\nsentry_sdk==1.45.0\n"})
    assert error(flat, bundle_requirements=str(bundle)) == (
        f"the project pins sentry_sdk==1.45.0 ({flat}/requirements.txt:3); "
        "the bundle needs sentry-sdk>=2.20,<3"
    )
    assert error(flat, bundle_requirements=str(tmp_path / "none.txt")) == (
        f"{tmp_path}/none.txt: bundle requirements file not found"
    )
    write(flat, {"requirements.txt": "Django==5.2.19\ngunicorn==20.0.0\nsentry-sdk==2.40.0\n"})
    assert info(flat, bundle_requirements=str(bundle))["requirements"]["names"] == [
        "django", "gunicorn", "sentry-sdk",
    ]


# --------------------------------------------------------------------------- Python and base


@pytest.mark.parametrize(
    ("django", "requirement", "base"),
    [
        ("Django==6.1.3", ">=3.12", "django-sentry-deploy/debian:13"),
        ("Django~=6.0", ">=3.12", "django-sentry-deploy/debian:13"),
        ("Django==5.2.19", ">=3.10", "django-sentry-deploy/debian:12"),
        ("Django>=4.2,<7", ">=3.8", "django-sentry-deploy/debian:12"),
    ],
)
def test_the_django_pin_picks_the_base(
    flat: Path, django: str, requirement: str, base: str
) -> None:
    write(flat, {"requirements.txt": f"{django}\n"})
    found = info(flat)
    assert (found["python_requirement"], found["python_requirement_source"]) == (
        requirement, "Django pin",
    )
    assert found["base_image"] == base


def test_requires_python_comes_first_and_the_override_last(flat: Path) -> None:
    write(flat, {"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.12"\n'})
    found = info(flat)
    assert (found["python_requirement_source"], found["python_version"]) == (
        "pyproject.toml requires-python", "3.13",
    )
    found = info(flat, python_requirement="<3.12")
    assert (found["python_requirement_source"], found["python_version"]) == (
        "django_app_python_requirement", "3.11",
    )


def test_an_unpinned_django_takes_the_first_base(flat: Path) -> None:
    write(flat, {"requirements.txt": "django\n"})
    found = info(flat)
    assert (found["python_requirement"], found["python_requirement_source"]) == ("", "none")
    assert found["base_image"] == BASES[0]["image"]


def test_no_base_fitting_is_one_clear_line(flat: Path) -> None:
    write(flat, {"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.14"\n'})
    assert error(flat) == (
        "the project needs Python >=3.14 (pyproject.toml requires-python); the available bases "
        "have 3.11 (django-sentry-deploy/debian:12), 3.13 (django-sentry-deploy/debian:13); "
        "add a base to django_app_build_bases"
    )


def test_django_before_4_2_is_refused(flat: Path) -> None:
    write(flat, {"requirements.txt": "Django==4.1.13\n"})
    assert error(flat).endswith("Django 4.2 or later is required")


def test_syntax_newer_than_this_python_is_left_to_the_build(flat: Path) -> None:
    write(flat, {"requirements.txt": "Django==6.1.3\n",
                 "mysite/settings.py": "type Hosts = list[str]\nWSGI_APPLICATION = 'a.b'\n"})
    assert info(flat)["settings_file"] == "mysite/settings.py"


# --------------------------------------------------------------------------- files and digest


def test_the_digest_follows_the_files_that_go_into_the_image(flat: Path, tmp_path: Path) -> None:
    before = info(flat)["digest"]
    write(flat, {".env": "SECRET=1", ".env.local": "x", "mysite/__pycache__/s.pyc": "x",
                 "db.sqlite3": "x", ".git/HEAD": "x", "staticfiles/a.css": "x",
                 "media/up.png": "x", "env/pyvenv.cfg": "", "env/lib/x.py": "",
                 "node_modules/x/index.js": "x"})
    assert info(flat)["digest"] == before
    write(flat, {"mysite/views.py": "x = 1\n"})
    changed = info(flat)["digest"]
    assert changed != before
    os.chmod(flat / "mysite/views.py", 0o755)
    assert info(flat)["digest"] != changed
    extra = write(tmp_path / "bundle", {"Dockerfile": "FROM x\n"})
    with_extra = info(flat, extra_paths=[str(extra)], extra_digest="base=1")["digest"]
    assert with_extra != info(flat, extra_paths=[str(extra)], extra_digest="base=2")["digest"]
    write(extra, {"Dockerfile": "FROM y\n"})
    assert with_extra != info(flat, extra_paths=[str(extra)], extra_digest="base=1")["digest"]


def test_the_dockerignore_subset(flat: Path) -> None:
    write(flat, {
        ".dockerignore": "# comment\ndocs\n/notes/\n*.md\n**/*.log\n!keep.md\nsub/*.txt\n"
                         "!docs/keep.rst\n",
        "docs/a.rst": "", "docs/keep.rst": "", "notes/n.txt": "", "a.md": "", "keep.md": "",
        "mysite/b.md": "",
        "x.log": "", "mysite/deep/y.log": "", "sub/s.txt": "", "sub/deeper/s.txt": "",
    })
    kept = {entry.rel for entry in project_entries(flat, IgnoreRules(flat))}
    assert kept == {
        *FLAT, ".dockerignore", "keep.md", "mysite/b.md", "sub/deeper/s.txt", "docs/keep.rst",
    }


def test_settings_left_out_of_the_image_are_refused(flat: Path) -> None:
    write(flat, {".dockerignore": "mysite/settings.py\n"})
    assert error(flat) == (
        f"{flat}/mysite/settings.py is left out of the image by the ignore rules "
        "(.dockerignore or the defaults)"
    )


def test_symlinks_inside_are_kept_and_outside_refused(flat: Path, tmp_path: Path) -> None:
    (flat / "mysite/alias.py").symlink_to("settings.py")
    entries = {entry.rel: entry for entry in project_entries(flat, IgnoreRules(flat))}
    assert entries["mysite/alias.py"].link == "settings.py"
    write(tmp_path, {"secret.txt": "x"})
    (flat / "mysite/leak.txt").symlink_to(tmp_path / "secret.txt")
    assert error(flat) == (
        f"{flat}/mysite/leak.txt: symbolic link to {tmp_path}/secret.txt points outside the project"
    )
    (flat / "mysite/leak.txt").unlink()
    (flat / "mysite/loop").symlink_to("loop")
    assert error(flat) == f"{flat}/mysite/loop: symbolic link to loop loops"


def test_the_revision_is_the_last_commit_of_a_clean_tree(tmp_path: Path) -> None:
    project = write(tmp_path / "repo" / "proj", FLAT)
    git = ["git", "-C", str(tmp_path / "repo"), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    assert info(project, git="git")["revision"] == head.strip()[:12]
    write(project, {"new.py": ""})
    assert info(project, git="git")["revision"] == ""
    assert info(project, git=None)["revision"] == ""


# --------------------------------------------------------------------------- build context


def fingerprint(path: Path) -> str:
    if path.is_symlink():
        return os.readlink(path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Mode and content of every file and link under root."""
    return {
        path.relative_to(root).as_posix(): (path.lstat().st_mode, fingerprint(path))
        for path in sorted(root.rglob("*")) if path.is_file() or path.is_symlink()
    }


def context(project: Path, dest: Path, bundle: Path, check: bool = False) -> dict[str, Any]:
    found = info(project)
    params = {
        "project_dir": str(project), "dest": str(dest), "requirements": found["requirements"],
        "bundle_files": [
            {"src": str(bundle / "Dockerfile"), "dest": "Dockerfile"},
            {"src": str(bundle / "runtime"), "dest": "runtime"},
        ],
    }
    return build_context(params, check)


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    root = write(tmp_path / "bundle", {
        "Dockerfile": "FROM x\n", "runtime/__init__.py": "", "runtime/__pycache__/a.pyc": "x",
        "runtime/entry": "#!/bin/sh\n",
    })
    os.chmod(root / "runtime/entry", 0o755)
    return root


def test_the_context_mirrors_the_project(flat: Path, tmp_path: Path, bundle: Path) -> None:
    write(flat, {".env": "SECRET=1", "requirements.txt": "-r req/base.txt\n",
                 "req/base.txt": "Django==5.2.19\n"})
    os.chmod(flat / "manage.py", 0o775)
    before = snapshot(flat)
    dest = tmp_path / "ctx"
    result = context(flat, dest, bundle)
    assert result["changed"] and result["requirements_file"] == "requirements/requirements.txt"
    files = snapshot(dest)
    assert sorted(files) == sorted([
        ".django-build-context", "Dockerfile", "runtime/__init__.py", "runtime/entry",
        "requirements/requirements.txt", "requirements/req/base.txt",
        *(f"project/{rel}" for rel in [*FLAT, "req/base.txt"]),
    ])
    assert files["project/manage.py"][0] & 0o777 == 0o755
    assert files["project/mysite/settings.py"][0] & 0o777 == 0o644
    assert files["runtime/entry"][0] & 0o777 == 0o755
    assert context(flat, dest, bundle)["changed"] is False
    (flat / "mysite/wsgi.py").unlink()
    write(dest, {"project/stray/x.py": "", ".stale.tmp-1": ""})
    result = context(flat, dest, bundle)
    assert result["changed"] and result["removed"] == [".stale.tmp-1", "project/mysite/wsgi.py",
                                                       "project/stray/x.py"]
    assert not (dest / "project/stray").exists() and not (dest / "project/mysite/wsgi.py").exists()
    del before["mysite/wsgi.py"]
    assert snapshot(flat) == before


def test_check_mode_reports_and_writes_nothing(flat: Path, tmp_path: Path, bundle: Path) -> None:
    dest = tmp_path / "ctx"
    assert context(flat, dest, bundle, check=True)["changed"] is True
    assert not dest.exists()
    context(flat, dest, bundle)
    write(flat, {"mysite/new.py": ""})
    before = snapshot(dest)
    result = context(flat, dest, bundle, check=True)
    assert result["changed"] and result["written"] == ["project/mysite/new.py"]
    assert snapshot(dest) == before


def test_a_pyproject_project_gets_a_requirements_file(flat: Path, tmp_path: Path,
                                                      bundle: Path) -> None:
    (flat / "requirements.txt").unlink()
    write(flat, {"pyproject.toml": '[project]\nname = "x"\ndependencies = ["Django==5.2.19", '
                                   '"sentry-sdk[django]==2.40.0"]\n'})
    dest = tmp_path / "ctx"
    assert context(flat, dest, bundle)["requirements_file"] == "requirements/requirements.txt"
    assert (dest / "requirements/requirements.txt").read_text() == (
        "Django==5.2.19\nsentry-sdk[django]==2.40.0\n"
    )


def test_links_inside_the_project_stay_links(flat: Path, tmp_path: Path, bundle: Path) -> None:
    (flat / "mysite/alias.py").symlink_to("settings.py")
    dest = tmp_path / "ctx"
    context(flat, dest, bundle)
    assert os.readlink(dest / "project/mysite/alias.py") == "settings.py"
    assert context(flat, dest, bundle)["changed"] is False


@pytest.mark.parametrize("where", ["inside", "foreign"])
def test_dest_is_never_the_project_or_a_foreign_directory(flat: Path, tmp_path: Path,
                                                          bundle: Path, where: str) -> None:
    dest = flat / ".cache/ctx" if where == "inside" else write(tmp_path / "mine", {"keep.txt": ""})
    before = snapshot(tmp_path)
    with pytest.raises(ProjectError) as caught:
        context(flat, dest, bundle)
    assert ("overlaps the project" if where == "inside" else "refusing") in str(caught.value)
    assert snapshot(tmp_path) == before
