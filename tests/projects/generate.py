"""Generate real Django projects for tests, with the target Django's own startproject,
startapp and makemigrations, so the bundle is proven on code nobody here wrote.

    python tests/projects/generate.py django52 /path/to/new/project

Kinds:
  django52  Django 5.2 (LTS), flat layout: manage.py, mysite/settings.py, requirements.txt.
  django61  Django 6.1 (needs Python >= 3.12), src/ layout: pyproject.toml, manage.py putting
            src/ on sys.path, settings package mysite/settings/{base,production}.py, and the
            project's own pins of gunicorn and sentry-sdk.
Both get an app `shop`: a model and its migration, /boom/ raising, /hello/ logging a warning,
and the static file shop/static/shop/hello.txt.

Django's wheels are downloaded once and unzipped into <repo>/.cache/django-wheels/<version>/.
Django runs on this Python when it is recent enough, else (Django 6.1 on Python 3.11) in a
throwaway container of the local Debian 13 image (Python 3.13), as the calling user.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "django-wheels"
CONTAINER_IMAGE = "django-sentry-deploy/molecule-debian:13"
STATIC_TEXT = "hello from the shop's static file\n"
BOOM_MESSAGE = "boom from shop"
HELLO_WARNING = "shop hello warning"
HELLO_TEXT = "hello from shop\n"


@dataclass(frozen=True)
class Kind:
    django: str
    # The Python of the image the project is for (its pins are resolved for it), and the
    # lowest Python this Django runs on (below it, Django runs in a container).
    python: str
    min_python: str
    layout: str
    # The project's own pins beyond Django and its dependencies.
    extra_pins: tuple[str, ...] = ()


KINDS = {
    "django52": Kind(django="5.2.19", python="3.11", min_python="3.10", layout="flat"),
    "django61": Kind(
        django="6.1.3", python="3.13", min_python="3.12", layout="src",
        # Within the ranges the bundle accepts, and not the bundle's own pins.
        extra_pins=("gunicorn==25.1.0", "sentry-sdk==2.76.0"),
    ),
}

MODELS = '''from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=100)

    def __str__(self):
        return self.name
'''
VIEWS = f'''import logging

from django.http import HttpResponse

logger = logging.getLogger(__name__)


def boom(request):
    raise RuntimeError("{BOOM_MESSAGE}")


def hello(request):
    logger.warning("{HELLO_WARNING}")
    return HttpResponse("{HELLO_TEXT.strip()}\\n", content_type="text/plain")
'''
APP_URLS = '''from django.urls import path

from . import views

urlpatterns = [
    path("boom/", views.boom, name="boom"),
    path("hello/", views.hello, name="hello"),
]
'''
SRC_PATH = '''from pathlib import Path

# The project's packages live in src/.
sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
'''
PRODUCTION = '''"""Production settings: the base settings and what production changes."""

from .base import *  # noqa: F403

ALLOWED_HOSTS = ["shop.example.com"]

# startproject's console backend is refused by `check --deploy` (mail.E001).
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "shop": {"format": "shop {levelname} {name}: {message}", "style": "{"},
    },
    "handlers": {
        "shop_console": {"class": "logging.StreamHandler", "formatter": "shop"},
    },
    "loggers": {
        "shop": {"handlers": ["shop_console"], "level": "INFO", "propagate": False},
    },
}
'''


class GenerateError(Exception):
    """The project could not be generated."""


def run(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    if proc.returncode != 0:
        raise GenerateError(f"{' '.join(command)} failed: {proc.stderr.strip()[-2000:]}")
    return proc.stdout


# --------------------------------------------------------------------------- wheels


def wheel_pins(site: Path) -> list[str]:
    """`Name==version` of every distribution unzipped into site, Django first."""
    pins = []
    for info in sorted(site.glob("*.dist-info")):
        fields = dict(
            line.split(": ", 1) for line in (info / "METADATA").read_text().splitlines()
            if line.startswith(("Name: ", "Version: "))
        )
        pins.append(f"{fields['Name']}=={fields['Version']}")
    return sorted(pins, key=lambda pin: (not pin.lower().startswith("django=="), pin.lower()))


def django_site(kind: Kind) -> Path:
    """Django and its dependencies for the kind's Python, unzipped (pure Python), cached."""
    site = CACHE / kind.django
    if (site / ".complete").is_file():
        return site
    site.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=site.parent) as temp:
        wheels, staging = Path(temp) / "wheels", Path(temp) / "site"
        run([
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
            "--only-binary", ":all:", "--python-version", kind.python, "--dest", str(wheels),
            f"Django=={kind.django}",
        ])
        for wheel in sorted(wheels.glob("*.whl")):
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(staging)
        (staging / ".complete").write_text("\n".join(wheel_pins(staging)) + "\n")
        try:
            staging.rename(site)
        except OSError:  # another run cached it meanwhile
            if not (site / ".complete").is_file():
                raise
    return site


# --------------------------------------------------------------------------- running Django


def run_python(kind: str, project: Path | str, *args: str) -> str:
    """Run `python <args>` in the project directory with the kind's Django; return stdout."""
    spec = KINDS[kind]
    return django(spec, django_site(spec), Path(project).absolute(), *args)


