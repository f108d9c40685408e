"""`python -m django_sentry_deploy.build collect`, the image's build step, over the sample:
static files into DJANGO_STATIC_ROOT, `check --deploy`, and Django's files left alone
unless the Dockerfile says it is an image build.

The interpreter running the step is this test's: `shutil.rmtree` is replaced (by a
sitecustomize module on the path) with one that records what it was asked to remove and
removes nothing, so no run can trim the virtualenv's Django.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import django
from runtimeprocess import APP, RUNTIME, run_python, write_project

DJANGO_DIR = Path(django.__file__).parent
RECORD_RMTREE = """
import os
import shutil


def _record(path, *args, **kwargs):
    with open(os.environ["RMTREE_RECORD"], "a", encoding="utf-8") as record:
        record.write(f"{path}\\n")


shutil.rmtree = _record
"""


def collect(
    tmp_path: Path, env: dict[str, str], project: Path = APP
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    guard = write_project(tmp_path / "guard", {"sitecustomize.py": RECORD_RMTREE})
    record = tmp_path / "rmtree.txt"
    record.touch()
    env = {
        "PYTHONPATH": os.pathsep.join(map(str, (guard, RUNTIME, project))),
        "RMTREE_RECORD": str(record),
        **env,
    }
    proc = run_python(["-m", "django_sentry_deploy.build", "collect"], env, tmp_path, project)
    return proc, record.read_text().splitlines()


def under_django(removed: list[str]) -> list[str]:
    return sorted(
        str(Path(p).relative_to(DJANGO_DIR)) for p in removed if Path(p).is_relative_to(DJANGO_DIR)
    )


def test_collect_writes_static_files_and_passes_the_deploy_check(tmp_path: Path) -> None:
    proc, removed = collect(tmp_path, {})

    assert proc.returncode == 0, proc.stderr
    static = tmp_path / "static"
    assert (static / "staticfiles.json").is_file()  # the sample's manifest storage
    assert list(static.glob("pages/site.*.css.gz"))  # compressed by WhiteNoise
    # Outside an image build, the running interpreter's Django is not touched.
    assert under_django(removed) == []


def test_an_image_build_trims_what_the_project_never_reads(tmp_path: Path) -> None:
    proc, removed = collect(tmp_path, {"DJANGO_SENTRY_DEPLOY_IMAGE_BUILD": "1"})

    assert proc.returncode == 0, proc.stderr
    trimmed = under_django(removed)
    # The sample: WhiteNoise serves the collected files, and USE_I18N is off.
    assert "contrib/admin/static" in trimmed
    assert "conf/locale/fr" in trimmed
    assert "conf/locale/en" not in trimmed
    assert "contrib/auth/locale" in trimmed


def shop(tmp_path: Path, *settings: str) -> Path:
    """A minimal project `shop`; Django's default USE_I18N (on) unless `settings` change it."""
    lines = [
        'SECRET_KEY = "django-insecure-the-projects-own"',
        'INSTALLED_APPS = ["django.contrib.staticfiles"]',
        'ROOT_URLCONF = "shop.urls"',
        'STATIC_URL = "static/"',
        *settings,
    ]
    return write_project(
        tmp_path / "project",
        {"shop/settings.py": "\n".join(lines) + "\n", "shop/urls.py": "urlpatterns = []\n"},
    )


def test_a_translated_project_keeps_its_translations(tmp_path: Path) -> None:
    env = {"DJANGO_SENTRY_DEPLOY_IMAGE_BUILD": "1", "DJANGO_PROJECT_SETTINGS": "shop.settings"}
    proc, removed = collect(tmp_path, env, shop(tmp_path))

    assert proc.returncode == 0, proc.stderr
    assert under_django(removed) == ["contrib/admin/static"]


def test_a_project_failing_the_deploy_check_fails_the_build(tmp_path: Path) -> None:
    # A system check error: STATICFILES_DIRS holds STATIC_ROOT (staticfiles.E002).
    project = shop(tmp_path, f"STATICFILES_DIRS = [{str(tmp_path / 'static')!r}]")
    (tmp_path / "static").mkdir()
    proc, _ = collect(tmp_path, {"DJANGO_PROJECT_SETTINGS": "shop.settings"}, project)

    assert proc.returncode == 1
    # One line: the errors only (the project's warnings do not fail the build).
    assert proc.stderr.startswith(
        "build error: `manage.py check --deploy` failed: ?: (staticfiles.E002)"
    )
    assert proc.stderr.count("\n") == 1
    assert "security.W" not in proc.stderr


def test_build_env_placeholders_let_required_settings_import(tmp_path: Path) -> None:
    # A project whose settings require a variable only the running container gets.
    project = shop(tmp_path, 'import os\nSHOP_API_URL = os.environ["SHOP_API_URL"]')
    env = {"DJANGO_PROJECT_SETTINGS": "shop.settings"}
    proc, _ = collect(tmp_path, env, project)
    assert proc.returncode != 0
    assert "configuration error: the project's settings (shop.settings) do not import: " in (
        proc.stderr
    )
    assert "KeyError: 'SHOP_API_URL'" in proc.stderr

    placeholders = "SHOP_API_URL=https://placeholder.invalid\nOTHER=1"
    proc, _ = collect(tmp_path, {**env, "BUILD_ENV": placeholders}, project)
    assert proc.returncode == 0, proc.stderr
