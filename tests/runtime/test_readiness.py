"""/readyz through `django_sentry_deploy.wsgi:application` over a small project: the Host
header, the URLconf, every database and the migrations, in front of the project's own
middleware and URLconf."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from runtimeprocess import run_python, write_project

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "runtime"))

from django_sentry_deploy.readiness import one_line

SECRET = "readiness-secret-key-that-is-long-enough-0123456789abcdefghijkl"
RELEASE = "web@abc123"
SETTINGS = """
INSTALLED_APPS = ["shop"]
MIDDLEWARE = ["shop.middleware.closed"]
ROOT_URLCONF = "shop.urls"
"""
# The project answers 403 to everything: /readyz must not depend on it.
MIDDLEWARE = """
from django.http import HttpResponseForbidden


def closed(get_response):
    return lambda request: HttpResponseForbidden("closed")
"""
URLS = """
from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("", lambda request: HttpResponse("home"))]
"""
BROKEN_URLS = "from shop import missing\n" + URLS
MIGRATION_1 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    operations = [
        migrations.CreateModel(
            "Item", [("id", models.AutoField(primary_key=True)), ("name", models.TextField())]
        ),
    ]
"""
MIGRATION_2 = """
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.AddField("item", "price", models.IntegerField(default=0))]
"""
MODELS = """
from django.db import models


class Item(models.Model):
    name = models.TextField()
    price = models.IntegerField(default=0)
"""
# Migrates the shop to sys.argv[1] ("-" leaves the database alone), then asks /readyz.
SERVE = """
import json, sys, wsgiref.util
import django
django.setup()
from django.core.management import call_command
from django.db import connections

if sys.argv[1] != "-":
    call_command("migrate", "shop", sys.argv[1], verbosity=0)
    connections.close_all()
from django_sentry_deploy.wsgi import application


def call(path, method="GET", host="shop.example.com"):
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "HTTP_HOST": host}
    wsgiref.util.setup_testing_defaults(environ)
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=int(status.split()[0]), headers=dict(headers))

    body = application(environ, start_response)
    answer["body"] = b"".join(body).decode()
    return answer


result = {
    "GET": call("/readyz"),
    "HEAD": call("/readyz", "HEAD"),
    # Before any request reaches Django, which closes connections when it finishes.
    "open connections": [a for a in connections if connections[a].connection is not None],
    "POST": call("/readyz", "POST")["status"],
    "unknown host": call("/readyz", host="10.1.2.3:8000"),
    "page": call("/")["status"],
}
print(json.dumps(result))
"""


