"""The rotation's modules against the stand-in: sentry_client_key_info and sentry_event_info
(read-only), sentry_dsn_rotation (the plan, and the records of each step)."""

from __future__ import annotations

import base64
import json
import urllib.request
from pathlib import Path
from typing import Any

import yaml
from sentry_harness import run_module

KEYS = "/api/0/projects/acme/web/keys/"


def base(standin: Any, **overrides: Any) -> dict[str, Any]:
    return {"api_url": standin.url, "api_token": standin.full_token, "org": "acme",
            "project": "web", **overrides}


def web_keys(standin: Any) -> list[dict[str, Any]]:
    return [k for k in standin.state()["keys"] if str(k["projectId"]) == "4501"]


def env_file(dsn: str) -> str:
    return base64.b64encode(f"DJANGO_SECRET_KEY='s'\nSENTRY_DSN='{dsn}'\n".encode()).decode()


def test_key_info_lists_every_page_without_secrets(sentry_standin: Any) -> None:
    for name in ("two", "three"):
        run_module("sentry_client_key", base(sentry_standin, name=name))
    mark = len(sentry_standin.requests())
    found = run_module("sentry_client_key_info", base(sentry_standin))
    assert not found["changed"]
    assert [k["name"] for k in found["keys"]] == ["Default", "two", "three"]
    assert all(k["project_id"] == "4501" for k in found["keys"])
    text = json.dumps(found)
    for key in web_keys(sentry_standin):
        assert key["public"] not in text
    assert {r["method"] for r in sentry_standin.requests()[mark:]} == {"GET"}
    one = run_module("sentry_client_key_info", base(sentry_standin, name="two"))
    assert [k["name"] for k in one["keys"]] == ["two"]


def test_key_info_reveals_only_under_no_log(sentry_standin: Any) -> None:
    refused = run_module("sentry_client_key_info", base(sentry_standin, reveal=True))
    assert refused["failed"] and "no_log" in refused["msg"]
    shown = run_module("sentry_client_key_info", base(sentry_standin, reveal=True), no_log=True)
    [default] = shown["keys"]
    assert default["dsn"] == web_keys(sentry_standin)[0]["dsn"]["public"]


def send_event(standin: Any, tag: str, value: str) -> None:
    key = web_keys(standin)[0]["public"]
    body = json.dumps({"event_id": "ab" * 16, "message": "proof", "level": "error",
                       "tags": {tag: value}})
    envelope = (json.dumps({"event_id": "ab" * 16}) + "\n" + json.dumps(
        {"type": "event", "length": len(body)}) + "\n" + body + "\n").encode()
    request = urllib.request.Request(
        f"{standin.url}/api/4501/envelope/?sentry_key={key}", data=envelope, method="POST",
        headers={"Content-Type": "application/x-sentry-envelope"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def test_event_info_finds_the_tagged_event(sentry_standin: Any) -> None:
    args = base(sentry_standin, tag="dsn_rotation", value="run-1-web1", wait=0)
    assert run_module("sentry_event_info", args)["events"] == []
    send_event(sentry_standin, "dsn_rotation", "run-1-web1")
    send_event(sentry_standin, "dsn_rotation", "run-1-web2")
    found = run_module("sentry_event_info", args)
    assert (found["changed"], len(found["events"]), found["project_id"]) == (False, 1, "4501")


def test_event_info_waits_and_then_reports_none(sentry_standin: Any) -> None:
    found = run_module("sentry_event_info", base(sentry_standin, tag="dsn_rotation",
                                                  value="never", wait=0.3, interval=0.1))
    assert found["events"] == [] and found["looks"] >= 3


def test_event_info_refuses_what_cannot_go_into_a_query(sentry_standin: Any) -> None:
    bad = run_module("sentry_event_info", base(sentry_standin, tag="dsn_rotation",
                                                value="x y OR level:error"))
    assert bad["failed"] and bad["msg"].startswith("value must be")
    assert sentry_standin.requests() == []


def rotation(standin: Any, tmp_path: Path, vault: str, hosts: dict[str, str],
             **extra: Any) -> dict[str, Any]:
    return run_module("sentry_dsn_rotation", base(
        standin, state_file=str(tmp_path / "sentry_dsn_rotation.yml"), vault_dsn=vault,
        host_env_files={h: env_file(d) for h, d in hosts.items()},
        **{"key_name": "web 2026-11-29", **extra}))


def test_the_rotation_plan_and_its_records(sentry_standin: Any, tmp_path: Path) -> None:
    old = web_keys(sentry_standin)[0]["dsn"]["public"]
    first = rotation(sentry_standin, tmp_path, old, {"web1": old, "web2": old})
    assert (first["changed"], first["resuming"], first["create_key"], first["old_key"],
            first["new_key"], first["hosts_pending"]) == (
        False, False, True, "Default", "web 2026-11-29", ["web1", "web2"])
    assert "Start the rotation of acme/web" in first["plan"]
    assert old not in json.dumps(first)
    assert not (tmp_path / "sentry_dsn_rotation.yml").exists()

    run_module("sentry_client_key", base(sentry_standin, name="web 2026-11-29"))
    started = run_module("sentry_dsn_rotation", base(
        sentry_standin, state_file=str(tmp_path / "sentry_dsn_rotation.yml"), step="started",
        old_key="Default", new_key="web 2026-11-29"))
    assert started["changed"]
    new = next(k for k in web_keys(sentry_standin) if k["name"] == "web 2026-11-29")
    resumed = rotation(sentry_standin, tmp_path, new["dsn"]["public"],
                       {"web1": new["dsn"]["public"], "web2": old},
                       key_name="web 2026-11-30")
    assert (resumed["resuming"], resumed["new_key"], resumed["create_key"],
            resumed["write_vault"], resumed["hosts_pending"]) == (
        True, "web 2026-11-29", False, False, ["web2"])

    finished = run_module("sentry_dsn_rotation", base(
        sentry_standin, state_file=str(tmp_path / "sentry_dsn_rotation.yml"), step="finished",
        old_key="Default"))
    assert finished["changed"]
    record = yaml.safe_load((tmp_path / "sentry_dsn_rotation.yml").read_text())
    assert record["retired"][0]["name"] == "Default" and record["finished"]
    again = run_module("sentry_dsn_rotation", base(
        sentry_standin, state_file=str(tmp_path / "sentry_dsn_rotation.yml"), step="finished",
        old_key="Default"))
    assert not again["changed"]


def test_the_rotation_refuses_a_vault_dsn_of_another_project(
    sentry_standin: Any, tmp_path: Path
) -> None:
    other = next(k for k in sentry_standin.state()["keys"] if str(k["projectId"]) != "4501")
    refused = rotation(sentry_standin, tmp_path, other["dsn"]["public"], {})
    assert refused["failed"]
    assert refused["msg"].startswith("the vault's DSN is not a client key of project web")
    assert other["dsn"]["public"] not in json.dumps(refused)


def test_the_rotation_refuses_an_invalid_dsn_without_quoting_it(
    sentry_standin: Any, tmp_path: Path
) -> None:
    refused = rotation(sentry_standin, tmp_path, "ftp://secretpart@example.com/1", {})
    assert refused["failed"] and "the scheme must be http or https" in refused["msg"]
    assert "secretpart" not in json.dumps(refused)
    assert sentry_standin.requests() == []
