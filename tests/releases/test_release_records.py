"""The release records: what a host keeps, and the fleet's one rollback target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from module_utils.release_records import (
    RecordError,
    mark_rolled_back,
    prune,
    read_host,
    record_serving,
    rollback_plan,
)


def release(tag: str, container: str | None = None) -> dict:
    return {
        "tag": tag,
        "version": tag.split("-")[0],
        "revision": "",
        "image": f"acme/web:{tag}",
        "container": container or f"web-{tag}-c0",
        "env": {"SENTRY_RELEASE": f"web@{tag}"},
    }


def deploy(app_dir: Path, *tags: str) -> None:
    for tag in tags:
        (app_dir / "config" / release(tag)["container"]).mkdir(parents=True, exist_ok=True)
        record_serving(str(app_dir), release(tag))


def test_recording_a_release_names_the_serving_container_and_links_its_env(tmp_path: Path) -> None:
    assert record_serving(str(tmp_path), release("1.0-aa"))
    host = read_host(str(tmp_path))
    assert host["serving"] == "web-1.0-aa-c0"
    assert [r["tag"] for r in host["records"]] == ["1.0-aa"]
    assert (tmp_path / ".env").is_symlink()
    assert str((tmp_path / ".env").readlink()) == "config/web-1.0-aa-c0/.env"


def test_recording_the_serving_release_again_changes_nothing(tmp_path: Path) -> None:
    record_serving(str(tmp_path), release("1.0-aa"))
    before = (tmp_path / "releases" / "1.0-aa.json").read_text()
    assert not record_serving(str(tmp_path), release("1.0-aa"))
    assert (tmp_path / "releases" / "1.0-aa.json").read_text() == before


def test_an_empty_host_has_no_release(tmp_path: Path) -> None:
    assert read_host(str(tmp_path / "missing")) == {"serving": "", "records": [], "configs": []}


def test_a_corrupt_record_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "releases").mkdir()
    (tmp_path / "releases" / "x.json").write_text("{not json")
    with pytest.raises(RecordError, match="cannot read the release record"):
        read_host(str(tmp_path))


def test_a_tag_that_is_not_a_tag_never_becomes_a_path(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="not a release tag"):
        record_serving(str(tmp_path), release("../../etc/passwd"))


def test_prune_keeps_the_newest_and_the_serving_release(tmp_path: Path) -> None:
    deploy(tmp_path, "1-a", "2-b", "3-c", "4-d")
    (tmp_path / "config" / "web-failed-c9").mkdir()
    dropped = prune(str(tmp_path), 2, ["web-4-d-c0"])
    assert [r["tag"] for r in dropped["records"]] == ["2-b", "1-a"]
    assert sorted(dropped["configs"]) == ["web-1-a-c0", "web-2-b-c0", "web-failed-c9"]
    assert [r["tag"] for r in read_host(str(tmp_path))["records"]] == ["4-d", "3-c"]
    assert read_host(str(tmp_path))["configs"] == ["web-3-c-c0", "web-4-d-c0"]


def fleet(*hosts: Path) -> dict:
    return {path.name: read_host(str(path)) for path in hosts}


def test_rollback_goes_to_the_release_before_the_last_one(tmp_path: Path) -> None:
    h1 = tmp_path / "h1"
    deploy(h1, "1-a", "2-b")
    plan = rollback_plan(fleet(h1))
    assert (plan["tag"], plan["from"], plan["rolled_back"]) == ("1-a", "2-b", "2-b")


def test_a_fleet_left_half_way_goes_back_to_one_release(tmp_path: Path) -> None:
    h1, h2, h3 = tmp_path / "h1", tmp_path / "h2", tmp_path / "h3"
    for host in (h1, h2, h3):
        deploy(host, "1-a", "2-b")
    deploy(h1, "3-c")  # the deploy of 3-c stopped after the first host
    plans = {rollback_plan(fleet(h1, h2, h3))["tag"]}
    assert plans == {"2-b"}


def test_two_rollbacks_in_a_row_never_return_to_the_bad_release(tmp_path: Path) -> None:
    h1 = tmp_path / "h1"
    deploy(h1, "1-a", "2-b", "3-c")
    first = rollback_plan(fleet(h1))
    mark_rolled_back(str(h1), first["rolled_back"])
    deploy(h1, first["tag"])
    second = rollback_plan(fleet(h1))
    assert (first["tag"], second["tag"]) == ("2-b", "1-a")


def test_a_redeploy_clears_the_rolled_back_mark(tmp_path: Path) -> None:
    h1 = tmp_path / "h1"
    deploy(h1, "1-a", "2-b")
    mark_rolled_back(str(h1), "2-b")
    deploy(h1, "2-b")
    assert "rolled_back" not in json.loads((h1 / "releases" / "2-b.json").read_text())


def test_rollback_to_a_named_release_or_a_clear_error(tmp_path: Path) -> None:
    h1 = tmp_path / "h1"
    deploy(h1, "1-a", "2-b", "3-c")
    assert rollback_plan(fleet(h1), "1")["tag"] == "1-a"
    named = r"no retained release is named 9[.]9[.]9 [(]retained: 3-c, 2-b, 1-a[)]"
    with pytest.raises(RecordError, match=named):
        rollback_plan(fleet(h1), "9.9.9")


def test_a_target_some_host_lacks_is_refused_naming_the_host(tmp_path: Path) -> None:
    h1, h2 = tmp_path / "h1", tmp_path / "h2"
    deploy(h1, "1-a", "2-b")
    deploy(h2, "2-b")
    with pytest.raises(RecordError, match="release 1-a is not retained on h2"):
        rollback_plan(fleet(h1, h2))


def test_no_earlier_release_is_a_clear_error(tmp_path: Path) -> None:
    h1 = tmp_path / "h1"
    deploy(h1, "1-a")
    with pytest.raises(RecordError, match="no earlier release is retained"):
        rollback_plan(fleet(h1))
