"""sentry_client_key and sentry_release against the Sentry stand-in."""

from __future__ import annotations

from typing import Any

from sentry_harness import run_module

KEYS = "/api/0/projects/acme/web/keys/"
RELEASES = "/api/0/organizations/acme/releases/"


def base(standin: Any, **overrides: Any) -> dict[str, Any]:
    values = {"api_url": standin.url, "api_token": standin.full_token, "org": "acme"}
    values.update(overrides)
    return values


def calls(standin: Any, since: int = 0) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in standin.requests()[since:]]


def web_keys(standin: Any) -> list[dict[str, Any]]:
    state = standin.state()
    return [k for k in state["keys"] if str(k["projectId"]) == "4501"]


def key_args(standin: Any, **overrides: Any) -> dict[str, Any]:
    return base(standin, project="web", name="production", **overrides)


def test_key_create_noop_deactivate_delete(sentry_standin: Any) -> None:
    created = run_module("sentry_client_key", key_args(sentry_standin))
    assert (created["changed"], created["action"], created["active"]) == (True, "created", True)
    assert "dsn" not in created and "id" not in created
    assert calls(sentry_standin) == [("GET", KEYS), ("POST", KEYS)]

    mark = len(sentry_standin.requests())
    again = run_module("sentry_client_key", key_args(sentry_standin))
    assert (again["changed"], again["action"]) == (False, "unchanged")
    assert calls(sentry_standin, mark) == [("GET", KEYS)]

    mark = len(sentry_standin.requests())
    off = run_module("sentry_client_key", key_args(sentry_standin, active=False))
    assert (off["changed"], off["action"], off["active"]) == (True, "updated", False)
    [(method, path)] = [c for c in calls(sentry_standin, mark) if c[0] != "GET"]
    assert method == "PUT" and path.startswith(KEYS)
    assert [r["body"] for r in sentry_standin.requests()[mark:] if r["method"] == "PUT"] == [
        {"isActive": False}
    ]

    gone = run_module("sentry_client_key", key_args(sentry_standin, state="absent"))
    assert (gone["changed"], gone["action"]) == (True, "deleted")
    assert [k["name"] for k in web_keys(sentry_standin)] == ["Default"]


def test_key_rate_limit_set_and_removed(sentry_standin: Any) -> None:
    limited = key_args(sentry_standin, rate_limit={"count": 100, "window": 60})
    assert run_module("sentry_client_key", limited)["rate_limit"] == {"count": 100, "window": 60}
    assert not run_module("sentry_client_key", limited)["changed"]
    unlimited = run_module("sentry_client_key", key_args(sentry_standin, rate_limit={}))
    assert unlimited["changed"] and unlimited["rate_limit"] is None


def test_key_reveal_requires_no_log(sentry_standin: Any) -> None:
    refused = run_module("sentry_client_key", key_args(sentry_standin, reveal=True))
    assert refused["failed"] and "no_log" in refused["msg"]
    assert sentry_standin.requests() == []
    revealed = run_module("sentry_client_key", key_args(sentry_standin, reveal=True), no_log=True)
    [key] = [k for k in web_keys(sentry_standin) if k["name"] == "production"]
    assert revealed["dsn"].startswith("http") and key["public"] in revealed["dsn"]


def test_key_check_mode_writes_nothing(sentry_standin: Any) -> None:
    preview = run_module("sentry_client_key", key_args(sentry_standin, active=False), check=True)
    assert (preview["changed"], preview["action"]) == (True, "created")
    assert preview["diff"]["after"] == {"name": "production", "active": False, "rate_limit": None}
    assert all(method == "GET" for method, _ in calls(sentry_standin))


def test_key_invalid_rate_limit_makes_no_request(sentry_standin: Any) -> None:
    result = run_module("sentry_client_key", key_args(sentry_standin, rate_limit={"count": 5}))
    assert result["failed"] and "rate_limit needs both count and window" in result["msg"]
    assert sentry_standin.requests() == []