def readyz(
    tmp_path: Path,
    migrate_to: str = "0002",
    urls: str = URLS,
    settings: str = "",
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    project = write_project(
        tmp_path / "project",
        {
            "shop/settings.py": SETTINGS + settings,
            "shop/middleware.py": MIDDLEWARE,
            "shop/urls.py": urls,
            "shop/models.py": MODELS,
            "shop/migrations/0001_initial.py": MIGRATION_1,
            "shop/migrations/0002_item_price.py": MIGRATION_2,
        },
    )
    (tmp_path / "static").mkdir()  # where WhiteNoise looks for collected files
    base = {
        "DJANGO_PROJECT_SETTINGS": "shop.settings",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
        "SENTRY_RELEASE": RELEASE,
    }
    proc: subprocess.CompletedProcess[str] = run_python(
        ["-W", "error", "-c", SERVE, migrate_to], {**base, **(env or {})}, tmp_path, project
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    result["json"] = json.loads(result["GET"]["body"])
    return result


def test_a_ready_app_answers_200_with_its_release_and_container(tmp_path: Path) -> None:
    result = readyz(tmp_path)

    assert result["GET"]["status"] == 200
    assert result["json"] == {
        "ready": True,
        "release": RELEASE,
        "container": socket.gethostname(),
        "checks": {"host": "ok", "urls": "ok", "database": "ok", "migrations": "ok"},
    }
    headers = result["GET"]["headers"]
    assert (headers["Content-Type"], headers["Cache-Control"]) == ("application/json", "no-store")
    assert (result["HEAD"]["status"], result["HEAD"]["body"]) == (200, "")
    # In front of the project's middleware, which refuses everything else.
    assert (result["page"], result["POST"]) == (403, 403)
    # The check leaves no connection open (CONN_MAX_AGE is 0).
    assert result["open connections"] == []


def test_an_unknown_host_is_400_and_nothing_else_runs(tmp_path: Path) -> None:
    answer = readyz(tmp_path)["unknown host"]

    assert answer["status"] == 400
    body = json.loads(answer["body"])
    assert body["ready"] is False
    assert list(body["checks"]) == ["host"]
    assert body["checks"]["host"].startswith("DisallowedHost: Invalid HTTP_HOST header")


def test_a_urlconf_that_does_not_import_is_503_urls(tmp_path: Path) -> None:
    result = readyz(tmp_path, urls=BROKEN_URLS)

    assert result["GET"]["status"] == 503
    checks = result["json"]["checks"]
    assert checks["urls"] == "ImportError: cannot import name 'missing' from 'shop' " + (
        f"({tmp_path}/project/shop/__init__.py)"
    )
    assert (checks["host"], checks["database"], checks["migrations"]) == ("ok", "ok", "ok")


def test_an_unreachable_database_is_503_database(tmp_path: Path) -> None:
    missing = tmp_path / "missing" / "db.sqlite3"
    result = readyz(tmp_path, "-", env={"DATABASE_URL": f"sqlite:///{missing}"})

    assert result["GET"]["status"] == 503
    assert result["json"]["ready"] is False
    assert result["json"]["checks"] == {
        "host": "ok",
        "urls": "ok",
        "database": "default: OperationalError: unable to open database file",
    }


def test_every_database_alias_is_checked(tmp_path: Path) -> None:
    replica = tmp_path / "missing" / "replica.sqlite3"
    settings = f"""
DATABASES = {{"replica": {{"ENGINE": "django.db.backends.sqlite3", "NAME": "{replica}"}}}}
"""
    result = readyz(tmp_path, settings=settings)

    assert result["GET"]["status"] == 503
    assert result["json"]["checks"]["database"] == (
        "replica: OperationalError: unable to open database file"
    )


def test_a_database_error_does_not_show_the_password(tmp_path: Path) -> None:
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    url = f"postgres://shop:s3cret-pw@127.0.0.1:{port}/shop"
    result = readyz(tmp_path, "-", env={"DATABASE_URL": url})

    assert result["GET"]["status"] == 503
    database = result["json"]["checks"]["database"]
    assert database.startswith("default: OperationalError: connection failed")
    assert "s3cret-pw" not in result["GET"]["body"]


def test_an_unapplied_migration_is_503_migrations(tmp_path: Path) -> None:
    result = readyz(tmp_path, migrate_to="0001")

    assert result["GET"]["status"] == 503
    assert result["json"]["checks"] == {
        "host": "ok",
        "urls": "ok",
        "database": "ok",
        "migrations": "1 unapplied: shop.0002_item_price",
    }


def test_an_unmigrated_database_lists_a_few_migrations(tmp_path: Path) -> None:
    result = readyz(tmp_path, migrate_to="zero")

    assert result["json"]["checks"]["migrations"] == (
        "2 unapplied: shop.0001_initial, shop.0002_item_price"
    )


def test_error_lines_lose_credentials_and_stay_short() -> None:
    url_error = ValueError("cannot reach postgres://app:pa55@db:5432/app\nsecond line")
    dsn_error = OSError("bad dsn: host=db user=app password='pa 55' dbname=app")

    assert one_line(url_error) == "ValueError: cannot reach postgres://***@db:5432/app"
    assert one_line(dsn_error) == "OSError: bad dsn: host=db user=app password=*** dbname=app"
    assert len(one_line(RuntimeError("x" * 500))) == 200
