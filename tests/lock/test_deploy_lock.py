"""The deploy lock's decisions and its file: taking, taking again, being refused, breaking,
releasing, an unreadable lock file, check mode, and runs racing for a free lock."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils import deploy_lock
from ansible.module_utils.deploy_lock import LockError, apply, format_age

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5, seconds=3)
ALICE = {"run_id": "run-a", "holder": "alice@laptop (ansible-playbook deploy.yml, pid 1234)",
         "since": "2026-12-06T12:00:00Z"}
BOB = {"run_id": "run-b", "holder": "bob@desk (ansible-playbook deploy.yml, pid 99)",
       "since": "2026-12-06T12:05:03Z"}
HINT = "if that run is no longer running, re-run with -e django_app_lock_break=true"


def params(path: Path, who: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"path": str(path), "run_id": who["run_id"], "holder": who["holder"],
            "state": "present", "force": False, **extra}


def content(path: Path) -> Any:
    return json.loads(path.read_text())


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    return tmp_path / "opt/web/deploy.lock"


@pytest.fixture
def held(lock: Path) -> Path:
    """The lock, taken by alice's run at NOW."""
    apply(params(lock, ALICE), False, NOW)
    return lock


def test_a_free_lock_is_taken_and_its_directories_created_0755(lock: Path) -> None:
    outcome = apply(params(lock, ALICE), False, NOW)
    assert outcome.result() == {"changed": True, "lock": ALICE, "broken": None}
    assert content(lock) == ALICE
    assert stat.S_IMODE(lock.stat().st_mode) == 0o644
    assert stat.S_IMODE(lock.parent.stat().st_mode) == 0o755
    assert stat.S_IMODE(lock.parent.parent.stat().st_mode) == 0o755


def test_taking_the_lock_again_in_the_same_run_changes_nothing(held: Path) -> None:
    before = held.read_bytes()
    outcome = apply(params(held, {**ALICE, "holder": "alice again"}), False, LATER)
    assert outcome.result() == {"changed": False, "lock": ALICE, "broken": None}
    assert held.read_bytes() == before


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_lock_held_by_another_run_is_refused_naming_holder_since_and_flag(
    held: Path, check_mode: bool
) -> None:
    before = held.read_bytes()
    with pytest.raises(LockError) as error:
        apply(params(held, BOB), check_mode, LATER)
    assert str(error.value) == (
        f"{held} is held by alice@laptop (ansible-playbook deploy.yml, pid 1234) since "
        f"2026-12-06T12:00:00Z (5m 3s ago); {HINT}"
    )
    assert held.read_bytes() == before


def test_a_holder_without_a_name_is_named_by_its_run_id(lock: Path) -> None:
    apply(params(lock, {**ALICE, "holder": None}), False, NOW)
    with pytest.raises(LockError, match=r"is held by run run-a since 2026-12-06T12:00:00Z "):
        apply(params(lock, BOB), False, LATER)


def test_force_breaks_another_runs_lock_and_reports_it(held: Path) -> None:
    outcome = apply(params(held, BOB, force=True), False, LATER)
    assert outcome.result() == {"changed": True, "lock": BOB, "broken": ALICE}
    assert content(held) == BOB


def test_force_on_this_runs_own_lock_breaks_nothing(held: Path) -> None:
    outcome = apply(params(held, ALICE, force=True), False, LATER)
    assert outcome.result() == {"changed": False, "lock": ALICE, "broken": None}


def test_releasing_this_runs_lock_removes_it(held: Path) -> None:
    outcome = apply(params(held, ALICE, state="absent"), False, LATER)
    assert outcome.result() == {"changed": True, "lock": None, "broken": None}
    assert not held.exists()


def test_releasing_another_runs_lock_leaves_it_and_warns(held: Path) -> None:
    before = held.read_bytes()
    outcome = apply(params(held, BOB, state="absent"), False, LATER)
    assert outcome.result() == {"changed": False, "lock": ALICE, "broken": None}
    assert outcome.warnings == [
        f"{held} is held by alice@laptop (ansible-playbook deploy.yml, pid 1234) since "
        "2026-12-06T12:00:00Z (5m 3s ago), not by this run: left in place"
    ]
    assert held.read_bytes() == before


def test_releasing_another_runs_lock_with_force_removes_it_and_reports_it(held: Path) -> None:
    outcome = apply(params(held, BOB, state="absent", force=True), False, LATER)
    assert outcome.result() == {"changed": True, "lock": None, "broken": ALICE}
    assert not held.exists()


def test_releasing_without_a_lock_file_changes_nothing_and_creates_nothing(lock: Path) -> None:
    outcome = apply(params(lock, ALICE, state="absent"), False, NOW)
    assert outcome.result() == {"changed": False, "lock": None, "broken": None}
    assert outcome.warnings == []
    assert not lock.parent.exists()


