"""The canary's plan: whether Sentry judges the first batch, since when, and the release each
canary host goes back to, from the records the hosts held before the switch."""

from __future__ import annotations

from pathlib import Path

from module_utils.release_records import canary_plan, mark_rolled_back, read_host, record_serving

AT = "2026-12-06T23:00:00.000000+00:00"


def release(tag: str) -> dict:
    return {
        "tag": tag, "version": tag.split("-")[0], "revision": "", "image": f"acme/web:{tag}",
        "container": f"web-{tag}-c0", "env": {"SENTRY_RELEASE": f"web@{tag.split('-')[0]}"},
    }


def host(root: Path, name: str, *tags: str) -> dict:
    app_dir = root / name
    for tag in tags:
        (app_dir / "config" / release(tag)["container"]).mkdir(parents=True, exist_ok=True)
        record_serving(str(app_dir), release(tag))
    return read_host(str(app_dir))


def test_a_canary_that_switches_is_judged_from_now_against_what_it_served(tmp_path: Path) -> None:
    hosts = {"web1": host(tmp_path, "web1", "1.0-aa"), "web2": host(tmp_path, "web2", "1.0-aa")}

    plan = canary_plan(hosts, ["web1"], "2.0-bb", "2.0", at=AT)

    assert plan["judge"] is True
    assert plan["since"] == "2026-12-06T23:00:00Z"
    assert plan["baseline"] == "1.0"
    assert list(plan["baselines"]) == ["web1"]
    assert plan["baselines"]["web1"]["container"] == "web-1.0-aa-c0"


def test_a_first_deploy_has_nothing_to_compare_with(tmp_path: Path) -> None:
    hosts = {"web1": host(tmp_path, "web1"), "web2": host(tmp_path, "web2")}

    assert canary_plan(hosts, ["web1"], "2.0-bb", "2.0", at=AT)["judge"] is False


def test_a_finished_rollout_is_not_judged_again(tmp_path: Path) -> None:
    hosts = {
        "web1": host(tmp_path, "web1", "1.0-aa", "2.0-bb"),
        "web2": host(tmp_path, "web2", "1.0-aa", "2.0-bb"),
    }

    assert canary_plan(hosts, ["web1"], "2.0-bb", "2.0", at=AT)["judge"] is False


def test_a_canary_left_by_a_killed_run_is_judged_from_when_it_took_traffic(tmp_path: Path) -> None:
    hosts = {
        "web1": host(tmp_path, "web1", "1.0-aa", "2.0-bb"),
        "web2": host(tmp_path, "web2", "1.0-aa"),
    }
    took = next(r for r in hosts["web1"]["records"] if r["tag"] == "2.0-bb")["activated"]

    plan = canary_plan(hosts, ["web1"], "2.0-bb", "2.0", at="2099-01-01T00:00:00+00:00")

    assert plan["judge"] is True
    assert plan["since"] == took[:19] + "Z"
    assert plan["baseline"] == "1.0"
    assert plan["baselines"]["web1"]["tag"] == "1.0-aa"


def test_a_rejected_release_is_never_a_baseline(tmp_path: Path) -> None:
    web1 = host(tmp_path, "web1", "1.0-aa", "1.5-cc", "2.0-bb")
    mark_rolled_back(str(tmp_path / "web1"), "1.5-cc")
    hosts = {"web1": read_host(str(tmp_path / "web1")), "web2": host(tmp_path, "web2", "1.0-aa")}

    plan = canary_plan(hosts, ["web1"], "2.0-bb", "2.0", at=AT)

    assert web1["serving"] == "web-2.0-bb-c0"
    assert plan["baseline"] == "1.0"


def test_a_release_of_the_same_version_cannot_be_compared_in_sentry(tmp_path: Path) -> None:
    hosts = {"web1": host(tmp_path, "web1", "2.0-aa"), "web2": host(tmp_path, "web2", "2.0-aa")}

    assert canary_plan(hosts, ["web1"], "2.0-bb", "2.0", at=AT)["judge"] is False


def test_each_canary_host_goes_back_to_its_own_release(tmp_path: Path) -> None:
    hosts = {
        "web1": host(tmp_path, "web1", "1.0-aa"),
        "web2": host(tmp_path, "web2", "1.1-dd"),
        "web3": host(tmp_path, "web3", "1.0-aa"),
    }

    plan = canary_plan(hosts, ["web1", "web2"], "2.0-bb", "2.0", at=AT)

    assert plan["baseline"] == "1.0"
    tags = {h: r["tag"] for h, r in plan["baselines"].items()}
    assert tags == {"web1": "1.0-aa", "web2": "1.1-dd"}