def django(kind: Kind, site: Path, project: Path, *args: str) -> str:
    """`python <args>` with the kind's Django on the path, in the project dir."""
    python_args = list(args)
    lowest = tuple(int(part) for part in kind.min_python.split("."))
    if sys.version_info >= lowest:
        env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        return run([sys.executable, *python_args], cwd=project, env=env)
    return run([
        "docker", "run", "--rm", "--network", "none", "--user", f"{os.getuid()}:{os.getgid()}",
        "-v", f"{site}:/wheels:ro", "-v", f"{project}:/project", "-w", "/project",
        "-e", "PYTHONPATH=/wheels", "-e", "PYTHONDONTWRITEBYTECODE=1", "-e", "HOME=/tmp",
        "--entrypoint", "python3", CONTAINER_IMAGE, *python_args,
    ])


# --------------------------------------------------------------------------- edits


def edit(path: Path, pattern: str, replacement: str, flags: int = 0) -> None:
    """Replace the one match of pattern in a generated file; a template that changed fails."""
    text = path.read_text()
    new, count = re.subn(pattern, replacement, text, count=1, flags=flags)
    if count != 1:
        raise GenerateError(f"{path}: {pattern!r} not found in the generated file")
    path.write_text(new)


def add_shop(settings: Path, urls: Path, app: Path) -> None:
    edit(settings, r"(INSTALLED_APPS = \[.*?)(\n\])", r'\1\n    "shop",\2', re.DOTALL)
    edit(urls, r"from django\.urls import path", "from django.urls import include, path")
    edit(urls, r"(urlpatterns = \[)", r'\1\n    path("", include("shop.urls")),')
    (app / "models.py").write_text(MODELS)
    (app / "views.py").write_text(VIEWS)
    (app / "urls.py").write_text(APP_URLS)
    static = app / "static" / "shop"
    static.mkdir(parents=True)
    (static / "hello.txt").write_text(STATIC_TEXT)


def to_src_layout(project: Path) -> None:
    """mysite/ into src/, settings.py into the package settings/{base,production}.py."""
    (project / "src").mkdir()
    (project / "mysite").rename(project / "src" / "mysite")
    package = project / "src" / "mysite"
    (package / "settings").mkdir()
    (package / "settings.py").rename(package / "settings" / "base.py")
    (package / "settings" / "__init__.py").write_text("")
    (package / "settings" / "production.py").write_text(PRODUCTION)
    # base.py sits two directories deeper than settings.py did.
    edit(package / "settings" / "base.py", r"Path\(__file__\)\.resolve\(\)\.parent\.parent",
         "Path(__file__).resolve().parents[3]")
    manage = project / "manage.py"
    edit(manage, r"(\nimport sys\n)", "\\1" + SRC_PATH)
    edit(manage, r"(['\"])mysite\.settings\1", r"\1mysite.settings.base\1")
    for name in ("wsgi.py", "asgi.py"):
        edit(package / name, r"(['\"])mysite\.settings\1", r"\1mysite.settings.production\1")


def write_requirements(kind: Kind, site: Path, project: Path) -> None:
    pins = [*wheel_pins(site), *kind.extra_pins]
    if kind.layout == "flat":
        (project / "requirements.txt").write_text("".join(f"{pin}\n" for pin in pins))
        return
    dependencies = "".join(f'    "{pin}",\n' for pin in pins)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "mysite"\nversion = "0.1.0"\n'
        f'requires-python = ">={kind.min_python}"\n'
        f"dependencies = [\n{dependencies}]\n"
    )


# --------------------------------------------------------------------------- generate


def generate(kind: str, out_dir: Path | str) -> Path:
    """Generate a project of the kind into out_dir (missing or empty); return its path."""
    if kind not in KINDS:
        raise GenerateError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    spec = KINDS[kind]
    project = Path(out_dir).absolute()
    if project.exists() and any(project.iterdir()):
        raise GenerateError(f"{project} is not empty")
    project.mkdir(parents=True, exist_ok=True)
    site = django_site(spec)
    django(spec, site, project, "-m", "django", "startproject", "mysite", ".")
    if spec.layout == "src":
        to_src_layout(project)
        package, app = project / "src" / "mysite", project / "src" / "shop"
        settings = package / "settings" / "base.py"
    else:
        package, app = project / "mysite", project / "shop"
        settings = package / "settings.py"
    # startapp refuses a name that imports, and the project directory is on sys.path: at the
    # top it creates the app directory itself.
    target = [] if app.parent == project else [str(app.relative_to(project))]
    if target:
        app.mkdir()
    django(spec, site, project, "-m", "django", "startapp", "shop", *target)
    add_shop(settings, package / "urls.py", app)
    write_requirements(spec, site, project)
    django(spec, site, project, "manage.py", "makemigrations", "shop")
    (project / "db.sqlite3").unlink(missing_ok=True)
    for cache in project.rglob("__pycache__"):
        shutil.rmtree(cache)
    return project


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("out_dir", type=Path, help="directory to create (missing or empty)")
    options = parser.parse_args(argv)
    try:
        print(generate(options.kind, options.out_dir))
    except GenerateError as err:
        print(f"generate: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