def release_args(standin: Any, **overrides: Any) -> dict[str, Any]:
    values = base(
        standin,
        version="web@1.4.2",
        projects=["web"],
        ref="3f2c1a9",
        deploy={"environment": "production", "name": "deploy-1"},
    )
    values.update(overrides)
    return values


def test_release_and_deploy_recorded_once(sentry_standin: Any) -> None:
    first = run_module("sentry_release", release_args(sentry_standin))
    assert (first["release_action"], first["deploy_action"]) == ("created", "created")
    version = RELEASES + "web%401.4.2/"
    assert calls(sentry_standin) == [
        ("GET", version),
        ("POST", RELEASES),
        ("POST", version + "deploys/"),
    ]
    mark = len(sentry_standin.requests())
    again = run_module("sentry_release", release_args(sentry_standin))
    assert (again["changed"], again["deploy_action"]) == (False, "unchanged")
    assert all(method == "GET" for method, _ in calls(sentry_standin, mark))

    later = release_args(sentry_standin, deploy={"environment": "production", "name": "deploy-2"})
    assert run_module("sentry_release", later)["deploy_action"] == "created"
    deploys = sentry_standin.state()["deploys"]["web@1.4.2"]
    assert sorted(d["name"] for d in deploys) == ["deploy-1", "deploy-2"]


def test_release_adds_a_missing_project_and_check_mode_is_read_only(sentry_standin: Any) -> None:
    run_module("sentry_release", release_args(sentry_standin, deploy=None))
    both = release_args(sentry_standin, projects=["web", "api"], deploy=None)
    mark = len(sentry_standin.requests())
    preview = run_module("sentry_release", both, check=True)
    assert preview["changed"] and preview["diff"]["after"]["release"]["projects"] == ["api", "web"]
    assert all(method == "GET" for method, _ in calls(sentry_standin, mark))
    assert run_module("sentry_release", both)["release_action"] == "updated"
    [release] = sentry_standin.state()["releases"]
    assert sorted(p["slug"] for p in release["projects"]) == ["api", "web"]
    assert not run_module("sentry_release", both)["changed"]


def test_release_invalid_input_makes_no_request(sentry_standin: Any) -> None:
    bad = release_args(sentry_standin, version="web/1.0", url="ftp://x")
    result = run_module("sentry_release", bad)
    assert (
        result["failed"] and "without slashes" in result["msg"] and "http(s) URL" in result["msg"]
    )
    assert sentry_standin.requests() == []


def test_key_created_behind_a_gateway_error_is_not_duplicated(sentry_standin: Any) -> None:
    sentry_standin.add_fault(method="POST", path=KEYS, count=1, status=502, apply=True)
    created = run_module("sentry_client_key", key_args(sentry_standin))
    assert (created["changed"], created["action"]) == (True, "created")
    assert [k["name"] for k in web_keys(sentry_standin)] == ["Default", "production"]
    assert [c for c in calls(sentry_standin) if c[0] == "POST"] == [("POST", KEYS)]


def test_keys_are_listed_without_secrets(sentry_standin: Any) -> None:
    result = run_module("sentry_client_key", key_args(sentry_standin, active=False))
    assert [(k["name"], k["active"]) for k in result["keys"]] == [
        ("Default", True), ("production", False),
    ]
    secrets = [k["public"] for k in web_keys(sentry_standin)]
    assert all(secret not in str(result) for secret in secrets) and len(secrets) == 2


def test_release_created_behind_a_gateway_error_is_read_back(sentry_standin: Any) -> None:
    sentry_standin.add_fault(method="POST", path=RELEASES + "$", count=1, status=504, apply=True)
    first = run_module("sentry_release", release_args(sentry_standin, deploy=None))
    assert first["release_action"] == "created"
    assert [c for c in calls(sentry_standin) if c[0] == "POST"] == [("POST", RELEASES)]
    assert len(sentry_standin.state()["releases"]) == 1
