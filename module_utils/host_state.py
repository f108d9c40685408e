"""What an app host holds against what a deploy would make of it, read in one pass.

A deploy that finds every file, container, image and record as it would leave them has
nothing to do; the role runs only the steps whose concern is listed in ``todo``. Each
expected file names its concern (``directories``, ``env``, ``proxy_stage``, ``proxy``...),
so a deleted proxy file or a ``.env`` whose mode was changed brings back exactly the step
that writes it. Read-only: nothing here changes the host.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from ansible.module_utils.docker_socket import DockerSocket
from ansible.module_utils.host_files import file_drift
from ansible.module_utils.release_records import read_host

APP_LABEL = "org.django-sentry-deploy.app"
SETTINGS_LABEL = "org.django-sentry-deploy.settings"


def serving_drift(document: dict[str, Any] | None, serving: str, wanted: str) -> str | None:
    """Why the host must switch to ``wanted``, or None when it serves it healthy."""
    if serving != wanted:
        return f"serves {serving or 'no release'}, not {wanted}"
    if document is None:
        return f"container {wanted} is missing"
    state = document.get("State") or {}
    if not state.get("Running"):
        return f"container {wanted} is {state.get('Status') or 'not running'}"
    health = (state.get("Health") or {}).get("Status", "healthy")
    if health != "healthy":
        return f"container {wanted} is {health}"
    return None


def proxy_drift(
    document: dict[str, Any] | None, name: str, image: str, settings: str
) -> str | None:
    """Why the proxy container must be (re)started, or None when it runs as the deploy sets it."""
    if document is None:
        return f"container {name} is missing"
    config = document.get("Config") or {}
    if config.get("Image") != image:
        return f"container {name} runs {config.get('Image')}, not {image}"
    if (config.get("Labels") or {}).get(SETTINGS_LABEL) != settings:
        return f"container {name} was started with other settings"
    if not (document.get("State") or {}).get("Running"):
        return f"container {name} is not running"
    return None


def _names(listing: Iterable[dict[str, Any]]) -> list[str]:
    return sorted(name.lstrip("/") for entry in listing for name in entry.get("Names") or [])


def read_state(params: Mapping[str, Any], docker: DockerSocket) -> dict[str, Any]:
    """The host's releases, what differs from the deploy's goal, and the concerns to run."""
    app_dir, name, wanted = params["app_dir"], params["name"], params["container"]
    releases = read_host(app_dir)
    drift: list[tuple[str, str]] = []

    def note(concern: str, what: str | None, subject: str) -> None:
        if what:
            drift.append((concern, f"{subject}: {what}"))

    for expected in params["files"]:
        note(expected["concern"], file_drift(expected), expected["path"])
    current = docker.container(releases["serving"]) if releases["serving"] else None
    note("switch", serving_drift(current, releases["serving"], wanted), "release")
    missing = [image for image in params["images"] if docker.image(image) is None]
    if missing:
        note("images", "lacks " + ", ".join(missing), "images")
    if docker.network(name) is None:
        note("network", "missing", f"network {name}")
    if params["volume"] and docker.volume(params["volume"]) is None:
        note("volume", "missing", f"volume {params['volume']}")
    proxy = params.get("proxy")
    if proxy:
        proxy_document = docker.container(proxy["name"])
        note("proxy", proxy_drift(proxy_document, proxy["name"], proxy["image"],
                                  proxy["settings"]), "proxy")
    others = [c for c in _names(docker.containers(f"{APP_LABEL}={name}")) if c != wanted]
    if others:
        note("drain", "older containers " + ", ".join(others), "release")
    for concern, marker in (("readmit", "out-of-rotation"), ("lock", "deploy.lock")):
        if os.path.lexists(os.path.join(app_dir, marker)):
            note(concern, "present", os.path.join(app_dir, marker))
    return {
        **releases,
        "current": _container_summary(current),
        "missing_images": missing,
        "drift": [line for _, line in drift],
        "todo": sorted({concern for concern, _ in drift}),
    }


def _container_summary(document: dict[str, Any] | None) -> dict[str, Any]:
    state = (document or {}).get("State") or {}
    return {
        "exists": document is not None,
        "running": bool(state.get("Running")),
        "health": (state.get("Health") or {}).get("Status", ""),
    }
