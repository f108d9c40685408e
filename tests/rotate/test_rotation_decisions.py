"""The rotation's decisions on their own: every place a run can stop, and what the next run
does from there; the state file's records; the one DSN parser."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils.sentry_dsn import DsnError, env_dsn, parse_dsn
from ansible.module_utils.sentry_rotation import (
    Key,
    RotationError,
    decide,
    read_record,
    recorded_deletions,
    recorded_finish,
    recorded_start,
    write_record,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
OLD, NEW, OTHER = "a" * 32, "b" * 32, "c" * 32
STARTED = {"project": "web", "old_key": "Default", "new_key": "web 2026-11-29",
           "started": "2026-11-29T11:00:00Z", "finished": None, "retired": []}


def keys(*entries: tuple[str, str, bool]) -> list[Key]:
    return [Key(name, public, active) for name, public, active in entries]


BEFORE = keys(("Default", OLD, True), ("Browser", OTHER, True))
CREATED = [*BEFORE, Key("web 2026-11-29", NEW, True)]
RETIRED = keys(("Default", OLD, False), ("Browser", OTHER, True), ("web 2026-11-29", NEW, True))
BOTH_OLD = {"web1": OLD, "web2": OLD}
HALF = {"web1": NEW, "web2": OLD}
BOTH_NEW = {"web1": NEW, "web2": NEW}

# (case, state file, keys, vault's public key, hosts) -> what is left to do
CASES: list[tuple[str, dict[str, Any], list[Key], str, dict[str, str | None],
                  dict[str, Any]]] = [
    ("first run", {}, BEFORE, OLD, BOTH_OLD,
     {"resuming": False, "done": False, "create_key": True, "write_vault": True,
      "retire": True, "hosts_pending": ["web1", "web2"]}),
    ("stopped after creating the key, before the state file", {}, CREATED, OLD, BOTH_OLD,
     {"resuming": False, "create_key": False, "write_vault": True, "retire": True}),
    ("stopped after the state file, before the vault", STARTED, CREATED, OLD, BOTH_OLD,
     {"resuming": True, "create_key": False, "write_vault": True, "retire": True,
      "hosts_pending": ["web1", "web2"]}),
    ("stopped after the vault, before the rollout", STARTED, CREATED, NEW, BOTH_OLD,
     {"resuming": True, "create_key": False, "write_vault": False,
      "hosts_pending": ["web1", "web2"]}),
    ("stopped half-way through the rollout", STARTED, CREATED, NEW, HALF,
     {"resuming": True, "write_vault": False, "retire": True, "hosts_pending": ["web2"]}),
    ("stopped after the rollout, before the old key's deactivation", STARTED, CREATED, NEW,
     BOTH_NEW, {"resuming": True, "write_vault": False, "retire": True, "hosts_pending": []}),
    ("stopped after the deactivation, before the state file's end", STARTED, RETIRED, NEW,
     BOTH_NEW, {"resuming": True, "retire": False, "hosts_pending": []}),
    ("finished: the vault holds the requested key", {**STARTED, "finished": "x"}, RETIRED, NEW,
     BOTH_NEW, {"resuming": False, "done": True, "old_key": "web 2026-11-29"}),
    ("the new key was deleted by hand during the rotation", STARTED, BEFORE, NEW, HALF,
     {"resuming": True, "create_key": True, "write_vault": True,
      "hosts_pending": ["web1", "web2"]}),
    ("the old key was deleted by hand during the rotation", STARTED,
     keys(("web 2026-11-29", NEW, True)), NEW, BOTH_NEW,
     {"resuming": True, "retire": False, "hosts_pending": []}),
    ("a state file of another project is not resumed", {**STARTED, "project": "api"}, BEFORE,
     OLD, BOTH_OLD, {"resuming": False, "create_key": True, "new_key": "web 2026-11-30"}),
    ("a host without a DSN is pending", STARTED, CREATED, NEW, {"web1": NEW, "web2": None},
     {"hosts_pending": ["web2"]}),
]


@pytest.mark.parametrize(("record", "found", "vault", "hosts", "expected"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_what_is_left_to_do(record: dict[str, Any], found: list[Key], vault: str,
                            hosts: dict[str, str | None], expected: dict[str, Any]) -> None:
    # a resumed run may be started another day: the requested name is then another one
    requested = expected.get("new_key", "web 2026-11-30" if record is STARTED
                             else "web 2026-11-29")
    decision = decide(record, found, vault, hosts, requested, "web", NOW, None)
    result = decision.result(sorted(hosts), "acme/web")
    wanted = {"old_key": "Default", "new_key": "web 2026-11-29", **expected}
    assert {k: result[k] for k in wanted} == wanted


def test_a_resumed_run_keeps_the_keys_it_started_with() -> None:
    decision = decide(STARTED, CREATED, NEW, BOTH_OLD, "web 2026-12-01", "web", NOW, None)
    assert (decision.old_key, decision.new_key, decision.resuming) == (
        "Default", "web 2026-11-29", True)


@pytest.mark.parametrize(("record", "found", "vault", "message"), [
    ({}, BEFORE, NEW, "the vault's DSN is not a client key of project web"),
    (STARTED, CREATED, OTHER, 'the vault\'s DSN is key "Browser", neither the old key'),
    ({}, [*BEFORE, Key("Default", NEW, True)], OLD, '2 client keys are named "Default"'),
    ({}, [*CREATED, Key("web 2026-11-29", "d" * 32, True)], OLD,
     '2 client keys are named "web 2026-11-29"'),
])
def test_refusals_name_keys_never_a_dsn(record: dict[str, Any], found: list[Key], vault: str,
                                        message: str) -> None:
    with pytest.raises(RotationError) as caught:
        decide(record, found, vault, BOTH_OLD, "web 2026-11-29", "web", NOW, None)
    assert str(caught.value).startswith(message)
    for public in (OLD, NEW, OTHER):
        assert public not in str(caught.value)


def test_retired_keys_are_due_after_their_grace_period_only() -> None:
    retired = [
        {"name": "old 1", "deactivated": "2026-11-01T00:00:00Z", "deleted": None},
        {"name": "old 2", "deactivated": "2026-11-28T00:00:00Z", "deleted": None},
        {"name": "old 3", "deactivated": "2026-10-01T00:00:00Z",
         "deleted": "2026-10-20T00:00:00Z"},
        {"name": "Default", "deactivated": "2026-10-01T00:00:00Z", "deleted": None},
    ]
    record = {**STARTED, "finished": "2026-11-01T00:00:00Z", "retired": retired}
    found = [*BEFORE, Key("web 2026-11-29", NEW, True)]
    assert decide(record, found, OLD, BOTH_OLD, "Default", "web", NOW, 7).expired == ["old 1"]
    assert decide(record, found, OLD, BOTH_OLD, "Default", "web", NOW, None).expired == []
    # the key the vault holds is never due, whatever the file says
    assert "Default" not in decide(record, found, OLD, BOTH_OLD, "x", "web", NOW, 0).expired


def test_records_of_each_step(tmp_path: Path) -> None:
    path = str(tmp_path / "sentry_dsn_rotation.yml")
    assert read_record(path) == {}
    started = recorded_start({}, "web", "Default", "web 2026-11-29", NOW)
    assert write_record(path, started)
    assert not write_record(path, started)
    assert read_record(path) == started
    assert recorded_start(started, "web", "Default", "web 2026-11-29",
                          NOW + timedelta(hours=1)) == started
    later = NOW + timedelta(hours=1)
    finished = recorded_finish(started, "Default", later)
    assert finished["finished"] == "2026-11-29T13:00:00Z"
    assert finished["retired"] == [{"name": "Default", "deactivated": "2026-11-29T13:00:00Z",
                                    "deleted": None}]
    assert recorded_finish(finished, "Default", later + timedelta(days=1)) == finished
    deleted = recorded_deletions(finished, ["Default"], later + timedelta(days=30))
    assert deleted["retired"][0]["deleted"] == "2026-12-29T13:00:00Z"
    write_record(path, deleted)
    assert (tmp_path / "sentry_dsn_rotation.yml").stat().st_mode & 0o777 == 0o644
    assert read_record(path) == deleted


@pytest.mark.parametrize("text", ["[1, 2]", "old_key: 1\nnew_key: x\n", "{: ["])
def test_a_state_file_of_the_wrong_shape_is_refused(tmp_path: Path, text: str) -> None:
    (tmp_path / "state.yml").write_text(text)
    with pytest.raises(RotationError, match=r"state\.yml"):
        read_record(str(tmp_path / "state.yml"))


def test_unquoted_times_in_a_hand_edited_file_are_read(tmp_path: Path) -> None:
    (tmp_path / "state.yml").write_text(
        "project: web\nold_key: Default\nnew_key: web 2026-11-29\n"
        "started: 2026-11-29T11:00:00Z\nfinished: 2026-11-29T12:00:00Z\nretired:\n"
        "- {name: Default, deactivated: 2026-11-29T12:00:00Z, deleted: null}\n")
    record = read_record(str(tmp_path / "state.yml"))
    assert record["finished"] == "2026-11-29T12:00:00Z"
    assert record["retired"][0]["deactivated"] == "2026-11-29T12:00:00Z"


# ---- the one DSN parser -----------------------------------------------------------------


@pytest.mark.parametrize(("dsn", "parts"), [
    (f"https://{OLD}@o1.ingest.sentry.io/4501",
     (OLD, None, "o1.ingest.sentry.io", None, "", "4501")),
    (f"http://{OLD}:{NEW}@127.0.0.1:9000/sentry/4501/",
     (OLD, NEW, "127.0.0.1", 9000, "/sentry", "4501")),
    (f"  https://{OLD}@example.com/7\n", (OLD, None, "example.com", None, "", "7")),
])
def test_dsn_parts(dsn: str, parts: tuple[Any, ...]) -> None:
    found = parse_dsn(dsn)
    assert (found.public_key, found.secret_key, found.host, found.port, found.path,
            found.project_id) == parts
    assert OLD not in repr(found)


@pytest.mark.parametrize(("dsn", "problem"), [
    ("", "it is empty"), (None, "it is empty"),
    (f"ftp://{OLD}@example.com/1", "the scheme must be http or https"),
    (f"https://{OLD}@/1", "it has no host"),
    ("https://example.com/1", "it has no public key"),
    (f"https://{OLD}@example.com/web", "the path must end in a numeric project id"),
    (f"https://{OLD}@example.com:99999/1", "the host or port cannot be parsed"),
    (f"https://{OLD}@example.com/1?x=1", "it has a query or fragment"),
])
def test_dsn_problems_never_quote_it(dsn: Any, problem: str) -> None:
    with pytest.raises(DsnError) as caught:
        parse_dsn(dsn, "vault_dsn")
    assert str(caught.value).startswith(f"vault_dsn is not a valid Sentry DSN: {problem}")
    assert OLD not in str(caught.value)


@pytest.mark.parametrize(("env", "dsn"), [
    (f"DJANGO_SECRET_KEY='x'\nSENTRY_DSN='https://{OLD}@h/1'\nDSN='https://{NEW}@h/1'\n",
     f"https://{OLD}@h/1"),
    (f"DSN=\"https://{NEW}@h/1\"\n", f"https://{NEW}@h/1"),
    (f"SENTRY_DSN=''\nDSN=https://{NEW}@h/1 # legacy\n", f"https://{NEW}@h/1"),
    ("DJANGO_SECRET_KEY='x'\n", None),
])
def test_the_dsn_of_an_env_file(env: str, dsn: str | None) -> None:
    assert env_dsn(env) == dsn
    assert base64.b64encode(env.encode())  # what slurp hands the module