@pytest.mark.parametrize("text", [
    "", '{"run_id": "run-a", "hold', "[]", '{"holder": "alice", "since": "x"}',
    '{"run_id": "", "holder": null, "since": "2026-12-06T12:00:00Z"}',
    '{"run_id": "run-a", "holder": 7, "since": "2026-12-06T12:00:00Z"}',
])
def test_an_unreadable_lock_file_is_held_by_an_unknown_holder_until_forced(
    lock: Path, text: str
) -> None:
    lock.parent.mkdir(parents=True)
    lock.write_text(text)
    os.utime(lock, (NOW.timestamp(), NOW.timestamp()))
    unknown = {"run_id": None, "holder": None, "since": "2026-12-06T12:00:00Z"}
    with pytest.raises(LockError) as error:
        apply(params(lock, BOB), False, LATER)
    assert str(error.value) == (
        f"{lock} is held by an unknown holder (unreadable lock file) since "
        f"2026-12-06T12:00:00Z (5m 3s ago); {HINT}"
    )
    assert lock.read_text() == text
    outcome = apply(params(lock, BOB, state="absent"), False, LATER)
    assert (outcome.changed, outcome.lock) == (False, unknown)
    assert lock.read_text() == text
    outcome = apply(params(lock, BOB, force=True), False, LATER)
    assert outcome.result() == {"changed": True, "lock": BOB, "broken": unknown}
    assert content(lock) == BOB


def test_check_mode_takes_a_free_lock_without_writing_anything(lock: Path) -> None:
    outcome = apply(params(lock, ALICE), True, NOW)
    assert outcome.result() == {"changed": True, "lock": ALICE, "broken": None}
    assert not lock.parent.exists()


def test_check_mode_reports_a_break_and_a_release_without_writing(held: Path) -> None:
    before = held.read_bytes()
    outcome = apply(params(held, BOB, force=True), True, LATER)
    assert outcome.result() == {"changed": True, "lock": BOB, "broken": ALICE}
    outcome = apply(params(held, ALICE, state="absent"), True, LATER)
    assert outcome.result() == {"changed": True, "lock": None, "broken": None}
    assert held.read_bytes() == before


def test_a_lock_taken_between_the_read_and_the_write_is_not_overwritten(
    lock: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that ignores the flock (an older copy of the module, a person) takes the lock
    right after this run found it free: O_EXCL refuses the write and the run is refused."""
    read = deploy_lock.read_lock
    calls: list[str] = []

    def taken_after_first_read(path: str) -> dict[str, Any] | None:
        found = read(path)
        if not calls:
            Path(path).write_text(json.dumps(ALICE))
        calls.append(path)
        return found

    monkeypatch.setattr(deploy_lock, "read_lock", taken_after_first_read)
    with pytest.raises(LockError, match=r"is held by alice@laptop .* since 2026-12-06T12:00:00Z"):
        apply(params(lock, BOB), False, LATER)
    assert content(lock) == ALICE


def _race(path: str, run_id: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        apply({"path": path, "run_id": run_id, "holder": run_id, "state": "present",
               "force": False}, False, NOW)
    except LockError as error:
        results.put((run_id, str(error)))
    else:
        results.put((run_id, None))


@pytest.mark.parametrize("round_", range(5))
def test_of_runs_racing_for_a_free_lock_exactly_one_takes_it(lock: Path, round_: int) -> None:
    context = multiprocessing.get_context("fork")
    runs = [f"run-{round_}-{n}" for n in range(4)]
    barrier, results = context.Barrier(len(runs)), context.Queue()
    processes = [context.Process(target=_race, args=(str(lock), run, barrier, results))
                 for run in runs]
    for process in processes:
        process.start()
    outcomes = dict(results.get(timeout=30) for _ in runs)
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    winners = [run for run, error in outcomes.items() if error is None]
    assert len(winners) == 1
    assert content(lock)["run_id"] == winners[0]
    for run, error in outcomes.items():
        assert run == winners[0] or f"is held by {winners[0]} since" in error


@pytest.mark.parametrize(("given", "message"), [
    ({"run_id": "  "}, "run_id: must not be empty"),
    ({"path": "deploy.lock"}, "path: must be the absolute path of a file, got 'deploy.lock'"),
    ({"path": "/opt/web/"}, "path: must be the absolute path of a file, got '/opt/web/'"),
])
def test_bad_input_is_one_line_naming_the_parameter_and_changes_nothing(
    lock: Path, given: dict[str, Any], message: str
) -> None:
    with pytest.raises(LockError) as error:
        apply({**params(lock, ALICE), **given}, False, NOW)
    assert str(error.value) == message
    assert not lock.parent.exists()


def test_a_directory_at_the_lock_path_is_refused(lock: Path) -> None:
    lock.mkdir(parents=True)
    with pytest.raises(LockError, match=r"^path: .* is a directory, not a lock file$"):
        apply(params(lock, ALICE), False, NOW)


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0s"), (-4, "0s"), (45, "45s"), (65, "1m 5s"), (3600, "1h"), (3 * 3600 + 307, "3h 5m"),
    (2 * 86400 + 4 * 3600 + 59, "2d 4h"),
])
def test_ages_read_in_their_two_largest_units(seconds: int, text: str) -> None:
    assert format_age(seconds) == text
