"""Requests through `django_sentry_deploy.wsgi:application` (what Gunicorn runs) over a
small project: the health check in front of Django, /sentry-debug/ in front of the
project's URLconf only when SENTRY_DEBUG_VIEW is on, the project's URLs, error views,
static files and log lines as the project has them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from runtimeprocess import run_python, write_project

SECRET = "routing-secret-key-that-is-long-enough-0123456789abcdefghijklmn"
SETTINGS = """
SECRET_KEY = "django-insecure-the-projects-own"
DEBUG = True
INSTALLED_APPS = ["django.contrib.staticfiles", "shop"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "shop.urls"
STATIC_URL = "static/"
"""
URLS = """
from django.urls import include, path

from shop import views

app_patterns = ([path("<int:pk>/", views.item, name="item")], "catalogue")
urlpatterns = [
    path("shop/", views.home, name="shop-home"),
    path("catalogue/", include(app_patterns)),
]
handler404 = "shop.views.not_found"
"""
VIEWS = """
import logging

from django.http import HttpResponse, HttpResponseNotFound
from django.urls import reverse

log = logging.getLogger(__name__)


def home(request):
    log.warning("the shop's home was visited")
    return HttpResponse(reverse("catalogue:item", args=[7]))


def item(request, pk):
    return HttpResponse(f"item {pk}")


def not_found(request, exception):
    return HttpResponseNotFound("the shop's own 404")
"""
# Answers requests in-process, as Gunicorn calls the application; prints what it got.
SERVE = """
import json, sys, wsgiref.util
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

call_command("collectstatic", interactive=False, verbosity=0)
from django_sentry_deploy.wsgi import application


def get(path, host="shop.example.com"):
    environ = {"PATH_INFO": path, "HTTP_HOST": host}
    wsgiref.util.setup_testing_defaults(environ)
    status = []
    body = application(environ, lambda s, headers, exc_info=None: status.append(s))
    text = b"".join(body).decode()
    if hasattr(body, "close"):
        body.close()
    return [int(status[0].split()[0]), text]


result = {
    "root_urlconf": settings.ROOT_URLCONF,
    "reverse": [reverse("shop-home"), reverse("catalogue:item", args=[3])],
    "/healthz": get("/healthz"),
    "/healthz by IP": get("/healthz", host="10.1.2.3:8000"),
    "/shop/": get("/shop/"),
    "/shop/ by IP": get("/shop/", host="10.1.2.3:8000")[0],
    "/catalogue/3/": get("/catalogue/3/"),
    "/missing": get("/missing"),
    "/static/shop/site.css": get("/static/shop/site.css"),
    "/sentry-debug/": get("/sentry-debug/")[0],
}
print(json.dumps(result))
"""


def serve(
    tmp_path: Path, env: dict[str, str], urls: str = URLS, settings: str = ""
) -> tuple[dict[str, Any], str]:
    project = write_project(
        tmp_path / "project",
        {
            "shop/settings.py": SETTINGS + settings,
            "shop/urls.py": urls,
            "shop/views.py": VIEWS,
            "shop/static/shop/site.css": "body { color: teal; }\n",
        },
    )
    base = {
        "DJANGO_PROJECT_SETTINGS": "shop.settings",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
    }
    proc: subprocess.CompletedProcess[str] = run_python(
        ["-W", "error", "-c", SERVE], {**base, **env}, tmp_path, project
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


@pytest.mark.parametrize("debug_view", ["0", "1"])
def test_the_projects_urls_work_with_and_without_the_debug_view(
    tmp_path: Path, debug_view: str
) -> None:
    result, stderr = serve(tmp_path, {"SENTRY_DEBUG_VIEW": debug_view})

    assert result["reverse"] == ["/shop/", "/catalogue/3/"]
    assert result["/shop/"] == [200, "/catalogue/7/"]
    assert result["/catalogue/3/"] == [200, "item 3"]
    assert result["/missing"] == [404, "the shop's own 404"]
    assert result["/static/shop/site.css"] == [200, "body { color: teal; }\n"]
    # The project's logger.warning and Django's request warnings reach the console.
    assert "the shop's home was visited" in stderr
    assert "Not Found: /missing" in stderr


def test_the_health_check_answers_in_front_of_django(tmp_path: Path) -> None:
    result, stderr = serve(tmp_path, {})

    assert result["/healthz"] == [200, "ok\n"]
    # No Host validation for the health check (called by IP); Django's for the rest.
    assert result["/healthz by IP"] == [200, "ok\n"]
    assert result["/shop/ by IP"] == 400
    assert "Invalid HTTP_HOST header" in stderr


def test_the_debug_view_is_routed_only_when_asked_for(tmp_path: Path) -> None:
    off, _ = serve(tmp_path, {})
    assert off["root_urlconf"] == "shop.urls"
    assert off["/sentry-debug/"] == 404

    on, stderr = serve(tmp_path, {"SENTRY_DEBUG_VIEW": "1"})
    assert on["root_urlconf"] == "django_sentry_deploy.urls"
    assert on["/sentry-debug/"] == 500
    assert "ZeroDivisionError" in stderr


# The project's URLs under a language prefix (which Django refuses in an included URLconf).
I18N_URLS = (
    URLS.replace("urlpatterns = [", "urlpatterns = i18n_patterns(")
    .replace(
        '    path("catalogue/", include(app_patterns)),\n]',
        '    path("catalogue/", include(app_patterns)),\n)',
    )
    .replace(
        "from shop import views",
        "from django.conf.urls.i18n import i18n_patterns\n\nfrom shop import views",
    )
)
I18N_SETTINGS = """
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "French")]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
]
"""


def test_a_project_with_language_prefixed_urls_keeps_them_with_the_debug_view(
    tmp_path: Path,
) -> None:
    result, _ = serve(tmp_path, {"SENTRY_DEBUG_VIEW": "1"}, I18N_URLS, I18N_SETTINGS)

    assert result["reverse"] == ["/en/shop/", "/en/catalogue/3/"]
    assert result["/sentry-debug/"] == 500
